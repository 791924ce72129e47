"""State shared by CLI commands: settings and database, built on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.orm import Session

from outbreak.config import Settings, load_settings
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker, session_scope

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    """Lazily built settings and engine for one CLI invocation."""

    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Settings from the environment (fails fast naming a bad key)."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def engine(self) -> sa.Engine:
        """The database engine for the settings in force."""
        if self._engine is None:
            self._engine = make_engine(self.settings.db_url)
        return self._engine

    @property
    def keys(self) -> Keys:
        """Pseudonymisation and encryption keys."""
        return Keys(
            pseudonym_key=self.settings.pseudonym_key.get_secret_value(),
            data_key=self.settings.data_key.get_secret_value(),
        )

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A committed-on-success database session."""
        with session_scope(make_sessionmaker(self.engine)) as session:
            yield session
