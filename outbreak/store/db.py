"""Engines and sessions, built from settings (never at import time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from outbreak.errors import Unavailable

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_setup(engine: sa.Engine) -> None:
    # Each transaction starts with BEGIN IMMEDIATE: nearly every request writes (the
    # audit log), so taking the write lock up front avoids SQLITE_BUSY on upgrade and
    # keeps the audit hash chain linear. Recipe from the SQLAlchemy SQLite docs.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``; SQLite files get their directory, WAL and foreign keys.

    ``pool_size`` (server databases): connections kept open, with as many again
    allowed in bursts — a connection opened per request would cost a backend
    process each time.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        _sqlite_setup(engine)
        return engine
    if pool_size is not None:
        kwargs = {"pool_size": pool_size, "max_overflow": pool_size, **kwargs}
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: sa.Engine) -> sessionmaker[Session]:
    """Session factory bound to ``engine``; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except sa.exc.OperationalError as exc:
        session.rollback()
        raise Unavailable(f"Database error: {exc.orig}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_database(engine: sa.Engine) -> None:
    """Raise :class:`Unavailable` unless the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise Unavailable(
            f"Cannot reach the database at {engine.url.render_as_string()}: {exc.orig}"
        ) from None


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The session's dialect INSERT, whose ``on_conflict_do_nothing`` and
    ``returning`` PostgreSQL and SQLite share (idempotent writes)."""
    name = session.get_bind().dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert
