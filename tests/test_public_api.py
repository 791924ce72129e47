"""Each domain package's ``__all__`` is its whole public API (style rule 1)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "outbreak.audit",
    "outbreak.auth",
    "outbreak.cases",
    "outbreak.disclose",
    "outbreak.geo",
    "outbreak.ingest",
    "outbreak.model",
    "outbreak.model.abm",
    "outbreak.store",
    "outbreak.synth",
    "outbreak.testing",
    "outbreak.web",
]


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff's isort-style order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and attr != "annotations"
    }
    assert set(module.__all__) == public
    assert list(module.__all__) == sorted(module.__all__, key=_isort_key), (
        "sort __all__"
    )
    assert len(module.__all__) <= 16, "a small public API"
