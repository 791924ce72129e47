"""Migrations from empty on SQLite and PostgreSQL; they agree with the tables."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from outbreak import store
from outbreak.store.base import Base
from outbreak.testing import TemplateDatabases


@pytest.fixture
def empty_engine(backend: str, databases: TemplateDatabases):  # type: ignore[no-untyped-def]
    url = databases.url(backend, empty=True)
    engine = store.make_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


def test_upgrade_from_empty_creates_every_table(empty_engine: sa.Engine) -> None:
    assert store.current_revision(empty_engine) is None
    store.upgrade(empty_engine)
    assert store.current_revision(empty_engine) == store.head_revision(empty_engine)
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_table_definitions(empty_engine: sa.Engine) -> None:
    store.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"tables and migrations disagree; write a migration: {diff}"


def test_downgrade_to_base_and_back(empty_engine: sa.Engine) -> None:
    store.upgrade(empty_engine)
    store.downgrade(empty_engine, "base")
    remaining = set(sa.inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    store.upgrade(empty_engine)
    assert store.current_revision(empty_engine) == store.head_revision(empty_engine)


def test_upgrade_is_idempotent(empty_engine: sa.Engine) -> None:
    store.upgrade(empty_engine)
    store.upgrade(empty_engine)
    assert store.current_revision(empty_engine) == store.head_revision(empty_engine)
