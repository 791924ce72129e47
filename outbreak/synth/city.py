"""The static city: places (venues, schools, workplaces, real pharmacies and clinics),
base-station towers, and people in households — built from a seed, chunk by chunk.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from outbreak.geo.metric import seoul_gu, to_metres
from outbreak.synth import params as P

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
CHUNK = 50_000  # people per chunk: fixed, so a seed gives the same city at any size
TOWER_RASTER_M = 50


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """A generator for one named stream (rule 22: no global RNG)."""
    return np.random.default_rng([seed, *stream])


@dataclass
class Places:
    """Every place people stay at, as columns. ``kind`` indexes ``KINDS``."""

    kind: Ints
    gu: Ints  # index into seoul_gu()
    x: Floats
    y: Floats
    popularity: Floats
    name: list[str]
    phone: list[str]
    side: Floats  # metres: the square floor people sit on, centred on (x, y)
    address: list[str]  # road-name address of the real places, "" for made-up ones

    def __len__(self) -> int:
        return len(self.kind)


KINDS = (
    "home", "workplace", "school", "restaurant", "cafe", "bar_club", "karaoke",
    "church", "gym", "pc_room", "call_centre", "hospital", "pharmacy",
    "screening_clinic",
)  # fmt: skip
KIND = {k: i for i, k in enumerate(KINDS)}


def _gu_weights() -> Floats:
    w = np.array([P.SEOUL_POPULATION_K[g.code] for g in seoul_gu()], dtype=float)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _real_pharmacies() -> tuple[Floats, Floats, list[str], Ints, list[str]]:
    text = resources.files("outbreak.synth").joinpath("data", "seoul_pharmacies.csv")
    rows = list(csv.DictReader(text.read_text("utf-8").splitlines()))
    names = {g.name_ko: i for i, g in enumerate(seoul_gu())}
    rows = [r for r in rows if r["gu"] in names]
    lon = np.array([float(r["longitude"]) for r in rows])
    lat = np.array([float(r["latitude"]) for r in rows])
    x, y = to_metres(lon, lat)
    gu = np.array([names[r["gu"]] for r in rows])
    return x, y, [r["name"] for r in rows], gu, [r["addr"] for r in rows]


def _real_clinics() -> tuple[list[str], list[str], Ints, list[str]]:
    text = resources.files("outbreak.synth").joinpath(
        "data", "seoul_screening_clinics.csv"
    )
    rows = list(csv.DictReader(text.read_text("utf-8").splitlines()))
    names = {g.name_ko: i for i, g in enumerate(seoul_gu())}
    rows = [r for r in rows if r["gu"] in names]
    return (
        [r["name"] for r in rows],
        [r["phone"] for r in rows],
        np.array([names[r["gu"]] for r in rows]),
        [r["addr"] for r in rows],
    )


@dataclass
class City:
    """Places and towers of a city of ``people`` residents."""

    people: int
    seed: int
    places: Places
    towers_x: Floats
    towers_y: Floats
    workplace_ids: Ints
    school_ids: Ints

    def nearest_towers(self, x: Floats, y: Floats) -> tuple[Ints, Ints]:
        """Nearest and second-nearest tower of each point.

        Looked up in a 50 m raster computed once (a k-d tree query per ping was the
        generator's bottleneck); 50 m is far below the towers' spacing.
        """
        if not hasattr(self, "_raster"):
            res = TOWER_RASTER_M
            x0, y0 = self.towers_x.min() - 5000, self.towers_y.min() - 5000
            nx = int((self.towers_x.max() + 5000 - x0) / res) + 1
            ny = int((self.towers_y.max() + 5000 - y0) / res) + 1
            cx, cy = np.meshgrid(
                x0 + (np.arange(nx) + 0.5) * res,
                y0 + (np.arange(ny) + 0.5) * res,
                indexing="ij",
            )
            tree = cKDTree(np.column_stack([self.towers_x, self.towers_y]))
            _, idx = tree.query(np.column_stack([cx.ravel(), cy.ravel()]), k=2)
            self._raster = (x0, y0, nx, ny, idx.astype(np.int32))
        x0, y0, nx, ny, idx = self._raster
        ix = np.clip(((x - x0) / TOWER_RASTER_M).astype(np.int64), 0, nx - 1)
        iy = np.clip(((y - y0) / TOWER_RASTER_M).astype(np.int64), 0, ny - 1)
        cell = ix * ny + iy
        return idx[cell, 0], idx[cell, 1]


def build_city(people: int, seed: int) -> City:
    """Places and towers for ``people`` residents (homes come with the population)."""
    rng = rng_for(seed, 1)
    gus = seoul_gu()
    weights = _gu_weights()
    kinds: list[Ints] = []
    gu_idx: list[Ints] = []
    xs: list[Floats] = []
    ys: list[Floats] = []
    pops: list[Floats] = []
    names: list[str] = []
    phones: list[str] = []

    def add(
        kind: str,
        gu: Ints,
        x: Floats,
        y: Floats,
        label: list[str] | None = None,
        phone: list[str] | None = None,
    ) -> None:
        n = len(gu)
        kinds.append(np.full(n, KIND[kind]))
        gu_idx.append(gu)
        xs.append(x)
        ys.append(y)
        if kind == "workplace":  # sizes: see P.WORKPLACE_SIZE_MEDIAN
            pops.append(
                rng.lognormal(
                    np.log(P.WORKPLACE_SIZE_MEDIAN), P.WORKPLACE_SIZE_SIGMA, n
                )
            )
        else:
            pops.append(rng.zipf(1.8, n).astype(float))  # a few venues draw most
        names.extend(label or [f"{kind}-{len(names) + i}" for i in range(n)])
        phones.extend(
            phone
            or [
                f"02-{rng.integers(200, 999)}-{rng.integers(1000, 9999)}"
                for _ in range(n)
            ]
        )

    def scatter(kind: str, n: int, w: Floats) -> None:
        counts = rng.multinomial(n, w)
        for g, (gu, c) in enumerate(zip(gus, counts, strict=True)):
            if c:
                x, y = gu.sample(rng, int(c))
                add(kind, np.full(c, g), x, y)

    job_w = np.array(
        [weights[i] * P.JOB_WEIGHT.get(g.code, 0.6) for i, g in enumerate(gus)]
    )
    job_w /= job_w.sum()
    workers = people * 0.7 * P.EMPLOYMENT_RATE
    scatter("workplace", max(25, int(workers * P.WORKPLACES_PER_WORKER)), job_w)
    scatter("school", max(25, int(people / 1000 * P.SCHOOLS_PER_1000)), weights)
    for kind, per_1000 in P.VENUES_PER_1000.items():
        scatter(
            kind, max(len(gus), int(people / 1000 * per_1000)), (weights + job_w) / 2
        )
    px, py, pnames, pgu, paddr = _real_pharmacies()
    add("pharmacy", pgu, px, py, pnames)
    cnames, cphones, cgu, caddr = _real_clinics()
    cx = np.empty(len(cgu))
    cy = np.empty(len(cgu))
    for i, g in enumerate(cgu):  # KDCA's list has addresses only: a point in the gu
        cx[i : i + 1], cy[i : i + 1] = gus[g].sample(rng, 1)
    add("screening_clinic", cgu, cx, cy, cnames, cphones)
    kind_col = np.concatenate(kinds)
    pop = np.concatenate(pops)
    places = Places(
        kind_col,
        np.concatenate(gu_idx),
        np.concatenate(xs),
        np.concatenate(ys),
        pop,
        names,
        phones,
        _floor_sides(kind_col, pop, workers, people),
        [""] * (len(kind_col) - len(paddr) - len(caddr)) + paddr + caddr,
    )
    # Towers follow where people are: sampled at homes' and jobs' district weights.
    n_towers = max(50, people // P.PEOPLE_PER_TOWER)
    tx, ty = [], []
    for g, c in enumerate(rng.multinomial(n_towers, (weights + job_w) / 2)):
        if c:
            x, y = gus[g].sample(rng, int(c))
            tx.append(x)
            ty.append(y)
    return City(
        people,
        seed,
        places,
        np.concatenate(tx),
        np.concatenate(ty),
        np.flatnonzero(places.kind == KIND["workplace"]),
        np.flatnonzero(places.kind == KIND["school"]),
    )


def _floor_sides(kind: Ints, popularity: Floats, workers: float, people: int) -> Floats:
    """Each place's floor side: workplaces and schools sized for their expected staff
    and pupils (jobs are chosen by popularity); homes and venues are points, as the
    epidemiological unit there is the household or the venue."""
    side = np.zeros(len(kind))
    jobs = kind == KIND["workplace"]
    expected = workers * popularity[jobs] / popularity[jobs].sum()
    side[jobs] = np.sqrt(P.SEAT_AREA_M2["workplace"] * np.maximum(expected, 1))
    schools = kind == KIND["school"]
    pupils = people * P.SCHOOL_AGE_SHARE / max(1, int(schools.sum()))
    side[schools] = np.sqrt(P.SEAT_AREA_M2["school"] * pupils)
    return side


def seats(pid: Ints, place: Ints, side: Floats) -> tuple[Floats, Floats]:
    """Where each person sits on a place's floor, as offsets from its centre.

    A hash of (person, place), not a random stream, so a desk is the same every day
    whatever else the generator draws.
    """
    h = pid.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= place.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xD6E8FEB86659FD93)
    h ^= h >> np.uint64(32)
    u = (h >> np.uint64(32)).astype(np.float64) / 2**32
    v = (h & np.uint64(0xFFFFFFFF)).astype(np.float64) / 2**32
    return (u - 0.5) * side, (v - 0.5) * side


@dataclass
class Residents:
    """One chunk of people, as columns (``pid`` is global and stable)."""

    pid: Ints
    household: Ints
    age: Ints
    sex: NDArray[np.str_]
    gu: Ints
    home_x: Floats
    home_y: Floats
    work: Ints  # place index, -1 for none
    school: Ints  # place index, -1 for none

    def __len__(self) -> int:
        return len(self.pid)


def _choose(rng: np.random.Generator, ids: Ints, weights: Floats, n: int) -> Ints:
    cum = np.cumsum(weights)
    return ids[np.searchsorted(cum, rng.uniform(0, cum[-1], n))]


def residents(city: City, chunk: int) -> Residents:
    """People ``chunk * CHUNK`` … of the city, in whole households."""
    rng = rng_for(city.seed, 2, chunk)
    first = chunk * CHUNK
    n = min(CHUNK, city.people - first)
    sizes_all = rng.choice(5, size=n, p=P.HOUSEHOLD_SIZE_SHARE) + 1
    sizes = sizes_all[np.cumsum(sizes_all) <= n]
    if sizes.sum() < n:
        sizes = np.append(sizes, n - sizes.sum())
    hh = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    adult = (rank < 2) | (sizes[hh] == 1)
    age = np.where(adult, rng.integers(20, 86, n), rng.integers(0, 19, n))
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    gus = seoul_gu()
    hh_gu = rng.choice(len(gus), size=len(sizes), p=_gu_weights())
    hx, hy = np.empty(len(sizes)), np.empty(len(sizes))
    for g in np.unique(hh_gu):
        sel = hh_gu == g
        hx[sel], hy[sel] = gus[g].sample(rng, int(sel.sum()))
    gu, home_x, home_y = hh_gu[hh], hx[hh], hy[hh]
    work = np.full(n, -1)
    employed = (age >= 20) & (age <= 64) & (rng.random(n) < P.EMPLOYMENT_RATE)
    wp = city.workplace_ids
    for g in np.unique(gu[employed]):  # gravity: job size × exp(-distance / scale)
        who = np.flatnonzero(employed & (gu == g))
        centre = np.array([home_x[who].mean(), home_y[who].mean()])
        dist = np.hypot(city.places.x[wp] - centre[0], city.places.y[wp] - centre[1])
        w = city.places.popularity[wp] * np.exp(-dist / (P.COMMUTE_SCALE_KM * 1000))
        work[who] = _choose(rng, wp, w, len(who))
    school = np.full(n, -1)
    pupils = (age >= 7) & (age <= 18)
    sc = city.school_ids
    for g in np.unique(gu[pupils]):
        who = np.flatnonzero(pupils & (gu == g))
        local = sc[city.places.gu[sc] == g]
        school[who] = _choose(
            rng,
            local if len(local) else sc,
            np.ones(len(local) if len(local) else len(sc)),
            len(who),
        )
    return Residents(
        np.arange(first, first + n, dtype=np.int64),
        first + hh,
        age,
        sex,
        gu,
        home_x,
        home_y,
        work,
        school,
    )


def phone_of(pid: Ints) -> NDArray[np.str_]:
    """Each person's (fictitious, unique) mobile number, 010-XXXX-XXXX digits."""
    digits = (pid * 7919 + 12_345_678) % 10**8  # a bijection on 8 digits
    return np.char.add("010", np.char.zfill(digits.astype(str), 8))


def card_of(pid: Ints) -> NDArray[np.str_]:
    """Each person's (fictitious) card number, 16 digits."""
    digits = (pid * 104_729 + 987_654_321) % 10**12
    return np.char.add("9410", np.char.zfill(digits.astype(str), 12))
