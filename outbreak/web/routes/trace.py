"""Investigations: requests and approvals, routes, contacts, orders, chains."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response, status

from outbreak.errors import InvalidInput
from outbreak.geo.metric import to_degrees
from outbreak.store.tables import RouteStayRow, TraceContactRow
from outbreak.trace import investigate as run
from outbreak.trace import service as inv
from outbreak.trace.contacts import ContactRule
from outbreak.trace.network import network
from outbreak.trace.service import TraceContext, load_context
from outbreak.trace.window import Window
from outbreak.types import IdentifierKind, InvestigationState, RequestState
from outbreak.web.deps import AccessDep, KeysDep, SettingsDep
from outbreak.web.schemas.trace import (
    ContactPublic,
    DataRequestCreate,
    DataRequestPublic,
    Decision,
    IdentifierCreate,
    IdentifierPublic,
    InvestigationCreate,
    InvestigationIds,
    InvestigationPublic,
    NetworkPublic,
    NoteCreate,
    NotePublic,
    OrderCreate,
    OrderPublic,
    StayPublic,
)

router = APIRouter(prefix="/api/v1", tags=["investigations"])


def get_trace(request: Request, settings: SettingsDep, keys: KeysDep) -> TraceContext:
    """The engine context, loaded once per app (registries are read at first use)."""
    ctx: TraceContext | None = getattr(request.app.state, "trace", None)
    if ctx is None:
        ctx = load_context(settings, keys)
        request.app.state.trace = ctx
    return ctx


TraceDep = Annotated[TraceContext, Depends(get_trace)]


def stays_public(rows: list[RouteStayRow], ctx: TraceContext) -> list[StayPublic]:
    """Stored stays with WGS84 positions and place names."""
    if not rows:
        return []
    lon, lat = to_degrees(
        np.array([r.x_dm for r in rows]) / 10, np.array([r.y_dm for r in rows]) / 10
    )
    out = []
    for r, x, y in zip(rows, lon, lat, strict=True):
        place = ctx.places.get(r.place_id) if r.place_id is not None else None
        out.append(
            StayPublic(
                t_start=r.t_start,
                t_end=r.t_end,
                lat=round(float(y), 6),
                lon=round(float(x), 6),
                place_id=r.place_id,
                place_name=place.name if place else None,
                place_kind=place.kind if place else None,
                sources=r.sources.split(","),
                confidence=r.confidence,
                n_pings=r.n_pings,
            )
        )
    return out


def contact_public(r: TraceContactRow) -> ContactPublic:
    return ContactPublic(
        id=r.id,
        key=f"{r.key64 & (2**64 - 1):016x}",
        kind=r.kind,
        t_start=r.t_start,
        t_end=r.t_end,
        minutes=r.minutes,
        distance_m=r.distance_m,
        risk=r.risk,
        place_id=r.place_id,
        sources=r.sources.split(","),
        degree=r.degree,
        via_contact_id=r.via_contact_id,
    )


@router.post(
    "/investigations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvestigationPublic,
)
def open_investigation(
    body: InvestigationCreate, access: AccessDep, keys: KeysDep
) -> object:
    """Open an investigation of a confirmed case; its window follows KDCA's rule."""
    rule_values = {
        k: v for k, v in body.model_dump(exclude={"case_id"}).items() if v is not None
    }
    return inv.open_investigation(
        access, keys, body.case_id, rule=ContactRule(**rule_values)
    )


@router.get("/investigations", response_model=list[InvestigationPublic])
def list_investigations(
    access: AccessDep, state: InvestigationState | None = None
) -> object:
    """Investigations in the caller's districts."""
    return inv.list_investigations(access, state=state)


@router.get("/investigations/{inv_id}", response_model=InvestigationPublic)
def get_investigation(inv_id: int, access: AccessDep) -> object:
    return inv.get_investigation(access, inv_id)


@router.post("/investigations/{inv_id}/close", response_model=InvestigationPublic)
def close_investigation(inv_id: int, access: AccessDep) -> object:
    return inv.close_investigation(access, inv_id)


@router.post(
    "/investigations/{inv_id}/identifiers",
    status_code=status.HTTP_201_CREATED,
    response_model=IdentifierPublic,
)
def add_identifier(
    inv_id: int, body: IdentifierCreate, access: AccessDep, keys: KeysDep
) -> object:
    """Add the case's phone or card; the raw value is pseudonymised and discarded."""
    return inv.add_identifier(
        access, keys, inv_id, kind=IdentifierKind(body.kind), raw=body.value
    )


@router.post(
    "/investigations/{inv_id}/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=DataRequestPublic,
)
def request_data(inv_id: int, body: DataRequestCreate, access: AccessDep) -> object:
    """Ask a data approver for one source over the window."""
    window = None
    if body.window_start is not None or body.window_end is not None:
        if body.window_start is None or body.window_end is None:
            raise InvalidInput(
                "Give both window_start and window_end", field="window_end"
            )
        window = Window(body.window_start, body.window_end)
    return inv.request_data(
        access,
        inv_id,
        source=body.source,
        reason=body.reason,
        window=window,
        contact_ids=body.contact_ids,
    )


@router.get("/investigations/{inv_id}/requests", response_model=list[DataRequestPublic])
def requests_of(inv_id: int, access: AccessDep) -> object:
    return inv.requests_of(access, inv_id)


@router.get("/data-requests", response_model=list[DataRequestPublic])
def pending_requests(
    access: AccessDep, state: RequestState = RequestState.PENDING
) -> object:
    """Requests awaiting a data approver (only ``pending`` is listed)."""
    del state
    return inv.pending_requests(access)


@router.post("/data-requests/{request_id}/decision", response_model=DataRequestPublic)
def decide(request_id: int, body: Decision, access: AccessDep) -> object:
    """Approve or reject; not by the requester."""
    return inv.decide_request(access, request_id, approve=body.approve, note=body.note)


@router.post(
    "/investigations/{inv_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NotePublic,
)
def add_note(inv_id: int, body: NoteCreate, access: AccessDep) -> object:
    return inv.add_note(
        access,
        inv_id,
        text=body.text,
        place_id=body.place_id,
        start=body.start,
        end=body.end,
    )


@router.get("/investigations/{inv_id}/notes", response_model=list[NotePublic])
def notes_of(inv_id: int, access: AccessDep) -> object:
    """Interview notes and the places the case reported, oldest first."""
    return inv.notes_of(access, inv_id)


@router.post("/investigations/{inv_id}/route", response_model=list[StayPublic])
def rebuild_route(inv_id: int, access: AccessDep, ctx: TraceDep) -> object:
    """Rebuild the route from every approved source (refused, and audited, if none)."""
    return stays_public(run.rebuild_route(access, ctx, inv_id), ctx)


@router.get("/investigations/{inv_id}/route", response_model=list[StayPublic])
def route(inv_id: int, access: AccessDep, ctx: TraceDep) -> object:
    return stays_public(run.route_of(access, inv_id), ctx)


@router.get(
    "/investigations/{inv_id}/route.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def route_csv(inv_id: int, access: AccessDep, ctx: TraceDep) -> Response:
    """The route as CSV (one stay a row)."""
    stays = stays_public(run.route_of(access, inv_id), ctx)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "t_start",
            "t_end",
            "lat",
            "lon",
            "place_id",
            "place_name",
            "place_kind",
            "sources",
            "confidence",
        ]
    )
    for s in stays:
        w.writerow(
            [
                s.t_start.astimezone(UTC).isoformat(),
                s.t_end.astimezone(UTC).isoformat(),
                s.lat,
                s.lon,
                s.place_id,
                s.place_name,
                s.place_kind,
                "+".join(s.sources),
                s.confidence,
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="route-{inv_id}.csv"'},
    )


@router.get(
    "/investigations/{inv_id}/route.geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def route_geojson(inv_id: int, access: AccessDep, ctx: TraceDep) -> Response:
    """The route as a GeoJSON FeatureCollection of points (one per stay)."""
    stays = stays_public(run.route_of(access, inv_id), ctx)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {
                k: v
                for k, v in s.model_dump(mode="json").items()
                if k not in ("lat", "lon")
            },
        }
        for s in stays
    ]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    )
    return Response(body, media_type="application/geo+json")


@router.post("/investigations/{inv_id}/contacts", response_model=list[ContactPublic])
def find_contacts(inv_id: int, access: AccessDep, ctx: TraceDep) -> object:
    """Find close contacts along the stored route (place-device approval needed for
    anyone outside the household)."""
    return [contact_public(r) for r in run.trace_contacts(access, ctx, inv_id)]


@router.post("/investigations/contacts", response_model=dict[int, list[ContactPublic]])
def find_contacts_many(
    body: InvestigationIds, access: AccessDep, ctx: TraceDep
) -> object:
    """Close contacts for many investigations at once (one scan for all)."""
    found = run.trace_contacts_many(access, ctx, body.investigation_ids)
    return {i: [contact_public(r) for r in rows] for i, rows in found.items()}


@router.post(
    "/investigations/{inv_id}/contacts-of-contacts",
    response_model=list[ContactPublic],
)
def find_contacts_of_contacts(inv_id: int, access: AccessDep, ctx: TraceDep) -> object:
    """Second-degree contacts: who was with the first-degree contacts named in
    approved ``gps`` and ``place_devices`` requests (``contact_ids``)."""
    rows = run.trace_contacts_of_contacts(access, ctx, inv_id)
    return [contact_public(r) for r in rows]


@router.get("/investigations/{inv_id}/contacts", response_model=list[ContactPublic])
def contacts(inv_id: int, access: AccessDep) -> object:
    return [contact_public(r) for r in run.contacts_of(access, inv_id)]


@router.post(
    "/investigations/{inv_id}/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=list[OrderPublic],
)
def issue_orders(
    inv_id: int, body: OrderCreate, access: AccessDep, ctx: TraceDep
) -> object:
    """Test or quarantine orders for contacts, in bulk (idempotent)."""
    return run.issue_orders(
        access, ctx, inv_id, contact_ids=body.contact_ids, kind=body.kind
    )


@router.get("/investigations/{inv_id}/orders", response_model=list[OrderPublic])
def orders(inv_id: int, access: AccessDep) -> object:
    return run.orders_of(access, inv_id)


@router.get("/network", response_model=NetworkPublic)
def network_summary(
    access: AccessDep, ctx: TraceDep, top: Annotated[int, Query(ge=1, le=200)] = 20
) -> object:
    """Probable transmission links, suggested clusters and hot spots."""
    net = network(access, ctx.places)
    return NetworkPublic(
        cases=len(net.cases),
        links=[k.__dict__ for k in net.links],
        clusters=[
            {"case_ids": sorted(g), "place_id": p, "kind": k.value}
            for g, p, k in net.clusters
        ],
        hotspots=[{"place_id": p, "cases": n} for p, n in net.hotspots[:top]],
        districts=[{"district_code": d, "cases": n} for d, n in net.districts],
    )


@router.get(
    "/network/graph.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def network_json(access: AccessDep, ctx: TraceDep) -> Response:
    """The transmission graph as node-link JSON."""
    return Response(
        network(access, ctx.places).graph_json(), media_type="application/json"
    )


@router.get(
    "/network/graph.graphml",
    response_class=Response,
    responses={200: {"content": {"application/graphml+xml": {}}}},
)
def network_graphml(access: AccessDep, ctx: TraceDep) -> Response:
    """The transmission graph as GraphML (Gephi, Cytoscape)."""
    return Response(
        network(access, ctx.places).graphml(), media_type="application/graphml+xml"
    )
