"""Shared fixtures: clean environment, settings, databases on both backends, app."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal, create_user
from outbreak.config import Settings
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.testing import TemplateDatabases, postgres_available, test_settings
from outbreak.types import Role
from outbreak.web import create_app

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"
TODAY = date(2020, 9, 1)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OUTBREAK_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("OUTBREAK_") and name != "OUTBREAK_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabases]:
    dbs = TemplateDatabases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.close()


def _require_backend(backend: str) -> None:
    if backend != "postgresql":
        return
    reason = postgres_available()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but unreachable: {reason}")
    pytest.skip(f"PostgreSQL unreachable: {reason}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    _require_backend(request.param)
    return str(request.param)


@pytest.fixture
def db_url(backend: str, databases: TemplateDatabases) -> Iterator[str]:
    """A fresh database, migrated to head, with Korea's districts loaded."""
    url = databases.url(backend)
    yield url
    databases.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return test_settings(tmp_path)


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys(
        pseudonym_key=settings.pseudonym_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
    )


@pytest.fixture
def make_user(session: Session) -> Callable[..., Principal]:
    """Create a user with roles over scopes, committed."""

    def make(name: str, *roles: Role, scopes: tuple[str, ...] = ("*",)) -> Principal:
        principal = create_user(
            session,
            username=name,
            password=PASSWORD,
            roles=set(roles),
            scopes=set(scopes),
        )
        session.commit()
        return principal

    return make


@pytest.fixture
def access_for(session: Session) -> Callable[..., Access]:
    def make(principal: Principal, purpose: str = "test investigation") -> Access:
        return Access(session, principal, purpose, today=TODAY)

    return make


@pytest.fixture
def client(settings: Settings, engine: sa.Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c
