"""Close contacts of an index case: who was with them, where, how long, how near.

Three ways to be a contact, each a rule with its parameters in :class:`ContactRule`:

* **co-location** — another person's GPS fixes put them at the index case's stay for
  a cumulative ``min_minutes`` (default 15). GPS fixes are tens of metres off, and a
  phone's error persists over a stay, so the test is on the person's *centroid* during
  the stay: within ``distance_m`` (the epidemiological distance, default 20 m for GPS)
  plus ``gps_margin_m`` (the error of two phones' fixes, calibrated on the synthetic
  city: see ``docs/trace.md``). Base stations cannot resolve metres: sharing the index
  case's tower in the same 5-minute bins makes a low-risk "nearby" contact only.
* **venue visit** — a check-in or card payment at a place of the route, overlapping
  the stay widened by ``venue_buffer_min``. Some venue kinds (clubs, karaoke, churches,
  call centres: Korea's 2020 clusters) count any overlap.
* **household** — members of the index case's household, for the whole window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.trace.places import Places
from outbreak.trace.route import RouteRule, RouteStay
from outbreak.types import ExposureKind, RiskLevel

Ints = NDArray[np.int64]
GPS, TELECOM = 0, 1
HALF_BIN_S = 150
RISK_ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}
HIGH_RISK_KINDS = MappingProxyType(
    {"bar_club": 0.0, "karaoke": 0.0, "church": 0.0, "call_centre": 0.0}
)


@dataclass(frozen=True)
class ContactRule:
    """What makes a close contact; every value can be set per investigation.

    ``ContactRule()``, ``ContactRule(distance_m=2, min_minutes=15)``,
    ``ContactRule(venue_min_minutes={"gym": 5})`` (minutes per venue kind; kinds not
    named use ``min_minutes``).
    """

    distance_m: float = 20
    min_minutes: float = 15
    gps_margin_m: float = 25
    venue_buffer_min: float = 30
    venue_min_minutes: Mapping[str, float] = field(
        default_factory=lambda: HIGH_RISK_KINDS
    )
    search_m: float = 150  # how far around a stay candidates are read
    max_gap_min: float = 15  # a longer gap in someone's fixes ends their presence

    def __post_init__(self) -> None:
        for name in ("distance_m", "gps_margin_m", "search_m", "max_gap_min"):
            if not getattr(self, name) > 0:
                raise InvalidInput(
                    f"{name} must be positive, got {getattr(self, name)}", field=name
                )
        for name in ("min_minutes", "venue_buffer_min"):
            if getattr(self, name) < 0:
                raise InvalidInput(f"{name} must not be negative", field=name)
        if self.search_m < self.distance_m + self.gps_margin_m:
            raise InvalidInput(
                "search_m must cover distance_m + gps_margin_m", field="search_m"
            )
        object.__setattr__(
            self, "venue_min_minutes", MappingProxyType(dict(self.venue_min_minutes))
        )

    def minutes_for(self, kind: str | None) -> float:
        """The cumulative minutes that make a contact at a place of ``kind``."""
        return self.venue_min_minutes.get(kind or "", self.min_minutes)


@dataclass(frozen=True)
class Candidates:
    """Other people's pings near the route: key64, time, position, source (0/1)."""

    person: Ints
    t: Ints
    x_dm: Ints
    y_dm: Ints
    source: NDArray[np.int8]

    @classmethod
    def empty(cls) -> Candidates:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, e, e, np.empty(0, dtype=np.int8))


@dataclass(frozen=True)
class PlaceVisits:
    """Visits by anyone at the route's places: key64, place, time, source."""

    person: Ints
    place_id: Ints
    t: Ints
    source: tuple[str, ...]

    @classmethod
    def empty(cls) -> PlaceVisits:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, e, ())


@dataclass(frozen=True)
class Contact:
    """A close contact found by the engine (a person known by their key64)."""

    person: int
    kind: ExposureKind
    t_start: int
    t_end: int
    minutes: float
    distance_m: float | None
    risk: RiskLevel
    place_id: int | None
    sources: frozenset[str]


def _group_median(
    values: Ints, person: Ints, starts: Ints, n: Ints
) -> NDArray[np.float64]:
    """The median of ``values`` within each run of equal ``person`` (sorted by it)."""
    v = values[np.lexsort((values, person))]
    return np.asarray(
        (v[starts + (n - 1) // 2] + v[starts + n // 2]) / 2, dtype=np.float64
    )


def _gps_co_location(
    stay: RouteStay, c: Candidates, idx: Ints, rule: ContactRule, need_s: float
) -> list[Contact]:
    """Vectorised over people: the median of each person's fixes during the stay,
    and their seconds present (runs of fixes split at gaps, each fix half a bin)."""
    g = idx[c.source[idx] == GPS]
    if not len(g):
        return []
    g = g[np.lexsort((c.t[g], c.person[g]))]
    p, t = c.person[g], c.t[g]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    n = np.diff(np.r_[starts, len(g)])
    cx = _group_median(c.x_dm[g], p, starts, n)
    cy = _group_median(c.y_dm[g], p, starts, n)
    dist_m = np.hypot(cx - stay.x_dm, cy - stay.y_dm) / 10
    new_run = np.r_[True, (p[1:] != p[:-1]) | (np.diff(t) > rule.max_gap_min * 60)]
    run_first = t[new_run]
    run_last = t[np.r_[new_run[1:], True]]
    run_s = np.clip(
        np.minimum(stay.t_end, run_last + HALF_BIN_S)
        - np.maximum(stay.t_start, run_first - HALF_BIN_S),
        0,
        None,
    )
    person_of_run = np.cumsum(np.r_[True, p[1:] != p[:-1]])[new_run] - 1
    seconds = np.bincount(person_of_run, weights=run_s, minlength=len(starts))
    first = np.maximum(stay.t_start, t[starts] - HALF_BIN_S)
    last = np.minimum(stay.t_end, t[starts + n - 1] + HALF_BIN_S)
    ok = (dist_m <= rule.distance_m + rule.gps_margin_m) & (seconds >= max(need_s, 1))
    return [
        Contact(
            int(p[starts[k]]),
            ExposureKind.CO_LOCATION,
            int(first[k]),
            int(last[k]),
            float(seconds[k]) / 60,
            round(float(dist_m[k]), 1),
            RiskLevel.HIGH if dist_m[k] <= rule.distance_m else RiskLevel.MEDIUM,
            stay.place_id,
            frozenset({"gps"}),
        )
        for k in np.flatnonzero(ok)
    ]


def _telecom_nearby(
    stay: RouteStay, c: Candidates, idx: Ints, rule: ContactRule
) -> list[Contact]:
    """Same tower, same 5-minute bins: a low-risk 'nearby' (base stations only)."""
    tel = idx[
        (c.source[idx] == TELECOM)
        & (c.x_dm[idx] == stay.x_dm)
        & (c.y_dm[idx] == stay.y_dm)
    ]
    out = []
    for person in np.unique(c.person[tel]):
        bins = np.unique(c.t[tel[c.person[tel] == person]] // 300)
        if len(bins) * 5 >= max(rule.min_minutes, 5):
            out.append(
                Contact(
                    int(person),
                    ExposureKind.CO_LOCATION,
                    int(bins[0]) * 300,
                    int(bins[-1]) * 300 + 300,
                    len(bins) * 5.0,
                    None,
                    RiskLevel.LOW,
                    None,
                    frozenset({"telecom"}),
                )
            )
    return out


def _co_located(
    stay: RouteStay, c: Candidates, index: set[int], rule: ContactRule, kind: str | None
) -> list[Contact]:
    sel = (c.t >= stay.t_start) & (c.t <= stay.t_end)
    sel &= np.hypot(c.x_dm - stay.x_dm, c.y_dm - stay.y_dm) <= rule.search_m * 10
    sel &= ~np.isin(c.person, list(index))
    idx = np.flatnonzero(sel)
    if not len(idx):
        return []
    if "gps" in stay.sources:
        return _gps_co_location(stay, c, idx, rule, rule.minutes_for(kind) * 60)
    if "telecom" in stay.sources:
        return _telecom_nearby(stay, c, idx, rule)
    return []


def _visit_span(t: int, source: str, route: RouteRule) -> tuple[int, int]:
    if source == "card":
        half = int(route.card_half_window_min * 60)
        return t - half, t + half
    return t, t + int(route.checkin_dwell_min * 60)


def _venue(
    stay: RouteStay,
    v: PlaceVisits,
    index: set[int],
    rule: ContactRule,
    route: RouteRule,
    kind: str | None,
) -> list[Contact]:
    if stay.place_id is None:
        return []
    buffer = int(rule.venue_buffer_min * 60)
    a, b = stay.t_start - buffer, stay.t_end + buffer
    need = rule.minutes_for(kind)
    out = []
    for k in np.flatnonzero(v.place_id == stay.place_id):
        person = int(v.person[k])
        if person in index:
            continue
        s, e = _visit_span(int(v.t[k]), v.source[k], route)
        overlap = min(b, e) - max(a, s)
        if overlap <= 0 or overlap < need * 60:
            continue
        risk = RiskLevel.HIGH if kind in rule.venue_min_minutes else RiskLevel.MEDIUM
        out.append(
            Contact(
                person,
                ExposureKind.VENUE_VISIT,
                max(a, s),
                min(b, e),
                overlap / 60,
                None,
                risk,
                stay.place_id,
                frozenset({v.source[k]}),
            )
        )
    return out


def merge_contacts(found: list[Contact]) -> list[Contact]:
    """One contact per (person, kind): windows joined, minutes added, highest risk."""
    merged: dict[tuple[int, ExposureKind], Contact] = {}
    for c in found:
        key = (c.person, c.kind)
        m = merged.get(key)
        if m is None:
            merged[key] = c
            continue
        dist = [d for d in (m.distance_m, c.distance_m) if d is not None]
        merged[key] = replace(
            m,
            t_start=min(m.t_start, c.t_start),
            t_end=max(m.t_end, c.t_end),
            minutes=m.minutes + c.minutes,
            distance_m=min(dist) if dist else None,
            risk=max(m.risk, c.risk, key=RISK_ORDER.__getitem__),
            place_id=m.place_id if m.place_id is not None else c.place_id,
            sources=m.sources | c.sources,
        )
    return sorted(
        merged.values(), key=lambda c: (-RISK_ORDER[c.risk], -c.minutes, c.person)
    )


def find_contacts(
    route: list[RouteStay],
    /,
    *,
    index: set[int],
    candidates: Candidates,
    visits: PlaceVisits,
    household: set[int],
    window: tuple[int, int],
    places: Places,
    rule: ContactRule | None = None,
    route_rule: RouteRule | None = None,
) -> list[Contact]:
    """Every close contact of the person whose keys are ``index`` on ``route``."""
    rule, route_rule = rule or ContactRule(), route_rule or RouteRule()
    found: list[Contact] = [
        Contact(
            p,
            ExposureKind.HOUSEHOLD,
            window[0],
            window[1],
            (window[1] - window[0]) / 60,
            None,
            RiskLevel.HIGH,
            None,
            frozenset({"registry"}),
        )
        for p in sorted(household - index)
    ]
    for stay in route:
        place = places.get(stay.place_id) if stay.place_id is not None else None
        kind = place.kind if place else None
        found += _co_located(stay, candidates, index, rule, kind)
        found += _venue(stay, visits, index, rule, route_rule, kind)
    return merge_contacts(found)
