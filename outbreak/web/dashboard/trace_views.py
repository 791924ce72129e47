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
from outbreak.trace.contacts import ContactRule
from outbreak.trace.network import network
from outbreak.trace.service import CONTACT_SOURCES
from outbreak.trace.window import Window, kst_local
from outbreak.types import (
    KST,
    DataSource,
    IdentifierKind,
    InvestigationState,
    OrderKind,
    RequestState,
)
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
        {
            "principal": principal,
            "rows": rows,
            "kst": _kst,
            "can_open": principal.granting_role(Permission.INVESTIGATION_WRITE)
            is not None,
            "csrf": csrf_token(request, settings),
            "error": _error(request),
        },
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
        notes = inv.notes_of(access, inv_id)
    except (PermissionDenied, NotFound):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    first = [c for c in contacts if c.degree == 1]
    second = [c for c in contacts if c.degree == 2]
    marks, outlines = route_svg(stays)
    named = [s.place_id for s in stays] + [n.place_id for n in notes]
    places = {p: ctx.places.get(p) for p in named if p is not None}
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
            "error": _error(request),
            "notes": notes,
            "sources": [d.value for d in DataSource],
            "is_open": i.state == InvestigationState.OPEN,
            "can_approve": principal.granting_role(Permission.DATA_APPROVE) is not None
            and any(r.state == RequestState.PENDING for r in requests),
            "can_act": principal.granting_role(Permission.INVESTIGATION_WRITE)
            is not None,
            "can_order": principal.granting_role(Permission.ORDER_WRITE) is not None,
        },
    )


DONE = ("approved", "rejected", "already_decided", "rebuilt", "opened", "requested",
        "identified", "noted", "closed")  # fmt: skip
# Fields whose refusal the forms explain (``err_<field>``); others get the refusal page.
EXPLAINED = ("case_id", "reason", "window", "source", "kind", "value", "text",
             "place_id", "start", "end", "state", "contact_ids")  # fmt: skip


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


def _error(request: Request) -> str | None:
    """The i18n key explaining the last refused form (only fields this page names)."""
    field = request.query_params.get("error", "")
    return f"err_{field}" if field in EXPLAINED else None


def _act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: str,
    action: Callable[[Access], str],
    *,
    back: str,
    purpose: str,
) -> Response:
    """An action posted from an investigation page: signed in, CSRF-checked,
    through the services (so their checks and audit entries), then to the page
    ``action`` returns (saying what it did), or back to ``back`` naming the field
    that was refused, or the refusal page when it was not allowed."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, purpose)
    try:
        check_csrf(request, settings, csrf)
        target = action(access)
    except (InvalidInput, Conflict, NotFound) as e:
        if e.field not in EXPLAINED:
            return _render(request, "forbidden.html", {"principal": principal}, 403)
        session.rollback()
        target = _with(back, f"error={e.field}")
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    return RedirectResponse(_with(target, f"lang={_lang(request)}"), status_code=303)


def _with(url: str, param: str) -> str:
    """``url`` with one more query parameter."""
    return f"{url}{'&' if '?' in url else '?'}{param}"


def _on_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    inv_id: int,
    csrf: str,
    action: Callable[[Access], str],
) -> Response:
    """:func:`_act` for an action on one investigation's page: ``action`` returns
    what it did (a ``DONE`` word), and the page says so."""
    page = f"/investigations/{inv_id}"
    return _act(
        request,
        session,
        settings,
        csrf,
        lambda access: f"{page}?done={action(access)}",
        back=page,
        purpose=f"investigation {inv_id} (dashboard)",
    )


@router.post("/investigations")
def open_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    case_id: Annotated[str, Form()] = "",
    passers_by: Annotated[str, Form()] = "",
) -> Response:
    """Open an investigation of a confirmed case, then go to its page."""
    keys = request.app.state.keys

    def open_one(access: Access) -> str:
        if not case_id.strip().isdigit():
            raise InvalidInput("case_id: a case number", field="case_id")
        rule = ContactRule(passers_by=bool(passers_by))
        opened = inv.open_investigation(access, keys, int(case_id), rule=rule)
        return f"/investigations/{opened.id}?done=opened"

    return _act(
        request,
        session,
        settings,
        csrf,
        open_one,
        back="/investigations",
        purpose="investigation (dashboard)",
    )


@router.post("/investigations/{inv_id}/requests")
def request_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    source: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    """Ask a data approver for one source, over the window or part of it."""

    def ask(access: Access) -> str:
        if source not in {s.value for s in DataSource}:
            raise InvalidInput(f"source: unknown {source!r}", field="source")
        t0, t1 = kst_local(start, "start"), kst_local(end, "end")
        if (t0 is None) != (t1 is None):
            raise InvalidInput("Give both ends of the window", field="window")
        window = Window(t0, t1) if t0 is not None and t1 is not None else None
        inv.request_data(access, inv_id, source=DataSource(source), reason=reason,
                         window=window)  # fmt: skip
        return "requested"

    return _on_page(request, session, settings, inv_id, csrf, ask)


@router.post("/investigations/{inv_id}/contact-requests")
def contact_requests_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    contact_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Ask for the ticked contacts' movements — their GPS and the devices near them —
    to trace whom they met (both requests, or neither)."""

    def ask(access: Access) -> str:
        if not contact_ids:
            raise InvalidInput("Tick the contacts to trace", field="contact_ids")
        for source in CONTACT_SOURCES:
            inv.request_data(access, inv_id, source=source, reason=reason,
                             contact_ids=contact_ids)  # fmt: skip
        return "requested"

    return _on_page(request, session, settings, inv_id, csrf, ask)


@router.post("/investigations/{inv_id}/identifiers")
def identifier_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
) -> Response:
    """Add a phone or card the case named; only its pseudonym is kept."""
    keys = request.app.state.keys

    def add(access: Access) -> str:
        if kind not in (IdentifierKind.PHONE.value, IdentifierKind.CARD.value):
            raise InvalidInput("kind: phone or card", field="kind")
        if len(value.strip()) < 4:
            raise InvalidInput("value: a phone or card number", field="value")
        inv.add_identifier(access, keys, inv_id, kind=IdentifierKind(kind), raw=value)
        return "identified"

    return _on_page(request, session, settings, inv_id, csrf, add)


@router.post("/investigations/{inv_id}/notes")
def note_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    place_id: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    """An interview note; with a place and times, a stay the case reported."""

    def note(access: Access) -> str:
        if place_id.strip() and not place_id.strip().isdigit():
            raise InvalidInput("place_id: a place number", field="place_id")
        place = int(place_id) if place_id.strip() else None
        inv.add_note(access, inv_id, text=text, place_id=place,
                     start=kst_local(start, "start"),
                     end=kst_local(end, "end"))  # fmt: skip
        return "noted"

    return _on_page(request, session, settings, inv_id, csrf, note)


@router.post("/investigations/{inv_id}/close")
def close_form(
    inv_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
) -> Response:
    """Close the investigation (its data then ages out on the retention timers)."""

    def close(access: Access) -> str:
        inv.close_investigation(access, inv_id)
        return "closed"

    return _on_page(request, session, settings, inv_id, csrf, close)


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

    return _on_page(request, session, settings, inv_id, csrf, decide)


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

    return _on_page(request, session, settings, inv_id, csrf, rebuild)


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

    return _on_page(request, session, settings, inv_id, csrf, order)


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
