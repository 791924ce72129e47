"""Korea's disclosure rules as code (KDCA guideline, 1st edition, 2020-10-06).

"확진환자 이동경로 등 정보공개 지침" — the rules that followed the early disclosures
of 2020, which exposed patients' sex, age, workplaces and private lives (NHRCK,
9 Mar 2020). Each rule is an object with a stable ``code``: it withholds a candidate
exposure place and says why. What it withheld is recorded for the communicator,
never for the public. Sources: docs/disclose.md and notes/systems.md §4.

A candidate is one stay of a confirmed case's route at a place, during or near the
infectious window. It is published only when no rule withholds it::

    outside_window       the stay does not overlap the window (2 days before onset,
                         or before the sample date when asymptomatic, to isolation)
    unnamed_place        not a registered place: it may be a home, and a place is
                         published by its registered name and address only
    no_district          the place's district is unknown: the list is by district,
                         and the case's own district would point to their home
    residence            a home: residence is never published (nor anything at or
                         below eup/myeon/dong level that would point to it)
    workplace            a workplace or school names the case to colleagues; only
                         when it may have spread to "unspecified many" (an explicit,
                         audited exception) is it published
    contacts_identified  every contact at the place has been identified: nothing to
                         ask the public; withdrawn when this becomes true
    expired              14 days have passed since the last exposure: deleted

Wording that a communicator edits is checked too (:func:`check_wording`): no case
numbers, ages, sexes or nationalities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from outbreak.errors import InvalidInput, PrivacyViolation

GUIDELINE = "KDCA 확진환자 이동경로 등 정보공개 지침, 1판 (2020-10-06)"


@dataclass(frozen=True)
class Candidate:
    """One stay of a case at a place, as the rules see it (all times aware)."""

    place_id: int | None  # None: the stay is at no registered place
    kind: str  # the place's kind ("" when unnamed)
    t_start: datetime  # the stay
    t_end: datetime
    window_start: datetime  # the case's infectious window
    window_end: datetime
    contacts_identified: bool = False
    public_risk: bool = False  # the workplace exception was invoked
    district_known: bool = True  # the place's district is in the registry


@dataclass(frozen=True)
class Withholding:
    """Why a rule withholds a candidate (shown to the communicator only)."""

    code: str
    reason: str


class Rule(Protocol):
    """A disclosure rule: a code, and a check that returns a reason or None."""

    @property
    def code(self) -> str:
        """The rule's stable name, recorded with what it withholds."""
        ...  # pragma: no cover - protocol

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """Why ``c`` must not be published, or None when this rule allows it."""
        ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class OutsideWindow:
    """Only stays inside the infectious window are published."""

    code: str = "outside_window"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The stay must overlap [window_start, window_end)."""
        del policy, now
        if c.t_end <= c.window_start or c.t_start >= c.window_end:
            return (
                "The stay lies outside the infectious window (2 days before onset, "
                "or before the sample date, until isolation)"
            )
        return None


@dataclass(frozen=True)
class UnnamedPlace:
    """A place is published by its registered name and address, or not at all."""

    code: str = "unnamed_place"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The stay must be at a registered place."""
        del policy, now
        if c.place_id is None:
            return (
                "The stay is at no registered place (it may be a home); add the "
                "place to the registry or report it in the interview to publish it"
            )
        return None


@dataclass(frozen=True)
class NoDistrict:
    """Places are published as a list by district: one of no known district is
    not filed under the case's own (their residence)."""

    code: str = "no_district"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The place's district must be known."""
        del policy, now
        if not c.district_known:
            return (
                "The place has no district in the registry; add it there to "
                "publish the place"
            )
        return None


@dataclass(frozen=True)
class Residence:
    """A home is never published."""

    code: str = "residence"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The place must not be a residence."""
        del now
        if c.kind in policy.residence_kinds:
            return "Residences are never published (guideline: no residence)"
        return None


@dataclass(frozen=True)
class Workplace:
    """A workplace or school is withheld unless it may have exposed many unknown
    people — an exception the communicator invokes with a reason."""

    code: str = "workplace"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The place must not be a workplace, unless the exception was invoked."""
        del now
        if c.kind in policy.workplace_kinds and not c.public_risk:
            return (
                "Workplace names are not published unless the infection may have "
                "spread to many unidentified people there (invoke the exception "
                "with a reason)"
            )
        return None


@dataclass(frozen=True)
class ContactsIdentified:
    """A place whose contacts are all identified is not published."""

    code: str = "contacts_identified"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """Some contacts at the place must remain unidentified."""
        del policy, now
        if c.contacts_identified:
            return "Every contact at this place has been identified"
        return None


@dataclass(frozen=True)
class Expired:
    """An exposure place is deleted 14 days after its last exposure."""

    code: str = "expired"

    def withholds(
        self, c: Candidate, policy: DisclosurePolicy, *, now: datetime
    ) -> str | None:
        """The last exposure must be less than ``retention_days`` ago."""
        if now >= policy.expires_at(c):
            return f"{policy.retention_days} days have passed since the last exposure"
        return None


RULES: tuple[Rule, ...] = (
    OutsideWindow(),
    UnnamedPlace(),
    NoDistrict(),
    Residence(),
    Workplace(),
    ContactsIdentified(),
    Expired(),
)
RULE_CODES = tuple(r.code for r in RULES)


@dataclass(frozen=True)
class DisclosurePolicy:
    """The rules in force and their parameters.

    Parameters
    ----------
    retention_days
        Days an entry stays public after its last exposure (guideline: 14).
    round_min
        Published exposure windows are widened to multiples of this many minutes
        (then clipped to the infectious window): exact minutes add nothing for the
        public and help re-identification.
    residence_kinds, workplace_kinds
        Place kinds the residence and workplace rules apply to.

    Examples
    --------
    >>> DisclosurePolicy(retention_days=14, round_min=10).round_min
    10
    >>> DisclosurePolicy(round_min=7)
    Traceback (most recent call last):
    ...
    outbreak.errors.InvalidInput: round_min must divide 60 (got 7)
    """

    retention_days: int = 14
    round_min: int = 10
    residence_kinds: frozenset[str] = frozenset({"home"})
    workplace_kinds: frozenset[str] = frozenset({"workplace", "school", "call_centre"})
    rules: tuple[Rule, ...] = field(default=RULES)

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise InvalidInput(
                f"retention_days must be positive (got {self.retention_days})",
                field="retention_days",
            )
        if self.round_min < 1 or 60 % self.round_min:
            raise InvalidInput(
                f"round_min must divide 60 (got {self.round_min})", field="round_min"
            )

    def expires_at(self, c: Candidate) -> datetime:
        """When the candidate's last exposure is ``retention_days`` old."""
        return min(c.t_end, c.window_end) + timedelta(days=self.retention_days)

    def evaluate(self, c: Candidate, *, now: datetime) -> tuple[Withholding, ...]:
        """Every rule that withholds ``c`` (empty: it may be published)."""
        out = []
        for rule in self.rules:
            reason = rule.withholds(c, self, now=now)
            if reason is not None:
                out.append(Withholding(rule.code, reason))
        return tuple(out)

    def exposure_window(self, c: Candidate) -> tuple[datetime, datetime]:
        """The published window: the stay clipped to the infectious window, widened
        to whole ``round_min`` minutes, and clipped again."""
        start = max(c.t_start, c.window_start)
        end = min(c.t_end, c.window_end)
        step = timedelta(minutes=self.round_min)
        floor = start - _since_hour(start) % step
        rest = _since_hour(end) % step
        ceil = end + (step - rest if rest else timedelta(0))
        return max(floor, c.window_start), min(ceil, c.window_end)


def _since_hour(t: datetime) -> timedelta:
    return t - t.replace(minute=0, second=0, microsecond=0)


# What a communicator's wording must never say (guideline: no sex, age,
# nationality; no patient numbers that link places to one case).
# fmt: off
_NOT_HANGUL_BEFORE, _NOT_HANGUL_AFTER = r"(?<![가-힣])", r"(?![가-힣])"
_FORBIDDEN = (
    ("a case number", re.compile(
        r"(확진자|환자)\s*[#＃]?\s*\d|\d+\s*번\s*(확진자|환자)|[#＃]\s*\d"
        r"|\b(case|patient)\s*(#|no\.?)\s*\d")),
    ("an age", re.compile(
        r"\b[1-9]0\s*대" + _NOT_HANGUL_AFTER + r"|\d+\s*(세|살)" + _NOT_HANGUL_AFTER
        + r"|\b\d+\s*(years?\s*old|yo)\b|\b(in (his|her|their) \d0s)\b")),
    ("a sex", re.compile(
        _NOT_HANGUL_BEFORE + r"(남성|여성|남자|여자)" + _NOT_HANGUL_AFTER
        + r"|\b(male|female)\b")),
    ("a nationality", re.compile(
        r"국적|" + _NOT_HANGUL_BEFORE + r"[가-힣]{1,4}국인" + _NOT_HANGUL_AFTER
        + r"|외국인" + _NOT_HANGUL_AFTER + r"|\bnationality\b|\bforeigners?\b")),
)
# fmt: on


def check_wording(text: str, *, field: str) -> str:
    """Refuse wording that would publish what the guideline forbids.

    A mechanical guard for the communicator's edits, not a guarantee: it catches
    case numbers, ages, sexes and nationalities in Korean and English.

    Raises
    ------
    PrivacyViolation
        Naming the field and what it found.

    Examples
    --------
    >>> check_wording("행복약국 (2층)", field="name")
    '행복약국 (2층)'
    >>> check_wording("30대 남성 방문", field="name")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    outbreak.errors.PrivacyViolation: The name mentions an age ...
    """
    cleaned = " ".join(text.split())
    for what, pattern in _FORBIDDEN:
        hit = pattern.search(cleaned.lower())
        if hit:
            raise PrivacyViolation(
                f"The {field} mentions {what} "
                f"({hit.group(0)!r}); the guideline forbids publishing it — "
                "describe the place, not the person",
                field=field,
            )
    return cleaned
