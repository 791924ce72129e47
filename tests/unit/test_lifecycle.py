from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from outbreak.cases.lifecycle import (
    ALLOWED_MOVES,
    check_case_dates,
    check_exposure_window,
    check_transition,
)
from outbreak.errors import InvalidInput, InvalidTransition
from outbreak.types import CaseState as S

D = date(2020, 3, 1)
TODAY = date(2020, 4, 1)
EXPECTED_MOVES = {
    (S.ISOLATED, S.IN_HOSPITAL),
    (S.ISOLATED, S.RELEASED),
    (S.ISOLATED, S.DECEASED),
    (S.IN_HOSPITAL, S.ISOLATED),
    (S.IN_HOSPITAL, S.RELEASED),
    (S.IN_HOSPITAL, S.DECEASED),
}


def move(
    current: S, target: S, on: date = D + timedelta(days=5), last: date = D
) -> None:
    check_transition(
        current=current,
        target=target,
        on=on,
        confirmed_on=D,
        last_change_on=last,
        today=TODAY,
    )


@pytest.mark.parametrize(("current", "target"), list(product(S, S)))
def test_every_state_pair(current: S, target: S) -> None:
    if (current, target) in EXPECTED_MOVES:
        move(current, target)
    else:
        with pytest.raises(InvalidTransition) as info:
            move(current, target)
        assert info.value.field == "state"


def test_table_matches_the_documented_moves() -> None:
    table = {(a, b) for a, targets in ALLOWED_MOVES.items() for b in targets}
    assert table == EXPECTED_MOVES


def test_final_states_say_so() -> None:
    with pytest.raises(InvalidTransition, match="deceased is final"):
        move(S.DECEASED, S.ISOLATED)


def test_cannot_be_released_before_confirmation() -> None:
    with pytest.raises(
        InvalidTransition, match="before the case was confirmed"
    ) as info:
        move(
            S.ISOLATED, S.RELEASED, on=D - timedelta(days=1), last=D - timedelta(days=1)
        )
    assert info.value.field == "on"


def test_cannot_change_before_the_last_change() -> None:
    with pytest.raises(InvalidTransition, match="before its last change"):
        move(
            S.IN_HOSPITAL,
            S.RELEASED,
            on=D + timedelta(days=2),
            last=D + timedelta(days=3),
        )


def test_cannot_change_in_the_future() -> None:
    with pytest.raises(InvalidTransition, match="future"):
        move(S.ISOLATED, S.RELEASED, on=TODAY + timedelta(days=1))


def test_same_day_changes_are_allowed() -> None:
    move(S.ISOLATED, S.IN_HOSPITAL, on=D, last=D)


def dates(**kw: object) -> None:
    values: dict[str, object] = {
        "confirmed_on": D,
        "sample_on": D - timedelta(days=1),
        "onset_on": None,
        "today": TODAY,
    }
    values.update(kw)
    check_case_dates(**values)  # type: ignore[arg-type]


def test_valid_case_dates() -> None:
    dates()
    dates(onset_on=D - timedelta(days=3))
    dates(onset_on=D + timedelta(days=2))  # presymptomatic at confirmation
    dates(sample_on=D)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"sample_on": D + timedelta(days=1)}, "sample_on"),
        ({"confirmed_on": TODAY + timedelta(days=1)}, "confirmed_on"),
        ({"onset_on": TODAY + timedelta(days=1)}, "onset_on"),
        ({"onset_on": D - timedelta(days=61)}, "onset_on"),
    ],
)
def test_invalid_case_dates_name_the_field(kw: dict[str, date], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        dates(**kw)
    assert info.value.field == field
    assert str(next(iter(kw.values()))) in info.value.message


def test_exposure_window() -> None:
    now = datetime(2020, 4, 1, tzinfo=UTC)
    start = datetime(2020, 3, 1, 18, tzinfo=UTC)
    check_exposure_window(start, start + timedelta(hours=2), now=now)
    with pytest.raises(InvalidInput) as info:
        check_exposure_window(start, start - timedelta(minutes=1), now=now)
    assert info.value.field == "exposure_end"
    with pytest.raises(InvalidInput) as info:
        check_exposure_window(now + timedelta(days=1), now + timedelta(days=2), now=now)
    assert info.value.field == "exposure_start"
