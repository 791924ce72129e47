"""The operational database: SQLAlchemy 2 tables, queries and Alembic migrations."""

from outbreak.store.db import (
    check_database,
    make_engine,
    make_sessionmaker,
    session_scope,
)
from outbreak.store.migrate import current_revision, downgrade, head_revision, upgrade

__all__ = [
    "check_database",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_sessionmaker",
    "session_scope",
    "upgrade",
]
