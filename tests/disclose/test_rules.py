"""Each disclosure rule on its own (pure): what it withholds, at its edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from outbreak.disclose.rules import (
    RULE_CODES,
    Candidate,
    ContactsIdentified,
    DisclosurePolicy,
    Expired,
    NoDistrict,
    OutsideWindow,
    Residence,
    UnnamedPlace,
    Workplace,
    check_wording,
)
from outbreak.errors import InvalidInput, PrivacyViolation
from tests.disclose.conftest import WINDOW_END, WINDOW_START, kst

POLICY = DisclosurePolicy()
NOW = kst(6, 12)
CAFE = Candidate(
    place_id=2,
    kind="cafe",
    t_start=kst(4, 12, 3),
    t_end=kst(4, 13, 27),
    window_start=WINDOW_START,
    window_end=WINDOW_END,
)


def codes(c: Candidate, now: datetime = NOW) -> list[str]:
    return [w.code for w in POLICY.evaluate(c, now=now)]


def test_a_cafe_inside_the_window_is_published() -> None:
    assert codes(CAFE) == []


def test_every_rule_is_in_force_by_default_in_a_stable_order() -> None:
    assert RULE_CODES == (
        "outside_window",
        "unnamed_place",
        "no_district",
        "residence",
        "workplace",
        "contacts_identified",
        "expired",
    )


@pytest.mark.parametrize(
    ("start", "end", "held"),
    [
        (kst(2, 10), kst(2, 23, 59), True),  # the day before the window
        (kst(2, 23), kst(3, 0), True),  # ends exactly when the window opens
        (kst(2, 23), kst(3, 0, 1), False),  # overlaps it by a minute
        (kst(5, 23), kst(6, 1), False),  # runs past isolation: clipped, kept
        (kst(6, 0), kst(6, 2), True),  # after isolation
    ],
)
def test_outside_window_at_its_edges(
    start: datetime, end: datetime, held: bool
) -> None:
    c = replace(CAFE, t_start=start, t_end=end)
    assert (OutsideWindow().withholds(c, POLICY, now=NOW) is not None) is held


def test_an_unregistered_place_is_withheld_as_a_possible_home() -> None:
    c = replace(CAFE, place_id=None, kind="")
    reason = UnnamedPlace().withholds(c, POLICY, now=NOW)
    assert reason is not None and "home" in reason
    assert codes(c) == ["unnamed_place"]


def test_a_place_of_no_known_district_is_withheld() -> None:
    c = replace(CAFE, district_known=False)
    assert NoDistrict().withholds(c, POLICY, now=NOW) is not None
    assert codes(c) == ["no_district"]


def test_a_residence_is_never_published_whatever_else_holds() -> None:
    home = replace(CAFE, kind="home", public_risk=True)
    assert Residence().withholds(home, POLICY, now=NOW) is not None
    assert codes(home) == ["residence"]


@pytest.mark.parametrize("kind", ["workplace", "school", "call_centre"])
def test_a_workplace_needs_the_public_risk_exception(kind: str) -> None:
    c = replace(CAFE, kind=kind)
    assert Workplace().withholds(c, POLICY, now=NOW) is not None
    assert Workplace().withholds(replace(c, public_risk=True), POLICY, now=NOW) is None


def test_a_place_whose_contacts_are_all_identified_is_withheld() -> None:
    c = replace(CAFE, contacts_identified=True)
    assert ContactsIdentified().withholds(c, POLICY, now=NOW) is not None
    assert codes(c) == ["contacts_identified"]


def test_expiry_is_14_days_after_the_last_exposure_to_the_second() -> None:
    last = CAFE.t_end
    assert POLICY.expires_at(CAFE) == last + timedelta(days=14)
    just_before = last + timedelta(days=14) - timedelta(seconds=1)
    assert Expired().withholds(CAFE, POLICY, now=just_before) is None
    assert Expired().withholds(CAFE, POLICY, now=last + timedelta(days=14)) is not None


def test_expiry_counts_from_isolation_when_the_stay_runs_past_it() -> None:
    c = replace(CAFE, t_start=kst(5, 22), t_end=kst(6, 3))
    assert POLICY.expires_at(c) == WINDOW_END + timedelta(days=14)


def test_several_rules_are_all_recorded() -> None:
    c = replace(CAFE, kind="workplace", contacts_identified=True)
    assert codes(c) == ["workplace", "contacts_identified"]


def test_a_policy_without_a_rule_does_not_apply_it() -> None:
    lax = DisclosurePolicy(rules=(OutsideWindow(), Residence()))
    assert lax.evaluate(replace(CAFE, kind="workplace"), now=NOW) == ()


def test_the_published_window_is_widened_to_10_minutes_and_clipped() -> None:
    assert POLICY.exposure_window(CAFE) == (kst(4, 12), kst(4, 13, 30))
    exact = replace(CAFE, t_start=kst(4, 12), t_end=kst(4, 13))
    assert POLICY.exposure_window(exact) == (kst(4, 12), kst(4, 13))
    early = replace(CAFE, t_start=kst(2, 23, 55), t_end=kst(3, 0, 25))
    assert POLICY.exposure_window(early) == (WINDOW_START, kst(3, 0, 30))
    late = replace(CAFE, t_start=kst(5, 23, 41), t_end=kst(6, 4))
    assert POLICY.exposure_window(late) == (kst(5, 23, 40), WINDOW_END)


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(InvalidInput) as bad:
        DisclosurePolicy(retention_days=0)
    assert bad.value.field == "retention_days"
    with pytest.raises(InvalidInput):
        DisclosurePolicy(round_min=0)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("확진자 #12 방문", "a case number"),
        ("12번 확진자 방문 장소", "a case number"),
        ("Visited by case #7", "a case number"),
        ("30대 방문", "an age"),
        ("a 45 years old visitor", "an age"),
        ("여성 확진자 방문", "a sex"),
        ("visited by a male", "a sex"),
        ("중국인 방문", "a nationality"),
        ("foreigner visited", "a nationality"),
    ],
)
def test_wording_that_describes_a_person_is_refused(text: str, what: str) -> None:
    with pytest.raises(PrivacyViolation) as refused:
        check_wording(text, field="name")
    assert refused.value.field == "name"
    assert what in refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        "행복약국 (2층)",
        "별다방 역삼점  1층",
        "GS25 강남역점",
        "Café Seoul, 3F",
        "제일여성병원",
        "남성의원",
        "한국인삼공사 매장",
        "3대 국밥",
        "외국인력지원센터",
        "Woman Fitness",
        "Case 2 Coffee",
    ],
)
def test_wording_that_describes_a_place_passes_tidied(text: str) -> None:
    assert check_wording(text, field="name") == " ".join(text.split())
