"""A case's route: stays from pings, named and confirmed by card and check-in visits.

GPS stays come first (tens of metres); base-station stays (hundreds of metres) fill
only time that GPS does not cover; every visit (card payment, KI-Pass QR, 안심콜) either
names and confirms the stay it falls in, or becomes a stay of its own. Each stay
carries its sources and a confidence:

=========================  ==========  ===============================================
strongest evidence          confidence  why
=========================  ==========  ===============================================
GPS stay at a known place   0.8         fixes agree within tens of metres, place named
GPS stay, no place          0.7         position good, place unknown
check-in (QR / 안심콜)        0.6         place certain, how long unknown
card payment                0.5         place certain, a moment only
base-station stay           0.3         hundreds of metres, often several places
=========================  ==========  ===============================================

Each further independent source adds 0.15 (up to 0.99).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from outbreak.trace.places import Places
from outbreak.trace.stays import StayRule, detect_stays

Ints = NDArray[np.int64]
BASE_CONFIDENCE = {
    "gps_place": 0.8,
    "gps": 0.7,
    "qr": 0.6,
    "phone": 0.6,
    "card": 0.5,
    "interview": 0.5,
    "telecom": 0.3,
}
EXTRA_SOURCE = 0.15
CHECKINS = ("qr", "phone")


@dataclass(frozen=True)
class RouteRule:
    """Parameters of route building (defaults suit GPS at 5-minute fixes)."""

    gps: StayRule = field(default_factory=StayRule)
    telecom: StayRule = field(
        default_factory=lambda: StayRule(radius_m=600, dwell_min=20)
    )
    snap_m: float = 40  # a GPS stay this near a registered place is at that place
    visit_match_m: float = 150  # a visit this near a stay, in time, belongs to it
    visit_tolerance_min: float = 15
    checkin_dwell_min: float = 60  # assumed length of a stay known only by a check-in
    card_half_window_min: float = 15  # a payment stands for ± this many minutes


@dataclass(frozen=True)
class Track:
    """One person's located observations of one source, sorted by time."""

    t: Ints
    x_dm: Ints
    y_dm: Ints

    @classmethod
    def empty(cls) -> Track:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, e)


@dataclass(frozen=True)
class Visits:
    """One person's visits: time, place, source (card, qr, phone)."""

    t: Ints
    place_id: Ints
    source: tuple[str, ...]

    @classmethod
    def empty(cls) -> Visits:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, ())


@dataclass(frozen=True)
class RouteStay:
    """One stay of a route."""

    t_start: int
    t_end: int
    x_dm: int
    y_dm: int
    place_id: int | None
    sources: frozenset[str]
    confidence: float
    n_pings: int = 0
    spread_m: float = 0.0

    @property
    def minutes(self) -> float:
        return (self.t_end - self.t_start) / 60

    def with_source(self, source: str) -> RouteStay:
        if source in self.sources:
            return self
        return replace(
            self,
            sources=self.sources | {source},
            confidence=min(0.99, self.confidence + EXTRA_SOURCE),
        )


def _ping_stays(track: Track, rule: StayRule, source: str) -> list[RouteStay]:
    if len(track.t) == 0:
        return []
    s = detect_stays(track.t, track.x_dm, track.y_dm, rule)
    x, y = s.x_dm.copy(), s.y_dm.copy()
    if (
        source == "telecom"
    ):  # a base-station stay is at its most-used tower, not between
        for k in range(len(s)):
            inside = (track.t >= s.t_start[k]) & (track.t <= s.t_end[k])
            towers, counts = np.unique(
                np.column_stack([track.x_dm[inside], track.y_dm[inside]]),
                axis=0,
                return_counts=True,
            )
            x[k], y[k] = towers[np.argmax(counts)]
    return [
        RouteStay(
            int(s.t_start[k]),
            int(s.t_end[k]),
            int(x[k]),
            int(y[k]),
            None,
            frozenset({source}),
            BASE_CONFIDENCE[source],
            int(s.n[k]),
            float(s.spread_m[k]),
        )
        for k in range(len(s))
    ]


def _overlap(a: RouteStay, b: RouteStay) -> int:
    return max(0, min(a.t_end, b.t_end) - max(a.t_start, b.t_start))


def _snap(stay: RouteStay, places: Places, within_m: float) -> RouteStay:
    place = places.nearest(stay.x_dm, stay.y_dm, within_m)
    if place is None:
        return stay
    return replace(stay, place_id=place.id, confidence=BASE_CONFIDENCE["gps_place"])


def _visit_stay(
    t: int, place_id: int, source: str, places: Places, rule: RouteRule
) -> RouteStay | None:
    place = places.get(place_id)
    if place is None:
        return None
    if source == "card":
        half = int(rule.card_half_window_min * 60)
        a, b = t - half, t + half
    else:
        a, b = t, t + int(rule.checkin_dwell_min * 60)
    return RouteStay(
        a,
        b,
        place.x_dm,
        place.y_dm,
        place.id,
        frozenset({source}),
        BASE_CONFIDENCE[source],
    )


def _attach(
    stays: list[RouteStay],
    t: int,
    place_id: int,
    source: str,
    places: Places,
    rule: RouteRule,
) -> bool:
    """Name and confirm the stay a visit falls in; False if there is none."""
    place = places.get(place_id)
    if place is None:
        return False
    tol = int(rule.visit_tolerance_min * 60)
    best, best_d = -1, math.inf
    for k, s in enumerate(stays):
        if s.t_start - tol <= t <= s.t_end + tol:
            d = math.hypot(s.x_dm - place.x_dm, s.y_dm - place.y_dm) / 10
            reach = rule.visit_match_m + (600 if "gps" not in s.sources else 0)
            if d <= reach and d < best_d and s.place_id in (None, place_id):
                best, best_d = k, d
    if best < 0:
        return False
    s = stays[best]
    named = replace(s, place_id=place_id) if s.place_id is None else s
    stays[best] = named.with_source(source)
    return True


def build_route(
    *,
    gps: Track,
    telecom: Track,
    visits: Visits,
    places: Places,
    rule: RouteRule | None = None,
) -> list[RouteStay]:
    """Merge one person's pings and visits into a route of stays, in time order."""
    rule = rule or RouteRule()
    stays = [_snap(s, places, rule.snap_m) for s in _ping_stays(gps, rule.gps, "gps")]
    for s in _ping_stays(telecom, rule.telecom, "telecom"):
        covered = sum(_overlap(s, g) for g in stays if "gps" in g.sources)
        if covered < 0.5 * (s.t_end - s.t_start):  # GPS already says where
            stays.append(s)
    stays.sort(key=lambda s: s.t_start)
    extra: list[RouteStay] = []
    for t, place_id, source in zip(
        visits.t, visits.place_id, visits.source, strict=True
    ):
        if not _attach(stays, int(t), int(place_id), source, places, rule):
            own = _visit_stay(int(t), int(place_id), source, places, rule)
            if own is not None:
                extra.append(own)
    return sorted(_merge_visit_stays(extra) + stays, key=lambda s: s.t_start)


def _merge_visit_stays(stays: list[RouteStay]) -> list[RouteStay]:
    """Visits at one place that overlap in time (a check-in and a payment) are one."""
    out: list[RouteStay] = []
    for s in sorted(stays, key=lambda s: (s.place_id or -1, s.t_start)):
        prev = out[-1] if out else None
        if prev and prev.place_id == s.place_id and s.t_start <= prev.t_end:
            merged = replace(prev, t_end=max(prev.t_end, s.t_end))
            for source in s.sources:
                merged = merged.with_source(source)
            out[-1] = merged
        else:
            out.append(s)
    return out
