"""Interventions a Korean user knows, each on its own dates.

A policy is a tuple of interventions; each acts from ``start`` (inclusive) to
``end`` (exclusive; None: to the end) in days since the simulation's start, so the
2020 timeline can be replayed (:func:`korea_2020`). Contact reductions become one
multiplier per layer and day (:func:`layer_multipliers`); testing, tracing,
quarantine and arrivals act on agents (:mod:`outbreak.model.abm.sim`).

The distancing levels are those of the November 2020 scheme (보건복지부, "사회적
거리두기 체계 개편", 2020-11-01): each level's venue closures, gathering limits and
opening hours, translated into contact reductions per layer in
:data:`DISTANCING` — a modelling judgement, documented line by line in docs/abm.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar, Union

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput

LAYER_INDEX = {"h": 0, "s": 1, "w": 2, "c": 3}
W = TypeVar("W", bound="Window")

# fmt: off
# Multipliers on contacts per layer (household, school, work, community) under each
# level of the Nov 2020 scheme (see docs/abm.md for the rules behind each number).
DISTANCING: dict[str, tuple[float, float, float, float]] = {
    "1":   (1.0, 1.00, 1.00, 0.90),  # masks in multi-use facilities; capacity rules
    "1.5": (1.0, 0.67, 0.95, 0.75),  # schools 2/3; 4 m² per person; services 30 %
    "2":   (1.0, 0.50, 0.85, 0.55),  # schools 1/3 (high 2/3); gatherings < 100
    "2.5": (1.0, 0.33, 0.75, 0.40),  # schools 1/3; gatherings < 50; 21:00 close
    "3":   (1.0, 0.00, 0.50, 0.20),  # schools online; gatherings < 10; essentials
}
# Kinds of venue a community contact can happen at (the city population tags each
# contact with one; "other": streets, transport, shops). Korea's 2020 clusters were
# in bars and clubs (Itaewon, May), karaoke rooms, churches (Shincheonji, Feb) and
# call centres (Guro, Mar; a workplace, so in the work layer).
VENUE_KINDS = ("other", "restaurant", "cafe", "bar_club", "karaoke", "church", "gym",
               "pc_room", "pharmacy", "hospital")
# On top of the community multiplier above: venues each level closes (0), or whose
# hours or capacity it cuts further (docs/abm.md).
DISTANCING_VENUES: dict[str, dict[str, float]] = {
    "1":   {},
    "1.5": {"church": 0.3, "bar_club": 0.7},
    "2":   {"church": 0.2, "bar_club": 0.0, "karaoke": 0.5, "restaurant": 0.7,
            "cafe": 0.6},
    "2.5": {"church": 0.2, "bar_club": 0.0, "karaoke": 0.0, "gym": 0.0,
            "restaurant": 0.6, "cafe": 0.5, "pc_room": 0.5},
    "3":   {"church": 0.0, "bar_club": 0.0, "karaoke": 0.0, "gym": 0.0,
            "pc_room": 0.0, "restaurant": 0.5, "cafe": 0.5},
}
# fmt: on


@dataclass(frozen=True)
class Window:
    """Days an intervention is in force: ``start`` inclusive, ``end`` exclusive."""

    start: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise InvalidInput(
                f"An intervention's window must have 0 <= start < end (got "
                f"{self.start}, {self.end})",
                field="start",
            )

    def span(self, n: int) -> slice:
        """The slice of ``range(n)`` it covers."""
        return slice(min(self.start, n), n if self.end is None else min(self.end, n))


@dataclass(frozen=True)
class Distancing(Window):
    """A social-distancing level of the Nov 2020 scheme: "1", "1.5", "2", "2.5", "3"."""

    level: str = "2"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.level not in DISTANCING:
            raise InvalidInput(
                f"Unknown distancing level {self.level!r}; expected one of "
                f"{', '.join(DISTANCING)}",
                field="level",
            )


@dataclass(frozen=True)
class ChangeBeta(Window):
    """Contacts in ``layers`` multiplied by ``factor`` (Covasim's change_beta)."""

    layers: str = "c"
    factor: float = 0.5


@dataclass(frozen=True)
class Closure(Window):
    """Venues of ``kinds`` closed (``factor`` 0) or restricted (``factor`` < 1) —
    e.g. bars and clubs from 8 May 2020 (Policy.csv 54), karaoke from 21 May (56).
    Acts in the city population, whose community contacts know their venue."""

    kinds: tuple[str, ...] = ("bar_club",)
    factor: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [k for k in self.kinds if k not in VENUE_KINDS]
        if unknown:
            raise InvalidInput(
                f"Unknown venue kind {unknown[0]!r}; expected one of "
                f"{', '.join(VENUE_KINDS)}",
                field="kinds",
            )
        if not 0.0 <= self.factor <= 1.0:
            raise InvalidInput(
                f"A closure's factor must be in [0, 1], got {self.factor}",
                field="factor",
            )


@dataclass(frozen=True)
class SchoolClosure(Window):
    """Schools closed or online: a fraction ``attendance`` still meets at school."""

    attendance: float = 0.0


@dataclass(frozen=True)
class Masks(Window):
    """Masks worn by ``coverage`` of people outside home, each cutting transmission
    by ``efficacy`` (both ways: Chu et al., Lancet 395:1973 (2020),
    doi:10.1016/S0140-6736(20)31142-9, pooled face-mask risk ratio 0.15)."""

    coverage: float = 0.9
    efficacy: float = 0.5


@dataclass(frozen=True)
class Testing(Window):
    """Screening clinics: each day a symptomatic person is tested with
    ``p_symptomatic``, a quarantined one once with ``p_quarantined``; at most
    ``capacity`` tests a day (0: no limit); a positive is known after ``delay``
    days (Korea, 2020: about a day at drive-through clinics)."""

    p_symptomatic: float = 0.2
    p_quarantined: float = 0.9
    capacity: int = 0
    delay: int = 1
    sensitivity: float = 0.95


@dataclass(frozen=True)
class Tracing(Window):
    """Contacts of a confirmed case found with ``recall`` per layer, ``delay``
    days after the diagnosis. Defaults: households all; school and work from
    rosters; community from the investigation engine (GPS + check-ins recall 0.97,
    docs/trace.md), discounted for people without data to 0.8."""

    recall: tuple[float, float, float, float] = (1.0, 0.9, 0.9, 0.8)
    delay: int = 1


@dataclass(frozen=True)
class Quarantine(Window):
    """Traced contacts (and arrivals, with :class:`Arrivals`) self-quarantine for
    ``days`` with ``compliance`` (the share who stay home)."""

    compliance: float = 0.9
    days: int = 14


@dataclass(frozen=True)
class Wristbands(Window):
    """Electronic wristbands for violators (from 27 Apr 2020): quarantine
    compliance rises to ``compliance``."""

    compliance: float = 0.98


@dataclass(frozen=True)
class Arrivals(Window):
    """Infected arrivals from abroad, ``per_day``, quarantined on arrival when
    ``quarantine`` (mandatory for all arrivals from 1 Apr 2020)."""

    per_day: float = 1.0
    quarantine: bool = True


Intervention = Union[  # noqa: UP007 - a runtime alias
    Distancing,
    ChangeBeta,
    Closure,
    SchoolClosure,
    Masks,
    Testing,
    Tracing,
    Quarantine,
    Wristbands,
    Arrivals,
]


@dataclass(frozen=True)
class Policy:
    """Interventions in force over a run."""

    interventions: tuple[Intervention, ...] = field(default_factory=tuple)

    def of(self, kind: type[W]) -> list[W]:
        """The interventions of one kind, in order."""
        return [i for i in self.interventions if isinstance(i, kind)]

    def active(self, kind: type[W], t: int) -> W | None:
        """The last intervention of ``kind`` in force on day ``t``."""
        live = [
            i for i in self.of(kind) if i.start <= t and (i.end is None or t < i.end)
        ]
        return live[-1] if live else None


def layer_multipliers(policy: Policy, days: int) -> NDArray[np.float64]:
    """(days × 4) contact multipliers per layer from distancing, change_beta,
    school closures and masks (the most recent distancing level wins).

    Examples
    --------
    >>> m = layer_multipliers(Policy((Distancing(10, 20, level="3"),)), 30)
    >>> m[5].tolist(), m[15].tolist()
    ([1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.5, 0.2])
    """
    m = np.ones((days, 4))
    for d in policy.of(Distancing):
        m[d.span(days)] = DISTANCING[d.level]
    for c in policy.of(ChangeBeta):
        for layer in c.layers:
            m[c.span(days), LAYER_INDEX[layer]] *= c.factor
    for s in policy.of(SchoolClosure):
        m[s.span(days), 1] *= s.attendance
    for mk in policy.of(Masks):
        cut = 1 - mk.coverage * mk.efficacy
        m[mk.span(days), 1:] *= cut
    return m


def venue_multipliers(policy: Policy, days: int) -> NDArray[np.float64]:
    """(days × venue kinds) multipliers from distancing levels and closures.

    Examples
    --------
    >>> v = venue_multipliers(Policy((Closure(5, kinds=("karaoke",)),)), 10)
    >>> v[4, VENUE_KINDS.index("karaoke")], v[5, VENUE_KINDS.index("karaoke")]
    (np.float64(1.0), np.float64(0.0))
    """
    v = np.ones((days, len(VENUE_KINDS)))
    for d in policy.of(Distancing):
        v[d.span(days)] = 1.0
        for kind, f in DISTANCING_VENUES[d.level].items():
            v[d.span(days), VENUE_KINDS.index(kind)] = f
    for c in policy.of(Closure):
        for kind in c.kinds:
            v[c.span(days), VENUE_KINDS.index(kind)] *= c.factor
    return v


def policy_of(items: Sequence[Intervention]) -> Policy:
    """A policy from interventions in any order (kept as given)."""
    return Policy(tuple(items))
