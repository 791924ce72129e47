"""Across investigations: transmission chains, suggested clusters and hot spots.

Cases are linked when one's investigation found the other's phone or card among its
contacts, or when their routes share a place within a day. Only investigations in
the caller's districts are read; every call is audited.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq
import sqlalchemy as sa

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.ingest import MovementStore
from outbreak.store.tables import (
    CaseRow,
    InvestigationKeyRow,
    InvestigationRow,
    RouteStayRow,
    TraceContactRow,
)
from outbreak.trace.chains import (
    KIND_OF_PLACE,
    CaseNode,
    Exposure,
    Link,
    chain_graph,
    clusters,
    hotspots,
    infer_links,
    same_place_pairs,
)
from outbreak.trace.graph import contact_graph_dask, write_contact_graph
from outbreak.trace.places import Places
from outbreak.trace.service import window_of
from outbreak.types import ClusterKind


@dataclass(frozen=True)
class Network:
    """Cases, probable links, suggested clusters and hot spots of a jurisdiction."""

    cases: list[CaseNode]
    links: list[Link]
    clusters: list[tuple[set[int], int | None, ClusterKind]]  # cases, place, kind
    hotspots: list[tuple[int, int]]  # place, cases
    districts: list[tuple[str, int]]  # district, linked cases

    def graph(self) -> nx.DiGraph:
        return chain_graph(self.cases, self.links)

    def graph_json(self) -> str:
        """Node-link JSON (nodes: cases; edges: infector → infectee)."""
        data = nx.node_link_data(self.graph(), edges="links")
        return json.dumps(data, ensure_ascii=False)

    def graphml(self) -> str:
        """GraphML, for Gephi, Cytoscape or networkx."""
        out = io.BytesIO()
        nx.write_graphml(self.graph(), out)
        return out.getvalue().decode()


def network(access: Access, places: Places) -> Network:
    """The transmission network over the investigations the caller may read."""
    access.check(
        Permission.INVESTIGATION_READ, subject_type="network", subject_id="all"
    )
    session = access.session
    rows = session.execute(
        sa.select(InvestigationRow, CaseRow).join(
            CaseRow, CaseRow.id == InvestigationRow.case_id
        )
    ).all()
    invs = {i.id: (i, c) for i, c in rows if access.principal.covers(i.district_code)}
    case_of_inv = {i_id: c.id for i_id, (_, c) in invs.items()}
    nodes = [
        CaseNode(c.id, c.onset_on or c.sample_on, window_of(i).epoch, c.district_code)
        for i, c in invs.values()
    ]
    owner: dict[int, int] = {}  # key64 → case id
    for k in session.scalars(
        sa.select(InvestigationKeyRow).where(
            InvestigationKeyRow.investigation_id.in_(invs)
        )
    ):
        owner[k.key64] = case_of_inv[k.investigation_id]
    exposures = []
    for c in session.scalars(
        sa.select(TraceContactRow).where(
            TraceContactRow.investigation_id.in_(invs), TraceContactRow.key64.in_(owner)
        )
    ):
        mid = (int(c.t_start.timestamp()) + int(c.t_end.timestamp())) // 2
        exposures.append(
            Exposure(
                case_of_inv[c.investigation_id],
                owner[c.key64],
                mid,
                c.kind.value,
                c.place_id,
            )
        )
    links = infer_links(nodes, exposures)
    stays = [
        (
            case_of_inv[s.investigation_id],
            s.place_id,
            int(s.t_start.timestamp()),
            int(s.t_end.timestamp()),
        )
        for s in session.scalars(
            sa.select(RouteStayRow).where(
                RouteStayRow.investigation_id.in_(invs),
                RouteStayRow.place_id.is_not(None),
            )
        )
    ]
    shared = same_place_pairs((c, p or 0, a, b) for c, p, a, b in stays)
    pairs = {(min(e.source, e.target), max(e.source, e.target)) for e in exposures}
    groups = clusters(case_of_inv.values(), pairs | set(shared))
    return Network(
        nodes,
        links,
        [_describe(g, shared, places) for g in groups],
        hotspots((c, p or 0) for c, p, _, _ in stays),
        _districts(nodes, groups),
    )


def _describe(
    group: set[int], shared: dict[tuple[int, int], int], places: Places
) -> tuple[set[int], int | None, ClusterKind]:
    votes: dict[int, int] = defaultdict(int)
    for (a, b), place in shared.items():
        if a in group and b in group:
            votes[place] += 1
    if not votes:
        return group, None, ClusterKind.OTHER
    top = max(votes, key=lambda p: (votes[p], -p))
    named = places.get(top)
    kind = (
        KIND_OF_PLACE.get(named.kind, ClusterKind.OTHER) if named else ClusterKind.OTHER
    )
    return group, top, kind


def _districts(nodes: list[CaseNode], groups: list[set[int]]) -> list[tuple[str, int]]:
    linked = set().union(*groups) if groups else set()
    counts: dict[str, int] = defaultdict(int)
    for n in nodes:
        if n.case_id in linked:
            counts[n.district_code] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def day_graph(
    access: Access,
    store: MovementStore,
    day: date,
    out: Path,
    *,
    dask: bool = False,
    scheduler: str | None = None,
) -> int:
    """Write the whole day's contact graph (Q3) to ``out`` (Parquet); returns the
    pairs. A read of everyone's fixes nationwide, so it needs ``population.read``
    (administrators only) and is audited."""
    access.check(
        Permission.POPULATION_READ,
        subject_type="contact_graph",
        subject_id=day.isoformat(),
        detail="all pairs of the day",
    )
    access.session.commit()
    if dask or scheduler:
        graph = contact_graph_dask(store, day, scheduler=scheduler)
        pq.write_table(graph, out, compression="zstd")
        return int(graph.num_rows)
    return write_contact_graph(store, day, out)
