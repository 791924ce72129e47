"""Factories for settings and principals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from outbreak.auth import Principal
from outbreak.config import Settings, load_settings
from outbreak.types import Role


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: env=test with real-length secrets, files under data_dir."""
    values: dict[str, Any] = {
        "_env_file": None,
        "env": "test",
        "data_dir": data_dir,
        "secret_key": "test-secret-key-" + "s" * 32,
        "pseudonym_key": "test-pseudonym-key-" + "p" * 32,
        "data_key": "test-data-key-" + "d" * 32,
    }
    return load_settings(**{**values, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def make_principal(
    *roles: Role, scopes: tuple[str, ...] = ("*",), name: str = "tester"
) -> Principal:
    """A principal with ``roles`` over ``scopes``."""
    return Principal(name, frozenset(roles), frozenset(scopes))
