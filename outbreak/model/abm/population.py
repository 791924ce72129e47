"""Agents as columns, and who meets whom: households, schools, workplaces, community.

A :class:`Population` is struct-of-arrays (style rule 20): ages and districts per
agent, and each contact layer in compressed form — households as members sorted by
household with offsets (everyone meets everyone at home); schools, workplaces and
the community as symmetric adjacency lists. Only infectious agents' contacts are
ever visited, so a day costs what the infectious do, not what the population is
(notes/modeling.md §3.5: Covasim and Starsim scan every edge every day).

:func:`hybrid` builds Covasim's "hybrid" population — the like-for-like benchmark
(bench/abm.py); :mod:`outbreak.model.abm.city` builds one from the synthetic city.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.jit import kernel, split_map
from outbreak.model.abm import params as P
from outbreak.model.abm.rng import STREAMS, address, at

Ints = NDArray[np.int32]
Offsets = NDArray[np.int64]
LAYERS = ("h", "s", "w", "c")


@dataclass(frozen=True)
class Groups:
    """A group layer: ``members`` sorted by group, group ``g`` at
    ``members[offsets[g]:offsets[g + 1]]``; ``of[i]`` is agent ``i``'s group (-1:
    none)."""

    of: Ints
    members: Ints
    offsets: Offsets

    @classmethod
    def from_labels(cls, labels: NDArray[np.int64]) -> Groups:
        """Groups from one label per agent (-1: in no group; labels need not be
        dense)."""
        inside = labels >= 0
        uniq, dense = np.unique(labels[inside], return_inverse=True)
        of = np.full(len(labels), -1, dtype=np.int32)
        of[inside] = dense
        members, offsets = _bucket(of, len(uniq))
        return cls(of, members, offsets)

    @property
    def sizes(self) -> NDArray[np.int64]:
        """Members per group."""
        return np.diff(self.offsets)

    def mean_contacts(self) -> float:
        """Others an agent in a group meets, averaged over the members."""
        s = self.sizes
        return float((s * (s - 1)).sum() / max(1, s.sum()))


@dataclass(frozen=True)
class Adjacency:
    """A symmetric contact list: agent ``i`` meets ``nbrs[offsets[i]:offsets[i+1]]``."""

    nbrs: Ints
    offsets: Offsets

    @classmethod
    def from_edges(
        cls, n: int, a: NDArray[np.int64], b: NDArray[np.int64]
    ) -> Adjacency:
        """Both directions of each edge (self-loops dropped), by a counting sort."""
        nbrs, offsets = _adjacency(n, a.astype(np.int32), b.astype(np.int32))
        return cls(nbrs, offsets)

    def mean_contacts(self) -> float:
        """Contacts per agent."""
        return float(len(self.nbrs) / max(1, len(self.offsets) - 1))


@dataclass(frozen=True)
class Population:
    """Agents and their contact layers."""

    age: NDArray[np.uint8]
    district: NDArray[np.int16]  # index into ``districts`` (-1: unknown)
    households: Groups
    schools: Adjacency
    works: Adjacency
    community: Adjacency
    districts: tuple[str, ...] = ()
    # per community contact (aligned with community.nbrs; empty: untagged): venue
    # kind * 8 + weekday met (7: every day) — the city population's (city.py)
    tags: NDArray[np.uint8] = field(default_factory=lambda: np.empty(0, np.uint8))

    def __len__(self) -> int:
        return len(self.age)

    def contacts(self) -> dict[str, float]:
        """Mean contacts per agent per layer (to compare with Covasim's)."""
        return {
            "h": self.households.mean_contacts(),
            "s": self.schools.mean_contacts(),
            "w": self.works.mean_contacts(),
            "c": self.community.mean_contacts(),
        }


@kernel
def _bucket(of: Ints, groups: int) -> tuple[Ints, Offsets]:  # pragma: no cover
    """Agents sorted by group (counting sort, stable) and the groups' offsets."""
    offsets = np.zeros(groups + 1, dtype=np.int64)
    for g in of:
        if g >= 0:
            offsets[g + 1] += 1
    for g in range(groups):
        offsets[g + 1] += offsets[g]
    fill = offsets[:-1].copy()
    members = np.empty(offsets[-1], dtype=np.int32)
    for i in range(len(of)):
        g = of[i]
        if g >= 0:
            members[fill[g]] = i
            fill[g] += 1
    return members, offsets


@kernel
def _degrees(n: int, a: Ints, b: Ints) -> Offsets:  # pragma: no cover - compiled
    """Offsets of each agent's contacts from an edge list (self-loops dropped)."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    for e in range(len(a)):
        if a[e] != b[e]:
            offsets[a[e] + 1] += 1
            offsets[b[e] + 1] += 1
    for i in range(n):
        offsets[i + 1] += offsets[i]
    return offsets


@kernel
def _scatter(
    a: Ints, b: Ints, offsets: Offsets, nbrs: Ints, lo: int, hi: int
) -> None:  # pragma: no cover - compiled
    """Fill the contact lists of agents ``lo``..``hi`` (in edge order)."""
    fill = offsets[lo:hi].copy()
    for e in range(len(a)):
        x, y = a[e], b[e]
        if x != y:
            if lo <= x < hi:
                nbrs[fill[x - lo]] = y
                fill[x - lo] += 1
            if lo <= y < hi:
                nbrs[fill[y - lo]] = x
                fill[y - lo] += 1


def _adjacency(n: int, a: Ints, b: Ints) -> tuple[Ints, Offsets]:
    """Symmetric adjacency lists from an edge list: a counting sort whose scatter
    (random writes, most of a population's build) runs on every core, each thread
    filling its own range of agents."""
    offsets = _degrees(n, a, b)
    nbrs = np.empty(offsets[-1], dtype=np.int32)
    split_map(lambda s: _scatter(a, b, offsets, nbrs, s.start, s.stop), n)
    return nbrs, offsets


def _clusters(
    rng: np.random.Generator, who: NDArray[np.int64], mean_size: float, n: int
) -> NDArray[np.int64]:
    """Consecutive runs of ``who`` in clusters of Poisson(``mean_size``) members, as
    Covasim's microstructured contacts are (empty draws skipped)."""
    labels = np.full(n, -1, dtype=np.int64)
    if not mean_size > 0:
        raise InvalidInput(f"Mean cluster size must be > 0, got {mean_size}", field="h")
    sizes = np.empty(0, dtype=np.int64)
    while sizes.sum() < len(who):  # small means: empty draws leave too few seats
        more = rng.poisson(mean_size, size=len(who) + 1)
        sizes = np.concatenate([sizes, more[more > 0]])
    k = int(np.searchsorted(np.cumsum(sizes), len(who))) + 1
    group = np.repeat(np.arange(k), sizes[:k])[: len(who)]
    labels[who] = group
    return labels


# which layer's random contacts a draw is for (the hash address's third word)
_LAYER_WORD = {"s": 1, "w": 2, "c": 3}
_POPULATION = STREAMS["population"]


@kernel
def _poisson(u: float, mean: float) -> int:  # pragma: no cover - compiled
    """Poisson(``mean``) by inversion of the uniform ``u`` (mean < 500)."""
    p = np.exp(-mean)
    k, c = 0, p
    while u > c and k < 10 * mean + 100:
        k += 1
        p *= mean / k
        c += p
    return k


@kernel
def _starts(
    seed: int, layer: int, m: int, mean: float
) -> NDArray[np.int32]:  # pragma: no cover - compiled
    """Contacts each of ``m`` members starts: round(Poisson(mean) / 2), half to
    even, as Covasim's ``np.round``."""
    out = np.empty(m, dtype=np.int32)
    for j in range(m):
        k = _poisson(at(address(seed, _POPULATION, layer, j), 0), mean)
        out[j] = k // 2 + (1 if k % 2 == 1 and (k // 2) % 2 == 1 else 0)
    return out


@kernel
def _random_degrees(
    seed: int, layer: int, who: Ints, starts: Ints, n: int, j0: int, j1: int
) -> tuple[Ints, Ints]:  # pragma: no cover - compiled
    """Contacts per agent made by members ``j0``..``j1``: as the member who
    started them, and as the one drawn."""
    started = np.zeros(n, dtype=np.int32)
    drawn = np.zeros(n, dtype=np.int32)
    m = len(who)
    for j in range(j0, j1):
        a = who[j]
        prefix = address(seed, _POPULATION, layer, j)
        for k in range(starts[j]):
            b = who[int(at(prefix, k + 1) * m)]
            if a != b:
                started[a] += 1
                drawn[b] += 1
    return started, drawn


_BLOCK = 12  # 4,096 agents: a block's contact lists stay in the CPU's cache


@kernel
def _random_scatter(
    seed: int,
    layer: int,
    who: Ints,
    starts: Ints,
    drawn: Ints,
    offsets: Offsets,
    nbrs: Ints,
    lo: int,
    hi: int,
) -> None:  # pragma: no cover - compiled
    """Fill the contact lists of agents ``lo``..``hi``, drawing the edges again:
    first the contacts each started (members are in order, so these writes are
    sequential), then the ones they were drawn for — staged by block of 4,096
    agents and written block by block, since written at once they land at
    random and every write missed the cache."""
    fill = offsets[lo:hi].copy()
    blocks = ((hi - lo) >> _BLOCK) + 1
    begin = np.zeros(blocks + 1, dtype=np.int64)
    for i in range(lo, hi):
        begin[((i - lo) >> _BLOCK) + 1] += drawn[i]
    for k in range(blocks):
        begin[k + 1] += begin[k]
    stage_a = np.empty(begin[blocks], dtype=np.int32)
    stage_b = np.empty(begin[blocks], dtype=np.int32)
    put = begin[:-1].copy()
    m = len(who)
    for j in range(m):
        a = who[j]
        prefix = address(seed, _POPULATION, layer, j)
        for k in range(starts[j]):
            b = who[int(at(prefix, k + 1) * m)]
            if a != b:
                if lo <= a < hi:
                    nbrs[fill[a - lo]] = b
                    fill[a - lo] += 1
                if lo <= b < hi:
                    q = (b - lo) >> _BLOCK
                    stage_a[put[q]] = a
                    stage_b[put[q]] = b
                    put[q] += 1
    for e in range(begin[blocks]):  # block by block, each in drawing order
        b = stage_b[e]
        nbrs[fill[b - lo]] = stage_a[e]
        fill[b - lo] += 1


def _random_contacts(
    seed: int, layer: str, who: NDArray[np.int64], mean: float, n: int
) -> Adjacency:
    """Each of ``who`` starts round(Poisson(``mean``) / 2) contacts with others of
    ``who`` drawn uniformly (both ends count): Covasim's make_random_contacts, so
    a member has ``mean`` contacts on average.

    The edges are never stored: each is a hash of (seed, layer, member, k)
    (rng.py), drawn once to count contacts per agent and again to fill the lists,
    each pass split over the cores. At 10 million agents the stored edge lists were
    gigabytes of fresh memory, and faulting them in was most of a population's
    build.
    """
    if not 0 <= mean < 500:
        raise InvalidInput(
            f"Mean contacts must be in [0, 500), got {mean}", field=layer
        )
    w = who.astype(np.int32)
    word = _LAYER_WORD[layer]
    starts = _starts(seed, word, len(w), float(mean))
    parts = split_map(
        lambda s: _random_degrees(seed, word, w, starts, n, s.start, s.stop), len(w)
    )
    started, drawn = parts[0]
    for more in parts[1:]:
        started += more[0]
        drawn += more[1]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(started + drawn, out=offsets[1:])
    nbrs = np.empty(offsets[-1], dtype=np.int32)
    split_map(
        lambda s: _random_scatter(
            seed, word, w, starts, drawn, offsets, nbrs, s.start, s.stop
        ),
        n,
    )
    return Adjacency(nbrs, offsets)


def hybrid(
    n: int,
    *,
    seed: int = 0,
    ages: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None,
    contacts: dict[str, float] | None = None,
) -> Population:
    """Covasim's hybrid population: households of Poisson(2) consecutive agents,
    random contacts among school-age (20) and working-age (16) people and among
    everyone (20) — the like-for-like benchmark network (bench/PEERS.md).

    Parameters
    ----------
    n
        Agents.
    ages
        (lower bounds of age bands in years, their shares); each band reaches the
        next, the last is 10 years wide. Default: Korea 2019
        (:data:`KOREA_AGE_BANDS`); Covasim's: ``params.COVASIM_AGES``.
    contacts
        Mean contacts per layer (default ``params.HYBRID_CONTACTS``).

    Examples
    --------
    >>> pop = hybrid(2_000, seed=1)
    >>> c = pop.contacts()
    >>> 18 < c["c"] < 22 and 1.5 < c["h"] < 2.5
    True
    """
    if n < 2:
        raise InvalidInput(f"A population needs at least 2 agents, got {n}", field="n")
    k = {**P.HYBRID_CONTACTS, **(contacts or {})}
    rng = np.random.default_rng([seed, 0x48594252])  # "HYBR": the population's own
    lower, share = ages or (KOREA_AGE_BANDS, KOREA_AGE_SHARES)
    lower = np.asarray(lower)
    width = np.diff(np.append(lower, lower[-1] + 10))
    band = rng.choice(len(lower), size=n, p=np.asarray(share) / np.sum(share))
    age = (lower[band] + rng.random(n) * width[band]).astype(np.uint8)
    everyone = np.arange(n, dtype=np.int64)
    households = _clusters(rng, everyone, k["h"], n)
    lo, hi = P.SCHOOL_AGES
    school = _random_contacts(seed, "s", everyone[(age >= lo) & (age < hi)], k["s"], n)
    lo, hi = P.WORK_AGES
    work = _random_contacts(seed, "w", everyone[(age >= lo) & (age < hi)], k["w"], n)
    return Population(
        age=age,
        district=np.full(n, -1, dtype=np.int16),
        households=Groups.from_labels(households),
        schools=school,
        works=work,
        community=_random_contacts(seed, "c", everyone, k["c"], n),
    )


# fmt: off
# Korea's residents by 10-year age band, end of 2019: 40-49 16.2 % and 50-59 16.7 %
# (Ministry of the Interior and Safety's resident registration, reported by KBS
# 2020-01-12); the other bands approximate the same registration (0-14: 12.5 %,
# 65+: 15.5 %) — replace with the exact KOSTAT table when it is packaged.
KOREA_AGE_BANDS = np.array([0, 10, 20, 30, 40, 50, 60, 70, 80])
KOREA_AGE_SHARES = np.array([0.081, 0.096, 0.134, 0.133, 0.162, 0.167, 0.124,
                             0.069, 0.034])
# fmt: on
