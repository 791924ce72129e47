"""Lifecycle rules of cases and contacts (pure).

A confirmed case moves between states; these rules say which moves and dates are
possible. They raise :class:`~outbreak.errors.InvalidTransition` or
:class:`~outbreak.errors.InvalidInput` naming the field and the value.

::

    isolated ⇄ in_hospital ──→ released
        │            │
        └────────────┴──────→ deceased        (released and deceased are final)
"""

from __future__ import annotations

from datetime import date, datetime

from outbreak.errors import InvalidInput, InvalidTransition
from outbreak.types import CaseState

ALLOWED_MOVES: dict[CaseState, frozenset[CaseState]] = {
    CaseState.ISOLATED: frozenset(
        {CaseState.IN_HOSPITAL, CaseState.RELEASED, CaseState.DECEASED}
    ),
    CaseState.IN_HOSPITAL: frozenset(
        {CaseState.ISOLATED, CaseState.RELEASED, CaseState.DECEASED}
    ),
    CaseState.RELEASED: frozenset(),
    CaseState.DECEASED: frozenset(),
}
ACTIVE_STATES = frozenset({CaseState.ISOLATED, CaseState.IN_HOSPITAL})
MAX_ONSET_BEFORE_CONFIRMATION_DAYS = 60


def check_case_dates(
    *,
    confirmed_on: date,
    sample_on: date,
    onset_on: date | None,
    today: date,
) -> None:
    """Check the dates of a confirmed case against each other and today.

    A sample is taken on or before confirmation; nothing is in the future; symptom
    onset may follow confirmation (presymptomatic cases) but may not precede it by
    more than 60 days.

    Examples
    --------
    >>> check_case_dates(confirmed_on=date(2020, 3, 5), sample_on=date(2020, 3, 6),
    ...                  onset_on=None, today=date(2020, 4, 1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    outbreak.errors.InvalidInput: sample_on 2020-03-06 is after confirmed_on ...
    """
    for name, value in (
        ("confirmed_on", confirmed_on),
        ("sample_on", sample_on),
        ("onset_on", onset_on),
    ):
        if value is not None and value > today:
            raise InvalidInput(f"{name} {value} is in the future", field=name)
    if sample_on > confirmed_on:
        raise InvalidInput(
            f"sample_on {sample_on} is after confirmed_on {confirmed_on}; a sample "
            "is taken before the result confirms the case",
            field="sample_on",
        )
    if (
        onset_on is not None
        and (confirmed_on - onset_on).days > MAX_ONSET_BEFORE_CONFIRMATION_DAYS
    ):
        raise InvalidInput(
            f"onset_on {onset_on} is more than "
            f"{MAX_ONSET_BEFORE_CONFIRMATION_DAYS} days before confirmed_on "
            f"{confirmed_on}; check the year",
            field="onset_on",
        )


def check_transition(
    *,
    current: CaseState,
    target: CaseState,
    on: date,
    confirmed_on: date,
    last_change_on: date,
    today: date,
) -> None:
    """Check that a case may move from ``current`` to ``target`` on date ``on``.

    Examples
    --------
    >>> check_transition(current=CaseState.DECEASED, target=CaseState.RELEASED,
    ...                  on=date(2020, 3, 9), confirmed_on=date(2020, 3, 1),
    ...                  last_change_on=date(2020, 3, 8), today=date(2020, 4, 1))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    outbreak.errors.InvalidTransition: A deceased case cannot become released (...)
    """
    if target == current:
        raise InvalidTransition(f"Case is already {current.value}", field="state")
    if target not in ALLOWED_MOVES[current]:
        moves = sorted(state.value for state in ALLOWED_MOVES[current])
        allowed = f"may become: {', '.join(moves)}" if moves else f"{current} is final"
        raise InvalidTransition(
            f"A {current.value} case cannot become {target.value} ({allowed})",
            field="state",
        )
    if on < confirmed_on:
        raise InvalidTransition(
            f"Cannot become {target.value} on {on}, before the case was confirmed "
            f"on {confirmed_on}",
            field="on",
        )
    if on < last_change_on:
        raise InvalidTransition(
            f"Cannot become {target.value} on {on}, before its last change on "
            f"{last_change_on}",
            field="on",
        )
    if on > today:
        raise InvalidTransition(f"on {on} is in the future", field="on")


def check_exposure_window(start: datetime, end: datetime, *, now: datetime) -> None:
    """Check a contact's exposure window: it ends after it starts, not in the future."""
    if end < start:
        raise InvalidInput(
            f"exposure_end {end.isoformat()} is before exposure_start "
            f"{start.isoformat()}",
            field="exposure_end",
        )
    if start > now:
        raise InvalidInput(
            f"exposure_start {start.isoformat()} is in the future",
            field="exposure_start",
        )
