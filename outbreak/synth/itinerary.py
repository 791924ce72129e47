"""Daily itineraries: each person's stays (place, arrival, departure) for one day.

Stays are built slot by slot for a whole chunk at once (no Python loop over people):
home → work or school (with a lunch out for half the workers) → an evening venue for
some → home on weekdays; one or two outings, or church on Sunday, at weekends. Travel
between stays takes distance / 20 km/h. Times are seconds since local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outbreak.synth import params as P
from outbreak.synth.city import KIND, City, Residents, rng_for, seats

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
HOME_ID_BASE = 1_000_000_000  # place id of a home = base + household
DAY_S = 86_400


@dataclass
class Stays:
    """Stays of one chunk on one day, sorted by (pid, start)."""

    pid: Ints
    place: Ints
    kind: Ints
    start: Ints
    end: Ints
    x: Floats
    y: Floats

    def __len__(self) -> int:
        return len(self.pid)


def _venue_near(
    city: City, rng: np.random.Generator, kinds: list[str], gu: Ints
) -> Ints:
    """A venue of one of ``kinds`` per person, popular ones more often, in their gu."""
    places = city.places
    out = np.empty(len(gu), dtype=np.int64)
    pick = rng.integers(0, len(kinds), len(gu))
    for k, kind in enumerate(kinds):
        ids_k = np.flatnonzero(places.kind == KIND[kind])
        for g in np.unique(gu[pick == k]):
            who = np.flatnonzero((pick == k) & (gu == g))
            local = ids_k[places.gu[ids_k] == g]
            pool = local if len(local) else ids_k
            cum = np.cumsum(places.popularity[pool])
            out[who] = pool[np.searchsorted(cum, rng.uniform(0, cum[-1], len(who)))]
    return out


def _travel_s(x0: Floats, y0: Floats, x1: Floats, y1: Floats) -> Ints:
    metres = np.hypot(x1 - x0, y1 - y0)
    return np.maximum(300, metres / (P.SPEED_KMH / 3.6)).astype(np.int64)


def day_stays(city: City, people: Residents, day: int, weekday: int) -> Stays:
    """Stays of ``people`` on ``day`` (0-based) whose weekday is ``weekday`` (Mon=0)."""
    rng = rng_for(city.seed, 3, int(people.pid[0]) // 50_000, day)
    n = len(people)
    pl = city.places
    slots: list[tuple[NDArray[np.bool_], Ints, Ints]] = []  # (active, place, duration)
    weekend = weekday >= 5
    if not weekend:
        worker = people.work >= 0
        pupil = people.school >= 0
        main = np.where(worker, people.work, people.school)
        busy = worker | pupil
        day_len = np.where(
            worker, rng.normal(9.5, 1.0, n) * 3600, rng.normal(7.0, 0.5, n) * 3600
        ).astype(np.int64)
        lunch = worker & (rng.random(n) < 0.5)
        before = (day_len * rng.uniform(0.35, 0.45, n)).astype(np.int64)
        lunch_len = rng.integers(40, 70, n) * 60
        slots.append((busy, main, np.where(lunch, before, day_len)))
        slots.append(
            (
                lunch,
                _venue_near(city, rng, ["restaurant", "cafe"], pl.gu[main]),
                lunch_len,
            )
        )
        slots.append((lunch, main, day_len - before - lunch_len))
        evening = np.where(people.age < 20, rng.random(n) < 0.25, rng.random(n) < 0.3)
        kinds = ["restaurant", "bar_club", "karaoke", "gym", "pc_room", "cafe"]
        slots.append(
            (
                evening,
                _venue_near(city, rng, kinds, people.gu),
                rng.integers(60, 180, n) * 60,
            )
        )
        errand = ~busy & (rng.random(n) < 0.7)
        errands = ["pharmacy", "cafe", "restaurant", "hospital", "pharmacy"]
        slots.insert(
            0,
            (
                errand,
                _venue_near(city, rng, errands, people.gu),
                rng.integers(30, 120, n) * 60,
            ),
        )
        leave = np.where(busy, rng.normal(8.0, 0.6, n), rng.normal(10.5, 1.0, n)) * 3600
    else:
        church = (weekday == 6) & (rng.random(n) < 0.15)
        outing = rng.random(n) < 0.6
        kinds = [
            "restaurant",
            "cafe",
            "karaoke",
            "pc_room",
            "gym",
            "bar_club",
            "pharmacy",
        ]
        slots.append(
            (
                church,
                _venue_near(city, rng, ["church"], people.gu),
                rng.integers(90, 150, n) * 60,
            )
        )
        slots.append(
            (
                outing,
                _venue_near(city, rng, kinds, people.gu),
                rng.integers(60, 180, n) * 60,
            )
        )
        slots.append(
            (
                outing & (rng.random(n) < 0.4),
                _venue_near(city, rng, kinds, people.gu),
                rng.integers(45, 120, n) * 60,
            )
        )
        leave = (
            np.where(church, rng.normal(9.5, 0.3, n), rng.normal(12.5, 1.5, n)) * 3600
        )
    return _assemble(
        city, people, slots, np.clip(leave, 5 * 3600, 20 * 3600).astype(np.int64)
    )


def _assemble(
    city: City,
    people: Residents,
    slots: list[tuple[NDArray[np.bool_], Ints, Ints]],
    leave: Ints,
) -> Stays:
    """Chain the active slots: home, then each stay after travel, then home.

    Each stay is at the person's seat on the place's floor: the same desk every day
    at work and school.
    """
    n = len(people)
    pl = city.places
    home = HOME_ID_BASE + people.household
    rows: list[tuple[Ints, Ints, Ints, Ints, Ints, Floats, Floats]] = []
    t = leave.copy()
    x, y = people.home_x.copy(), people.home_y.copy()
    any_out = np.zeros(n, dtype=bool)
    starts: list[Ints] = []
    for active, place, dur in slots:
        dx, dy = seats(people.pid, place, pl.side[place])
        px, py = pl.x[place] + dx, pl.y[place] + dy
        arrive = t + _travel_s(x, y, px, py)
        depart = arrive + np.maximum(dur, 600)
        ok = active & (depart < DAY_S - 3600)
        idx = np.flatnonzero(ok)
        rows.append(
            (
                people.pid[idx],
                place[idx],
                pl.kind[place[idx]],
                arrive[idx],
                depart[idx],
                px[idx],
                py[idx],
            )
        )
        starts.append(np.where(ok, arrive, -1))
        t = np.where(ok, depart, t)
        x, y = np.where(ok, px, x), np.where(ok, py, y)
        any_out |= ok
    back = np.where(any_out, t + _travel_s(x, y, people.home_x, people.home_y), DAY_S)
    first_leave = np.full(n, DAY_S)
    for s in starts:  # the first stay out ends the morning at home
        first_leave = np.where((s >= 0) & (first_leave == DAY_S), leave, first_leave)
    rows.append(
        (
            people.pid,
            home,
            np.full(n, KIND["home"]),
            np.zeros(n, dtype=np.int64),
            np.where(any_out, first_leave, DAY_S),
            people.home_x,
            people.home_y,
        )
    )
    evening = np.flatnonzero(any_out & (back < DAY_S))
    rows.append(
        (
            people.pid[evening],
            home[evening],
            np.full(len(evening), KIND["home"]),
            back[evening],
            np.full(len(evening), DAY_S),
            people.home_x[evening],
            people.home_y[evening],
        )
    )
    cols = [np.concatenate([r[i] for r in rows]) for i in range(7)]
    order = np.lexsort((cols[3], cols[0]))
    return Stays(*(c[order] for c in cols))
