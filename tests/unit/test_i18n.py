from __future__ import annotations

from outbreak.types import CaseState, InfectionSource
from outbreak.web.dashboard.i18n import LANGUAGES, STRINGS, pick_language, translator


def test_every_string_exists_in_every_language() -> None:
    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(value.strip() for value in texts.values()), key


def test_korean_strings_are_korean() -> None:
    ko = translator("ko")
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko["cases"])


def test_every_state_and_source_is_translated() -> None:
    for value in [*CaseState, *InfectionSource]:
        assert value.value in STRINGS


def test_language_choice_order() -> None:
    assert pick_language(None, None, None) == "ko"
    assert pick_language(None, "en", "ko-KR") == "en"
    assert pick_language("xx", None, "en-GB") == "en"
    assert pick_language("ko", "en", "en") == "ko"
