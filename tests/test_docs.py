"""Reference docs stay in step with the code (style rules 9 and 12)."""

from __future__ import annotations

from pathlib import Path

from outbreak.config import Settings, settings_markdown
from outbreak.errors import ALL_ERRORS, errors_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_settings_doc_is_current() -> None:
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run scripts/gen-docs"
    )


def test_every_setting_is_described() -> None:
    for name, info in Settings.model_fields.items():
        assert info.description and len(info.description) > 15, name


def test_errors_doc_is_current() -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    assert text == errors_markdown(), "docs/errors.md is stale: run scripts/gen-docs"
    for cls in ALL_ERRORS:
        assert f"`{cls.code}`" in text


def test_error_codes_are_unique() -> None:
    codes = [cls.code for cls in ALL_ERRORS]
    assert len(codes) == len(set(codes))
