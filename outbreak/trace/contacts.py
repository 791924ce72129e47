"""Close contacts of an index case: who was with them, where, how long, how near.

Three ways to be a contact, each a rule with its parameters in :class:`ContactRule`:

* **co-location** — another person's GPS fixes put them at the index case's stay for
  a cumulative ``min_minutes`` (default 15): read from everyone's stays (people who
  dwelt there), or from every fix with ``passers_by``. GPS fixes are tens of metres
  off, and a phone's error persists over a stay, so the test is on the person's
  *centroid* during the stay: within ``distance_m`` (the epidemiological distance,
  default 20 m for GPS) plus ``gps_margin_m`` (the error of two phones' fixes,
  calibrated on the synthetic city: see ``docs/trace.md``). Base stations cannot
  resolve metres: sharing the index case's tower in the same 5-minute bins makes a
  low-risk "nearby" contact only.
* **venue visit** — a check-in or card payment at a place of the route, overlapping
  the stay widened by ``venue_buffer_min``. Some venue kinds (clubs, karaoke, churches,
  call centres: Korea's 2020 clusters) count any overlap.
* **household** — members of the index case's household, for the whole window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.trace.places import Places
from outbreak.trace.route import RouteRule, RouteStay
from outbreak.trace.stays import HALF_BIN_S
from outbreak.types import ExposureKind, RiskLevel

Ints = NDArray[np.int64]
GPS, TELECOM = 0, 1
RISKS = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)  # in rising order
RISK_ORDER = {r: i for i, r in enumerate(RISKS)}
LOW, MEDIUM, HIGH = range(3)
C = TypeVar("C", "Presences", "PlaceVisits")
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
    search_m: float = 0  # how far around a stay fixes are read; 0: max(150, reach)
    max_gap_min: float = 15  # a longer gap in someone's fixes ends their presence
    # also people who never stayed put near the case (a market, a march): every fix
    # near a stay is read instead of everyone's stays — slower
    passers_by: bool = False

    def __post_init__(self) -> None:
        if self.search_m == 0:
            reach = self.distance_m + self.gps_margin_m
            object.__setattr__(self, "search_m", max(150.0, reach))
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
        object.__setattr__(  # the user's values over the high-risk defaults
            self,
            "venue_min_minutes",
            MappingProxyType({**HIGH_RISK_KINDS, **self.venue_min_minutes}),
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
class Presences:
    """Other people at each stay of a route: one row per (stay, person, source) with
    the mean of their fixes, the 5-minute bins they were seen in, first and last fix.

    The engine computes them in DuckDB next to the data; :func:`presences` is the
    same aggregation in NumPy (for fixes already in memory, and as its reference).
    """

    stay: Ints  # index into the route
    person: Ints
    x_dm: NDArray[np.float64]
    y_dm: NDArray[np.float64]
    bins: Ints
    first: Ints
    last: Ints
    source: NDArray[np.int8]

    @classmethod
    def empty(cls) -> Presences:
        e = np.empty(0, dtype=np.int64)
        f = np.empty(0, dtype=np.float64)
        return cls(e, e, f, f, e, e, e, np.empty(0, dtype=np.int8))

    @classmethod
    def concat(cls, parts: list[Presences]) -> Presences:
        return _concat(cls, parts) if parts else cls.empty()


def _concat(cls: type[C], parts: list[C]) -> C:
    """Column-wise concatenation of a dataclass of equal-length arrays."""
    return cls(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls))
    )


def presences(route: list[RouteStay], c: Candidates, *, search_m: float) -> Presences:
    """Aggregate raw fixes into :class:`Presences` (GPS: within ``search_m`` of the
    stay; base stations: at the stay's own tower)."""
    parts = []
    for k, stay in enumerate(route):
        sel = (c.t >= stay.t_start) & (c.t <= stay.t_end)
        gps = sel & (c.source == GPS)
        gps &= np.hypot(c.x_dm - stay.x_dm, c.y_dm - stay.y_dm) <= search_m * 10
        tel = (
            sel & (c.source == TELECOM) & (c.x_dm == stay.x_dm) & (c.y_dm == stay.y_dm)
        )
        for source, mask in ((GPS, gps), (TELECOM, tel)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            people, group = np.unique(c.person[idx], return_inverse=True)
            n = np.bincount(group)
            bins = np.array(
                [
                    len(np.unique(c.t[idx][group == g] // 300))
                    for g in range(len(people))
                ]
            )
            first = np.full(len(people), np.iinfo(np.int64).max)
            last = np.full(len(people), np.iinfo(np.int64).min)
            np.minimum.at(first, group, c.t[idx])
            np.maximum.at(last, group, c.t[idx])
            parts.append(
                Presences(
                    np.full(len(people), k),
                    people,
                    np.bincount(group, weights=c.x_dm[idx]) / n,
                    np.bincount(group, weights=c.y_dm[idx]) / n,
                    bins,
                    first,
                    last,
                    np.full(len(people), source, dtype=np.int8),
                )
            )
    return Presences.concat(parts)


@dataclass(frozen=True)
class PlaceVisits:
    """Visits by anyone at the route's places: key64, place, time, source.

    ``source`` may be given as any sequence of names; it is kept as an array (a
    fortnight of a hundred cases' places holds millions of visits, and per-visit
    Python strings cost seconds).
    """

    person: Ints
    place_id: Ints
    t: Ints
    source: NDArray[np.object_]

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", np.asarray(self.source, dtype=object))

    @classmethod
    def empty(cls) -> PlaceVisits:
        e = np.empty(0, dtype=np.int64)
        return cls(e, e, e, np.empty(0, dtype=object))

    @classmethod
    def concat(cls, parts: list[PlaceVisits]) -> PlaceVisits:
        return _concat(cls, parts) if parts else cls.empty()

    def only(self, keep: NDArray[np.bool_] | Ints) -> PlaceVisits:
        """The visits ``keep`` selects (a mask or positions)."""
        return PlaceVisits(
            self.person[keep], self.place_id[keep], self.t[keep], self.source[keep]
        )

    def of_sources(self, sources: Iterable[str]) -> PlaceVisits:
        """Only the visits from these feeds."""
        keep = np.zeros(len(self.source), dtype=bool)
        for name in set(sources):
            keep |= self.source == name
        return self.only(keep)

    @cached_property
    def card(self) -> NDArray[np.bool_]:
        """Which visits are card payments (± a window; a check-in is a dwell)."""
        return np.asarray(self.source == "card", dtype=bool)


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


def _per_person(
    kind: ExposureKind,
    rows: dict[str, NDArray[Any]],
    source: NDArray[np.object_],
) -> list[Contact]:
    """One contact per person from per-row exposures, merged as
    :func:`merge_contacts` merges (earliest start, latest end, seconds added, nearest
    distance, highest risk, every source; the place is the one shared longest), in
    the order each person first appears — on arrays, not one object per row.

    ``rows`` holds ``person``, ``first``, ``last``, ``seconds`` (ints), ``dist_m``
    (NaN: unknown), ``risk`` (index into ``RISKS``) and ``place`` (-1: none).
    """
    if not len(rows["person"]):
        return []
    order = np.argsort(rows["person"], kind="stable")
    sorted_person = rows["person"][order]
    starts = np.flatnonzero(np.r_[True, sorted_person[1:] != sorted_person[:-1]])
    person = sorted_person[starts]
    at = {k: v[order] for k, v in rows.items()}
    first = np.minimum.reduceat(at["first"], starts)
    last = np.maximum.reduceat(at["last"], starts)
    seconds = np.add.reduceat(at["seconds"], starts)
    dist = np.fmin.reduceat(at["dist_m"], starts)
    risk = np.maximum.reduceat(at["risk"], starts)
    # the named place they shared longest (then the lowest id): an answer that
    # does not hang on the order the rows came in
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    named = at["place"] >= 0
    best = np.lexsort((at["place"], -at["seconds"], ~named, group))[starts]
    place = np.where(named[best], at["place"][best], -1)
    # every feed that saw them: one bit per feed name, OR-ed per person
    names, code = np.unique(source, return_inverse=True)
    bits = np.bitwise_or.reduceat(
        np.left_shift(1, code.astype(np.int64))[order], starts
    )
    feeds = {
        m: frozenset(str(n) for i, n in enumerate(names) if m >> i & 1)
        for m in np.unique(bits).tolist()
    }
    g = np.argsort(np.minimum.reduceat(order, starts), kind="stable")  # as first seen
    return [
        Contact(
            who,
            kind,
            t0,
            t1,
            secs / 60,
            None if d != d else round(d, 1),  # NaN: no distance
            RISKS[r],
            None if pl < 0 else pl,
            feeds[m],
        )
        for who, t0, t1, secs, d, r, pl, m in zip(
            person[g].tolist(),
            first[g].tolist(),
            last[g].tolist(),
            seconds[g].tolist(),
            dist[g].tolist(),
            risk[g].tolist(),
            place[g].tolist(),
            bits[g].tolist(),
            strict=True,
        )
    ]


def _co_located(
    route: list[RouteStay],
    p: Presences,
    index: set[int],
    rule: ContactRule,
    needs_s: NDArray[np.float64],
) -> list[Contact]:
    """Contacts from presences, vectorised over (stay, person) rows.

    GPS: the mean of a person's fixes within ``distance_m`` + ``gps_margin_m`` of the
    stay's centroid, for the minutes the stay's kind needs (5 per bin seen). Base
    stations, only at stays without GPS: the same tower for the minutes.
    """
    if not len(p.person) or not route:
        return []
    sx = np.array([s.x_dm for s in route], dtype=np.float64)
    sy = np.array([s.y_dm for s in route], dtype=np.float64)
    t0 = np.array([s.t_start for s in route])
    t1 = np.array([s.t_end for s in route])
    place = np.array([-1 if s.place_id is None else s.place_id for s in route])
    has_gps = np.array(["gps" in s.sources for s in route])
    has_tel = np.array(["telecom" in s.sources for s in route])
    k = p.stay
    dist_m = np.hypot(p.x_dm - sx[k], p.y_dm - sy[k]) / 10
    seconds = np.minimum(p.bins * 300, t1[k] - t0[k])
    first = np.maximum(t0[k], p.first - HALF_BIN_S)
    last = np.minimum(t1[k], p.last + HALF_BIN_S)
    mine = np.isin(p.person, list(index))
    gps_ok = (p.source == GPS) & has_gps[k] & ~mine
    gps_ok &= dist_m <= rule.distance_m + rule.gps_margin_m
    gps_ok &= seconds >= np.maximum(needs_s[k], 1)
    tel_ok = (p.source == TELECOM) & ~has_gps[k] & has_tel[k] & ~mine
    tel_ok &= p.bins * 5 >= max(rule.min_minutes, 5)
    near = dist_m <= rule.distance_m
    gps = {
        "person": p.person[gps_ok],
        "first": first[gps_ok],
        "last": last[gps_ok],
        "seconds": seconds[gps_ok],
        "dist_m": dist_m[gps_ok],
        "risk": np.where(near[gps_ok], HIGH, MEDIUM),
        "place": place[k[gps_ok]],
    }
    n_tel = int(tel_ok.sum())
    tel = {
        "person": p.person[tel_ok],
        "first": first[tel_ok],
        "last": last[tel_ok],
        "seconds": p.bins[tel_ok] * 300,
        "dist_m": np.full(n_tel, np.nan),
        "risk": np.full(n_tel, LOW),
        "place": np.full(n_tel, -1),
    }
    return _per_person(
        ExposureKind.CO_LOCATION, gps, np.full(len(gps["person"]), "gps", object)
    ) + _per_person(ExposureKind.CO_LOCATION, tel, np.full(n_tel, "telecom", object))


def _venue(
    stays: list[RouteStay],
    v: PlaceVisits,
    index: set[int],
    rule: ContactRule,
    route: RouteRule,
    kind: str | None,
) -> list[Contact]:
    """Visits at one place overlapping any of the case's (buffered) stays there;
    each visit counted once, however many stays it touches."""
    buffer = int(rule.venue_buffer_min * 60)
    windows: list[list[int]] = []
    for stay in sorted(stays, key=lambda st: st.t_start):
        a, b = stay.t_start - buffer, stay.t_end + buffer
        if windows and a <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], b)
        else:
            windows.append([a, b])
    at = np.flatnonzero(v.place_id == stays[0].place_id)
    at = at[~np.isin(v.person[at], np.fromiter(index, np.int64, len(index)))]
    half = int(route.card_half_window_min * 60)
    card = v.card[at]
    s = np.where(card, v.t[at] - half, v.t[at])
    e = np.where(card, v.t[at] + half, v.t[at] + int(route.checkin_dwell_min * 60))
    lo = np.array([[w[0]] for w in windows], np.int64)  # windows × 1
    hi = np.array([[w[1]] for w in windows], np.int64)
    starts, ends = np.maximum(lo, s), np.minimum(hi, e)  # windows × visits
    meets = ends > starts
    overlap = np.where(meets, ends - starts, 0).sum(axis=0)
    keep = meets.any(axis=0) & (overlap >= rule.minutes_for(kind) * 60)
    first = np.where(meets, starts, np.iinfo(np.int64).max).min(axis=0)
    last = np.where(meets, ends, np.iinfo(np.int64).min).max(axis=0)
    n = int(keep.sum())
    rows = {
        "person": v.person[at[keep]],
        "first": first[keep],
        "last": last[keep],
        "seconds": overlap[keep],
        "dist_m": np.full(n, np.nan),
        "risk": np.full(n, HIGH if kind in HIGH_RISK_KINDS else MEDIUM),
        "place": np.full(n, stays[0].place_id),
    }
    return _per_person(ExposureKind.VENUE_VISIT, rows, v.source[at[keep]])


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
    presences: Presences,
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
    kinds = []
    for stay in route:
        place = places.get(stay.place_id) if stay.place_id is not None else None
        kinds.append(place.kind if place else None)
    needs = np.array([rule.minutes_for(kind) * 60 for kind in kinds], dtype=np.float64)
    found += _co_located(route, presences, index, rule, needs)
    at_place: dict[int, list[int]] = {}
    for k, stay in enumerate(route):
        if stay.place_id is not None:
            at_place.setdefault(stay.place_id, []).append(k)
    for ks in at_place.values():
        found += _venue(
            [route[k] for k in ks], visits, index, rule, route_rule, kinds[ks[0]]
        )
    return merge_contacts(found)
