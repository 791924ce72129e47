"""Transmission chains: who probably infected whom, clusters and hot spots (pure).

A *link* is a pair of cases with a shared exposure: one case's investigation found
the other among its contacts. Its weight is the serial-interval density of their
onset difference — normal with mean 3.96 and sd 4.75 days (Du et al. 2020, which
allows presymptomatic transmission) — and it counts only if the exposure fell in the
possible infector's infectious window and before the infectee's onset. An infectee's
candidate infectors share probability in proportion to their weights, next to a
community source of weight ``community_weight`` (infection from someone unknown).

Clusters are the connected groups of cases linked through contacts or through stays
at the same place within ``same_place_days`` of each other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import networkx as nx

from outbreak.model.params import SI_NORMAL_MEAN_DAYS, SI_NORMAL_SD_DAYS
from outbreak.trace.window import kst_midnight
from outbreak.types import ClusterKind

COMMUNITY_WEIGHT = 0.01  # density of "someone unknown" (per day), vs SI density ~0.08
KIND_OF_PLACE = {
    "bar_club": ClusterKind.VENUE,
    "karaoke": ClusterKind.VENUE,
    "restaurant": ClusterKind.VENUE,
    "cafe": ClusterKind.VENUE,
    "gym": ClusterKind.VENUE,
    "pc_room": ClusterKind.VENUE,
    "church": ClusterKind.RELIGIOUS,
    "workplace": ClusterKind.WORKPLACE,
    "call_centre": ClusterKind.WORKPLACE,
    "hospital": ClusterKind.HEALTHCARE,
    "screening_clinic": ClusterKind.HEALTHCARE,
    "pharmacy": ClusterKind.VENUE,
    "school": ClusterKind.SCHOOL,
    "home": ClusterKind.HOUSEHOLD,
}


@dataclass(frozen=True)
class CaseNode:
    """A case as the chain sees it: the day symptoms began (or the sample date)."""

    case_id: int
    onset: date
    window: tuple[int, int]  # infectious window, Unix seconds
    district_code: str = ""


@dataclass(frozen=True)
class Exposure:
    """Case ``source``'s investigation found case ``target`` as a contact."""

    source: int
    target: int
    t: int  # when (Unix seconds; the middle of the exposure)
    kind: str
    place_id: int | None = None


@dataclass(frozen=True)
class Link:
    """A probable infector → infectee link."""

    infector: int
    infectee: int
    probability: float
    kind: str
    place_id: int | None


def si_density(days: float) -> float:
    """Serial-interval density at ``days`` (Du et al. 2020, normal)."""
    z = (days - SI_NORMAL_MEAN_DAYS) / SI_NORMAL_SD_DAYS
    return math.exp(-0.5 * z * z) / (SI_NORMAL_SD_DAYS * math.sqrt(2 * math.pi))


def infer_links(
    cases: Iterable[CaseNode],
    exposures: Iterable[Exposure],
    *,
    community_weight: float = COMMUNITY_WEIGHT,
) -> list[Link]:
    """Probable infector → infectee links, each with its probability."""
    by_id = {c.case_id: c for c in cases}
    weights: dict[int, dict[int, tuple[float, Exposure]]] = defaultdict(dict)
    for e in exposures:
        for a, b in ((e.source, e.target), (e.target, e.source)):  # either direction
            inf, tee = by_id.get(a), by_id.get(b)
            if inf is None or tee is None or a == b:
                continue
            onset_tee_s = int(kst_midnight(tee.onset).timestamp()) + 86_400
            if not (inf.window[0] <= e.t <= inf.window[1] and e.t < onset_tee_s):
                continue
            w = si_density((tee.onset - inf.onset).days)
            if w > weights[b].get(a, (0.0, e))[0]:
                weights[b][a] = (w, e)
    links = []
    for infectee, cands in weights.items():
        total = community_weight + sum(w for w, _ in cands.values())
        for infector, (w, e) in cands.items():
            links.append(
                Link(infector, infectee, round(w / total, 4), e.kind, e.place_id)
            )
    return sorted(links, key=lambda k: (k.infectee, -k.probability))


def chain_graph(cases: Iterable[CaseNode], links: Iterable[Link]) -> nx.DiGraph:
    """The transmission graph: cases as nodes, links as weighted edges."""
    g = nx.DiGraph()
    for c in cases:
        g.add_node(c.case_id, onset=c.onset.isoformat(), district=c.district_code)
    for k in links:
        g.add_edge(
            k.infector,
            k.infectee,
            probability=k.probability,
            kind=k.kind,
            place_id=-1 if k.place_id is None else k.place_id,
        )
    return g


def clusters(
    case_ids: Iterable[int],
    pairs: Iterable[tuple[int, int]],
) -> list[set[int]]:
    """Groups of cases connected by ``pairs`` (shared exposures), largest first."""
    g = nx.Graph()
    g.add_nodes_from(case_ids)
    g.add_edges_from(pairs)
    groups = [set(c) for c in nx.connected_components(g) if len(c) > 1]
    return sorted(groups, key=lambda c: (-len(c), min(c)))


def same_place_pairs(
    stays: Iterable[tuple[int, int, int, int]], *, same_place_days: float = 1
) -> dict[tuple[int, int], int]:
    """Case pairs that stayed at one place within ``same_place_days``: → place.

    ``stays`` are (case_id, place_id, t_start, t_end).
    """
    by_place: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for case_id, place_id, a, b in stays:
        by_place[place_id].append((a, b, case_id))
    slack = int(same_place_days * 86_400)
    out: dict[tuple[int, int], int] = {}
    for place_id, visits in by_place.items():
        visits.sort()
        for i, (_, b, c) in enumerate(visits):
            for a2, _, c2 in visits[i + 1 :]:
                if a2 > b + slack:
                    break
                if c2 != c:
                    out[(min(c, c2), max(c, c2))] = place_id
    return out


def hotspots(
    stays: Iterable[tuple[int, int]], *, top: int = 20
) -> list[tuple[int, int]]:
    """Places ranked by how many distinct cases stayed there: (place_id, cases)."""
    cases: dict[int, set[int]] = defaultdict(set)
    for case_id, place_id in stays:
        cases[place_id].add(case_id)
    ranked = sorted(
        ((p, len(c)) for p, c in cases.items()), key=lambda r: (-r[1], r[0])
    )
    return ranked[:top]
