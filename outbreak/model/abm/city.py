"""A population from the synthetic city: its people, households, schools, workplaces,
districts, and community contacts where its itineraries meet at venues.

* **household** — the city's households (everyone meets everyone at home);
* **school** — pupils of the same school and year, random contacts with a mean
  of :data:`SCHOOL_CONTACTS` (a class), fewer in a small school;
* **work** — workers of the same workplace, mean :data:`WORK_CONTACTS`, capped by
  the workplace's size (most Korean workplaces are small: synth/params.py);
* **community** — people whose stays at a venue overlap in time, from one week of
  the city's itineraries (:func:`outbreak.synth.day_stays`): each visit meets the
  next few visitors to arrive while it is there (:data:`VENUE_CONTACTS`, by kind),
  on that weekday only; plus everyday contacts in one's own district (streets,
  transport, shops; :data:`OTHER_CONTACTS`). Each community contact carries its
  venue kind and weekday, so closures by venue kind (bars and clubs, karaoke,
  churches) and the distancing levels' venue rules act on exactly those contacts
  (policy.DISTANCING_VENUES).

The week is the same every week (people keep their habits), a modelling choice
documented in docs/abm.md.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.geo.metric import seoul_gu
from outbreak.jit import kernel
from outbreak.model.abm.policy import VENUE_KINDS
from outbreak.model.abm.population import Adjacency, Groups, Population
from outbreak.synth.city import (
    CHUNK,
    KIND,
    KINDS,
    City,
    Residents,
    build_city,
    residents,
)
from outbreak.synth.itinerary import day_stays

Ints = NDArray[np.int64]

# fmt: off
# Contacts per agent (Covasim hybrid's school 20 and work 16, so that the city and
# the hybrid population compare: Kerr et al. 2021, doi:10.1371/journal.pcbi.1009149).
SCHOOL_CONTACTS = 20.0
WORK_CONTACTS = 16.0
# Everyday contacts in one's district besides venues (transport, shops, streets),
# per agent per day: Covasim hybrid's community layer has 20 in all; a visit to a
# venue brings ~3 more on average (measured on the city, docs/abm.md), so the
# district layer carries the rest of a Korean adult's ~13 non-household daily
# contacts outside school and work (Prem et al. 2017 synthetic matrices for Korea,
# doi:10.1371/journal.pcbi.1005697; community ~8-10).
OTHER_CONTACTS = 8.0
# Close contacts a visit brings, by venue kind: the next visitors to arrive while
# one is there (a modelling judgement: a table in a restaurant, a room at karaoke,
# a crowded floor at a club, a service at church; docs/abm.md).
VENUE_CONTACTS = {
    "restaurant": 3, "cafe": 2, "bar_club": 10, "karaoke": 4, "church": 12,
    "gym": 5, "pc_room": 4, "pharmacy": 1, "hospital": 2,
}
# fmt: on
_VENUE_CODE = np.full(len(KINDS), -1, dtype=np.int64)  # synth kind -> VENUE_KINDS
_PER_VISIT = np.zeros(len(KINDS), dtype=np.int64)
for _kind, _k in VENUE_CONTACTS.items():
    _VENUE_CODE[KIND[_kind]] = VENUE_KINDS.index(_kind)
    _PER_VISIT[KIND[_kind]] = _k
WEEK = 7
EVERY_DAY = 7


def city(n: int, *, seed: int = 0) -> Population:
    """The synthetic city of ``n`` people (``seed``: the city's) as a population.

    Examples
    --------
    >>> pop = city(5_000, seed=1)
    >>> len(pop), len(pop.districts)
    (5000, 25)
    >>> 1.0 < pop.contacts()["h"] < 3.0
    True
    """
    if n < 2:
        raise InvalidInput(f"A population needs at least 2 agents, got {n}", field="n")
    c = build_city(n, seed)
    chunks = [residents(c, k) for k in range((n + CHUNK - 1) // CHUNK)]
    age = np.concatenate([r.age for r in chunks])
    gu = np.concatenate([r.gu for r in chunks])
    household = np.concatenate([r.household for r in chunks])
    work = np.concatenate([r.work for r in chunks])
    school = np.concatenate([r.school for r in chunks])
    rng = np.random.default_rng([seed, 0x43495459])  # "CITY": the layers' own
    pupils = np.where(school >= 0, school * 32 + np.minimum(age, 31), -1)
    a, b, tags = _venue_edges(c, chunks)
    oa, ob = _within(rng, gu, OTHER_CONTACTS)
    other_tags = np.full(len(oa), EVERY_DAY, dtype=np.uint8)  # kind 0 ("other")
    community, ctags = _tagged_adjacency(
        n, np.concatenate([a, oa]), np.concatenate([b, ob]),
        np.concatenate([tags, other_tags]),
    )  # fmt: skip
    return Population(
        age=np.minimum(age, 255).astype(np.uint8),
        district=gu.astype(np.int16),
        households=Groups.from_labels(household),
        schools=Adjacency.from_edges(n, *_within(rng, pupils, SCHOOL_CONTACTS)),
        works=Adjacency.from_edges(n, *_within(rng, work, WORK_CONTACTS)),
        community=community,
        districts=tuple(g.name_ko for g in seoul_gu()),
        tags=ctags,
    )


def _within(rng: np.random.Generator, labels: Ints, mean: float) -> tuple[Ints, Ints]:
    """Random contacts among agents of the same label (-1: none): each starts
    round(Poisson(m) / 2) with members drawn uniformly, where m is ``mean`` capped
    by the group's size - 1 (both ends count, as in Covasim)."""
    who = np.flatnonzero(labels >= 0)
    if len(who) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = who[np.argsort(labels[who], kind="stable")]
    _, first, size = np.unique(labels[order], return_index=True, return_counts=True)
    group = np.repeat(np.arange(len(size)), size)
    m = np.minimum(mean, size[group] - 1).astype(np.float64)
    starts = np.round(rng.poisson(m) / 2).astype(np.int64)
    src = np.repeat(np.arange(len(order)), starts)
    g = group[src]
    pick = first[g] + (rng.random(len(src)) * size[g]).astype(np.int64)
    return order[src], order[pick]


def _venue_edges(
    c: City, chunks: list[Residents]
) -> tuple[Ints, Ints, NDArray[np.uint8]]:
    """Contacts at venues over one week of itineraries, tagged kind * 8 + weekday."""
    a_all, b_all, t_all = [], [], []
    for day in range(WEEK):
        cols = []
        for r in chunks:
            s = day_stays(c, r, day, day)
            keep = _VENUE_CODE[s.kind] >= 0
            cols.append((s.pid[keep], s.place[keep], s.kind[keep], s.start[keep],
                         s.end[keep]))  # fmt: skip
        joined = (np.concatenate(x) for x in zip(*cols, strict=True))
        pid, place, kind, start, end = joined
        order = np.lexsort((start, place))
        place, start, end = place[order], start[order], end[order]
        pid, kind = pid[order], kind[order]
        x, y = _overlaps(place, start, end, _PER_VISIT[kind])
        a_all.append(pid[x])
        b_all.append(pid[y])
        t_all.append((_VENUE_CODE[kind[x]] * 8 + day).astype(np.uint8))
    return np.concatenate(a_all), np.concatenate(b_all), np.concatenate(t_all)


@kernel
def _overlaps(
    place: Ints, start: Ints, end: Ints, per_visit: Ints
) -> tuple[Ints, Ints]:  # pragma: no cover - compiled
    """Visits sorted by (place, start): each visit meets up to ``per_visit`` of the
    next visitors to the same place who arrive before it leaves."""
    total = 0
    for k in range(len(place)):
        total += per_visit[k]
    x = np.empty(total, dtype=np.int64)
    y = np.empty(total, dtype=np.int64)
    m = 0
    for k in range(len(place)):
        e = k + 1
        while e < len(place) and e - k <= per_visit[k]:
            if place[e] != place[k] or start[e] >= end[k]:
                break
            x[m] = k
            y[m] = e
            m += 1
            e += 1
    return x[:m], y[:m]


def _tagged_adjacency(
    n: int, a: Ints, b: Ints, tags: NDArray[np.uint8]
) -> tuple[Adjacency, NDArray[np.uint8]]:
    """Both directions of each tagged edge, sorted by agent, tags alongside."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    tag = np.concatenate([tags, tags])
    keep = src != dst
    src, dst, tag = src[keep], dst[keep], tag[keep]
    order = np.argsort(src, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    return Adjacency(dst[order].astype(np.int32), offsets), tag[order]
