"""Dashboard pages for investigations: list, one investigation, the chain graph.

Views over the same services as the API (so the same checks and audit entries);
an investigation's page also takes the actions its users take there — a data
approver decides pending requests, an investigator rebuilds the route and contacts
after approvals and issues test or quarantine orders to ticked contacts — as
CSRF-checked form posts. The route map and the chain graph are server-rendered
SVG — no tiles, no scripts from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import networkx as nx
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outbreak.audit import Access
from outbreak.auth import Permission
from outbreak.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from outbreak.geo import load_districts
from outbreak.geo.metric import seoul_gu
from outbreak.store.tables import RouteStayRow
from outbreak.trace import investigate as run
from outbreak.trace import service as inv
from outbreak.trace.network import network
from outbreak.types import KST, OrderKind, RequestState
from outbreak.web.dashboard.views import (
    _caller,
    _lang,
    _render,
    _to_login,
    check_csrf,
    csrf_token,
)
from outbreak.web.deps import SessionDep, SettingsDep
from outbreak.web.routes.trace import contact_public, get_trace
from outbreak.web.schemas.trace import DataRequestPublic

router = APIRouter(include_in_schema=False)
WIDTH = 640
MAX_CONTACTS = 200


@dataclass(frozen=True)
class Mark:
    """One stay drawn on the route map."""

    n: int
    x: float
    y: float
    label: str


def route_svg(
    rows: list[RouteStayRow], height: int = 420
) -> tuple[list[Mark], list[str]]:
    """Stays as numbered marks over Seoul's district outlines, in SVG coordinates."""
    if not rows:
        return [], []
    xs, ys = [r.x_dm / 10 for r in rows], [r.y_dm / 10 for r in rows]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    span = max(max(xs) - min(xs), (max(ys) - min(ys)) * WIDTH / height, 3000) * 1.15
    scale = WIDTH / span

    def to_svg(x: float, y: float) -> tuple[float, float]:
        return round((x - cx) * scale + WIDTH / 2, 1), round(
            height / 2 - (y - cy) * scale, 1
        )

    outlines = []
    for gu in seoul_gu():
        for ring in gu.rings:
            pts = " ".join("{},{}".format(*to_svg(x, y)) for x, y in ring[::3])
            outlines.append(pts)
    marks = [
        Mark(k + 1, *to_svg(x, y), "")
        for k, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    return marks, outlines


def graph_svg(g: nx.DiGraph, height: int = 420) -> dict[str, object]:
    """Node positions (spring layout, fixed seed) and edges for the chain graph."""
    if g.number_of_nodes() == 0:
        return {"nodes": [], "edges": []}
    pos = nx.spring_layout(g, seed=1)
    pad = 30

    def at(node: int) -> tuple[float, float]:
        x, y = pos[node]
        return (
            round(pad + (x + 1) / 2 * (WIDTH - 2 * pad), 1),
            round(pad + (y + 1) / 2 * (height - 2 * pad), 1),
        )

    nodes = [
        {"id": n, "x": at(n)[0], "y": at(n)[1], "district": d.get("district", "")}
        for n, d in g.nodes(data=True)
    ]
    edges = [
        {"a": at(a), "b": at(b), "p": d["probability"], "kind": d["kind"]}
        for a, b, d in g.edges(data=True)
    ]
    return {"nodes": nodes, "edges": edges}


def _kst(d: datetime) -> str:
    return f"{d.astimezone(KST):%m-%d %H:%M}"


@router.get("/investigations", response_class=HTMLResponse)
def investigations_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Investigations in the caller's districts."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, "investigation (dashboard)")
    try:
        rows = inv.list_investigations(access)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    return _render(
        request,
        "investigations.html",
        {"principal": principal, "rows": rows, "kst": _kst},
    )


@router.get("/investigations/{inv_id}", response_class=HTMLResponse)
def investigation_page(
    inv_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """One investigation: window, requests, route (timeline and map), contacts."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, f"investigation {inv_id} (dashboard)")
    ctx = get_trace(request, settings, request.app.state.keys)
    try:
        i = inv.get_investigation(access, inv_id)
        stays = run.route_of(access, inv_id)
        contacts = [contact_public(c) for c in run.contacts_of(access, inv_id)]
        requests = [
            DataRequestPublic.model_validate(r) for r in inv.requests_of(access, inv_id)
        ]
    except (PermissionDenied, NotFound):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    first = [c for c in contacts if c.degree == 1]
    second = [c for c in contacts if c.degree == 2]
    marks, outlines = route_svg(stays)
    places = {
        s.place_id: ctx.places.get(s.place_id) for s in stays if s.place_id is not None
    }
    return _render(
        request,
        "investigation.html",
        {
            "principal": principal,
            "inv": i,
            "stays": stays,
            "marks": marks,
            "outlines": outlines,
            "places": places,
            "contacts": first[:MAX_CONTACTS],
            "more": max(0, len(first) - MAX_CONTACTS),
            "n_contacts": len(first),
            "second": second[:MAX_CONTACTS],
            "more_second": max(0, len(second) - MAX_CONTACTS),
            "requests": requests,
            "kst": _kst,
            "lang": _lang(request),
            "csrf": csrf_token(request, settings),
            "flash": _flash(request.query_params.get("done", "")),
            "can_approve": principal.granting_role(Permission.DATA_APPROVE) is not None
            and any(r.state == RequestState.PENDING for r in requests),
            "can_act": principal.granting_role(Permission.INVESTIGATION_WRITE)
            is not None,
            "can_order": principal.granting_role(Permission.ORDER_WRITE) is not None,
        },
    )


DONE = ("approved", "rejected", "already_decided", "rebuilt")


def _flash(done: str) -> tuple[str, int] | None:
    """What the last action on the page did, as (i18n key, count); None: nothing
    (or a value this page did not put there)."""
    if done in DONE:
        return f"inv_done_{done}", 0
    kind, _, n = done.removeprefix("orders_").partition("_")
    if (
        done.startswith("orders_")
        and kind in {k.value for k in OrderKind}
        and n.isdigit()
    ):
        return f"inv_done_orders_{kind}", int(n)
    return None


def _act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    inv_id: int,
    csrf: str,
    action: Callable[[Access], str],
) -> Response:
    """An action posted from an investigation's page: signed in, CSRF-checked,
    through the services (so their checks and audit entries), then back to the page
    saying what ``action`` did (or the refusal page)."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, f"investigation {inv_id} (dashboard)")
    try:
        check_csrf(request, settings, csrf)
        done = action(access)
    except (PermissionDenied, NotFound, InvalidInput):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    return RedirectResponse(
        f"/investigations/{inv_id}?done={done}&lang={_lang(request)}", status_code=303
    )


@router.post("/investigations/{inv_id}/requests/{request_id}")
def decide_request_form(
    inv_id: int,
    request_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """A data approver approves or rejects a pending request (never their own)."""

    def decide(access: Access) -> str:
        if decision not in ("approve", "reject"):
            raise InvalidInput("decision: approve or reject", field="decision")
        approve = decision == "approve"
        try:
            inv.decide_request(access, request_id, approve=approve, note=note)
        except Conflict:
            return "already_decided"
        return "approved" if approve else "rejected"

    return _act(request, session, settings, inv_id, csrf, decide)


@router.post("/investigations/{inv_id}/rebuild")
def rebuild_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
) -> Response:
    """Rebuild the route from what is approved, then find the contacts along it."""
    ctx = get_trace(request, settings, request.app.state.keys)

    def rebuild(access: Access) -> str:
        run.rebuild_route(access, ctx, inv_id)
        run.trace_contacts(access, ctx, inv_id)
        return "rebuilt"

    return _act(request, session, settings, inv_id, csrf, rebuild)


@router.post("/investigations/{inv_id}/orders")
def orders_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    kind: Annotated[OrderKind, Form()],
    contact_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Test or quarantine orders for the ticked contacts (issuing twice changes
    nothing)."""
    ctx = get_trace(request, settings, request.app.state.keys)

    def order(access: Access) -> str:
        ids = contact_ids or []
        orders = run.issue_orders(access, ctx, inv_id, contact_ids=ids, kind=kind)
        return f"orders_{kind.value}_{len(orders)}"

    return _act(request, session, settings, inv_id, csrf, order)


@router.get("/network", response_class=HTMLResponse)
def network_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The chain graph, suggested clusters and hot spots."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, "transmission chains (dashboard)")
    ctx = get_trace(request, settings, request.app.state.keys)
    try:
        net = network(access, ctx.places)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    graph = graph_svg(net.graph())
    return _render(
        request,
        "network.html",
        {
            "principal": principal,
            "net": net,
            "graph": graph,
            "places": ctx.places,
            "names": {d.code: d.name(_lang(request)) for d in load_districts()},
        },
    )
