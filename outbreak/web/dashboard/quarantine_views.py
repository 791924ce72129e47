"""Officer pages: the quarantine worklist, one order's page, acting on alerts."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outbreak.audit import Access
from outbreak.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from outbreak.geo import load_districts
from outbreak.quarantine import service as q
from outbreak.types import KST
from outbreak.web.dashboard.views import (
    _caller,
    _lang,
    _render,
    _to_login,
    check_csrf,
    csrf_token,
)
from outbreak.web.deps import SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)


@router.get("/quarantine", response_class=HTMLResponse)
def worklist_page(
    request: Request, session: SessionDep, settings: SettingsDep, all: bool = False
) -> Response:
    """The officer's worklist (``?all=1``: every order in their districts), riskiest
    first, with today's figures per district."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, "quarantine worklist (dashboard)")
    try:
        everyone = q.worklist(access)
        items = [w for w in everyone if all or w.order.officer == principal.username]
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    names = {d.code: d.name(_lang(request)) for d in load_districts()}
    stats: dict[str, Counter[str]] = {}
    for w in everyone:
        c = stats.setdefault(w.order.district_code, Counter())
        c["open"] += 1
        c[w.order.state.value] += 1
        c["alerts"] += len(w.alerts)
        c["out"] += w.last_inside is False
    return _render(
        request,
        "quarantine.html",
        {
            "principal": principal,
            "items": items,
            "all": all,
            "stats": sorted(stats.items()),
            "names": names,
            "csrf": csrf_token(request, settings),
            "kst": lambda d: d.astimezone(KST).strftime("%m-%d %H:%M"),
            "done": request.query_params.get("done"),
            "refused": request.query_params.get("refused"),
        },
    )


@router.get("/quarantine/{order_id}", response_class=HTMLResponse)
def order_page(
    order_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """One order: period, officer, alerts and the timeline of reports (in or out of
    the fence, never a track)."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    access = Access(session, principal, f"quarantine order {order_id} (dashboard)")
    try:
        order = q.checked_order(access, order_id)
        reports = q.timeline(access, order_id)[:200]
        alerts = q.open_alerts(access, order_id)
    except (PermissionDenied, NotFound):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    return _render(
        request,
        "quarantine_order.html",
        {
            "principal": principal,
            "order": order,
            "reports": reports,
            "alerts": alerts,
            "csrf": csrf_token(request, settings),
            "kst": lambda d: d.astimezone(KST).strftime("%m-%d %H:%M"),
        },
    )


@router.post("/quarantine/bulk")
def bulk_action(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    action: Annotated[str, Form()],
    order_ids: Annotated[list[int] | None, Form()] = None,
    days: Annotated[int, Form()] = 7,
) -> Response:
    """One action on the ticked orders (form post, CSRF-checked); the worklist then
    says how many were done and how many refused."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    try:
        check_csrf(request, settings, csrf)
        results = q.bulk(
            Access(session, principal, "quarantine bulk action (dashboard)"),
            order_ids or [],
            action,
            days=days,
            retention_days=settings.retention_contact_days,
        )
    except (PermissionDenied, InvalidInput):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    done = sum(r == "ok" for r in results.values())
    return RedirectResponse(
        f"/quarantine?all=1&done={done}&refused={len(results) - done}"
        f"&lang={_lang(request)}",
        status_code=303,
    )


@router.post("/quarantine/alerts/{alert_id}/ack")
def acknowledge_alert(
    alert_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/quarantine",
) -> Response:
    """Acknowledge an alert from the worklist (form post, CSRF-checked)."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    try:
        check_csrf(request, settings, csrf)
        q.acknowledge(
            Access(session, principal, "quarantine alert (dashboard)"),
            alert_id,
            note=note,
        )
    except (PermissionDenied, NotFound):
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    target = back if back.startswith("/quarantine") else "/quarantine"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}lang={_lang(request)}", status_code=303)
