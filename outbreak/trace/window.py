"""The infectious window of a case: whose movements matter, and when.

KDCA's guideline (and Korea's practice since 2020): from 2 days before symptom onset —
or, for a case without symptoms, 2 days before the sample was taken — until the case
was isolated. (KDCA, "Guidelines on disclosure of confirmed patients' movements",
3rd ed., 2020-10-06; COVID-19 Response Guidelines, 9th ed., 2020-06-25.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from outbreak.errors import InvalidInput
from outbreak.types import KST

DAYS_BEFORE = 2


@dataclass(frozen=True)
class Window:
    """A time window, aware datetimes in UTC; ``basis`` says how it was derived."""

    start: datetime
    end: datetime
    basis: str = "given"

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise InvalidInput(
                    f"{name} {value.isoformat()} has no UTC offset", field=name
                )
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.end < self.start:
            raise InvalidInput(
                f"end {self.end.isoformat()} is before start {self.start.isoformat()}",
                field="end",
            )

    @property
    def epoch(self) -> tuple[int, int]:
        """(start, end) as Unix seconds, as the movement store keeps times."""
        return int(self.start.timestamp()), int(self.end.timestamp())

    def overlap_s(self, start: int, end: int) -> int:
        """Seconds of [start, end] (Unix seconds) inside this window."""
        a, b = self.epoch
        return max(0, min(b, end) - max(a, start))


def kst_local(text: str, field: str) -> datetime | None:
    """A wall-clock time as investigators type it (``2020-05-04T10:00``, no offset),
    read as Korean time; empty: None.

    >>> kst_local("2020-05-04T10:00", "start").isoformat()
    '2020-05-04T10:00:00+09:00'
    >>> kst_local(" ", "start") is None
    True
    """
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=KST)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date and time like 2020-05-04T10:00", field=field
        ) from None


def kst_midnight(day: date) -> datetime:
    """00:00 Korean time on ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), KST)


def infectious_window(
    *,
    onset_on: date | None,
    sample_on: date,
    isolated_at: datetime | None,
    now: datetime,
    days_before: int = DAYS_BEFORE,
) -> Window:
    """The window to investigate for a case.

    Starts ``days_before`` days before onset (symptomatic) or before the sample date
    (asymptomatic), at 00:00 KST; ends at isolation, or ``now`` if not yet isolated.

    Examples
    --------
    >>> from datetime import date, datetime
    >>> w = infectious_window(onset_on=date(2020, 5, 2), sample_on=date(2020, 5, 4),
    ...     isolated_at=datetime(2020, 5, 5, 9, tzinfo=KST), now=datetime.now(UTC))
    >>> w.basis, w.start.astimezone(KST).isoformat()
    ('onset', '2020-04-30T00:00:00+09:00')
    """
    if onset_on is not None and onset_on > sample_on + timedelta(days=14):
        raise InvalidInput(
            f"onset_on {onset_on} is long after sample_on {sample_on}: check the dates",
            field="onset_on",
        )
    anchor, basis = (onset_on, "onset") if onset_on else (sample_on, "sample")
    start = kst_midnight(anchor - timedelta(days=days_before))
    end = isolated_at if isolated_at is not None else now
    if end < start:
        raise InvalidInput(
            f"isolated_at {end.isoformat()} is before the window starts "
            f"({start.isoformat()})",
            field="isolated_at",
        )
    return Window(start, end, basis)
