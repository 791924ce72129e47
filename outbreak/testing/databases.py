"""Fresh, migrated databases per test, cheaply, on SQLite and PostgreSQL.

A template is migrated (and loaded with districts) once per test session; each test
then gets a copy: a file copy for SQLite, ``CREATE DATABASE … TEMPLATE`` for
PostgreSQL. Tests therefore run against the real migrations, never ``create_all``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa

from outbreak.geo import load_districts
from outbreak.store import make_engine, make_sessionmaker, session_scope, upgrade
from outbreak.store.queries import geo as geo_queries

POSTGRES_ADMIN_URL = os.environ.get(
    "OUTBREAK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_available(url: str = POSTGRES_ADMIN_URL) -> str | None:
    """None when PostgreSQL answers at ``url``, else the reason it does not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def _prepare(engine: sa.Engine) -> None:
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        geo_queries.upsert_districts(session=session, districts=load_districts())
    engine.dispose()


class TemplateDatabases:
    """Hands out fresh migrated databases; call :meth:`close` to drop them all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tag = uuid.uuid4().hex[:8]
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_databases: list[str] = []
        self._admin: sa.Engine | None = None

    # --- SQLite -------------------------------------------------------------
    def sqlite_url(self, *, empty: bool = False) -> str:
        """URL of a new SQLite file: migrated with districts, or ``empty``."""
        path = self.workdir / f"db-{uuid.uuid4().hex[:8]}.sqlite"
        if not empty:
            if self._sqlite_template is None:
                self._sqlite_template = self.workdir / "template.sqlite"
                _prepare(make_engine(f"sqlite:///{self._sqlite_template}"))
            shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    # --- PostgreSQL ---------------------------------------------------------
    def _admin_engine(self) -> sa.Engine:
        if self._admin is None:
            self._admin = sa.create_engine(
                POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT"
            )
        return self._admin

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f" TEMPLATE {template}" if template else ""
        with self._admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        self._pg_databases.append(name)
        return (
            sa.make_url(POSTGRES_ADMIN_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    def postgres_url(self, *, empty: bool = False) -> str:
        """URL of a new PostgreSQL database: migrated with districts, or ``empty``."""
        if not empty and self._pg_template is None:
            self._pg_template = f"outbreak_tpl_{self.tag}"
            _prepare(make_engine(self._create(self._pg_template)))
        name = f"outbreak_t_{self.tag}_{uuid.uuid4().hex[:8]}"
        return self._create(name, None if empty else self._pg_template)

    def url(self, backend: str, *, empty: bool = False) -> str:
        """A fresh database URL on ``backend`` ("sqlite" or "postgresql")."""
        if backend == "sqlite":
            return self.sqlite_url(empty=empty)
        return self.postgres_url(empty=empty)

    def drop(self, url: str) -> None:
        """Drop a PostgreSQL database made here (SQLite files go with the workdir)."""
        name = sa.make_url(url).database
        if name in self._pg_databases:
            with self._admin_engine().connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._pg_databases.remove(name)

    def close(self) -> None:
        """Drop every PostgreSQL database still around."""
        for name in list(reversed(self._pg_databases)):
            with self._admin_engine().connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._pg_databases.clear()
        if self._admin is not None:
            self._admin.dispose()
