"""Alembic environment: migrates the engine handed over by outbreak.store.migrate."""

from __future__ import annotations

from alembic import context

from outbreak.store import tables  # noqa: F401  (fills the metadata)
from outbreak.store.base import Base
from outbreak.store.db import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(
    config.get_main_option("sqlalchemy.url") or ""
)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
