"""Public test helpers: database fixtures on SQLite and PostgreSQL, factories."""

from outbreak.testing.databases import (
    POSTGRES_ADMIN_URL,
    TemplateDatabases,
    postgres_available,
)
from outbreak.testing.factories import make_principal, test_settings

__all__ = [
    "POSTGRES_ADMIN_URL",
    "TemplateDatabases",
    "make_principal",
    "postgres_available",
    "test_settings",
]
