"""The communicator's page: review derived exposure places, publish, withdraw.

Thin: every form posts to one handler that calls the disclosure service, rewrites
the public snapshot when the public can see the change, and comes back to the list
with what happened (or the rule that refused it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outbreak.audit import Access
from outbreak.auth import Permission
from outbreak.config import Settings
from outbreak.disclose import service as dis
from outbreak.disclose.snapshot import policy_for, refresh
from outbreak.errors import NotAuthenticated, OutbreakError, PermissionDenied
from outbreak.geo import load_districts
from outbreak.store.tables import DisclosureRow
from outbreak.types import KST, DisclosureState
from outbreak.web.dashboard.views import (
    _caller,
    _lang,
    _render,
    _to_login,
    check_csrf,
    csrf_token,
)
from outbreak.web.deps import SessionDep, SettingsDep, get_now
from outbreak.web.routes.trace import get_trace

router = APIRouter(include_in_schema=False)
STATES = [s.value for s in DisclosureState]
PURPOSE = "disclosure review (dashboard)"


def _span(row: DisclosureRow) -> str:
    s, e = row.t_start.astimezone(KST), row.t_end.astimezone(KST)
    end = f"{e:%H:%M}" if e.date() == s.date() else f"{e:%m-%d %H:%M}"
    return f"{s:%m-%d %H:%M}–{end}"


@router.get("/disclosure", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    state: str = "proposed",
) -> Response:
    """Entries in one state, by district and time, with the rules that withhold."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    shown = DisclosureState(state) if state in STATES else DisclosureState.PROPOSED
    access = Access(session, principal, PURPOSE)
    try:
        rows = dis.list_entries(access)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    counts = {s: sum(r.state == s for r in rows) for s in STATES}
    names = {d.code: d.name(_lang(request)) for d in load_districts()}
    return _render(
        request,
        "disclosure.html",
        {
            "principal": principal,
            "rows": [r for r in rows if r.state == shown],
            "state": shown.value,
            "states": STATES,
            "counts": counts,
            "names": names,
            "span": _span,
            "day": lambda d: d.astimezone(KST).strftime("%Y-%m-%d"),
            "csrf": csrf_token(request, settings),
            "can_edit": principal.granting_role(Permission.DISCLOSURE_WRITE),
            "can_identify": principal.granting_role(Permission.INVESTIGATION_WRITE),
            "done": request.query_params.get("done"),
            "error": request.query_params.get("error"),
        },
    )


def _back(request: Request, state: str, **extra: str) -> RedirectResponse:
    query = urlencode({"state": state, "lang": _lang(request), **extra})
    return RedirectResponse(f"/disclosure?{query}", status_code=303)


@dataclass(frozen=True)
class _Form:
    entry_id: int
    entry_ids: list[int]
    reason: str
    name: str | None
    address: str | None
    disinfected: bool
    identified: bool


ACTIONS = (
    "derive", "publish", "edit", "hide", "unhide", "withdraw", "public-risk",
    "identified",
)  # fmt: skip


@router.post("/disclosure/{action}")
def act(
    action: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    back: Annotated[str, Form()] = "proposed",
    entry_id: Annotated[int, Form()] = 0,
    entry_ids: Annotated[list[int] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
    name: Annotated[str | None, Form()] = None,
    address: Annotated[str | None, Form()] = None,
    disinfected: Annotated[bool, Form()] = False,
    identified: Annotated[bool, Form()] = False,
) -> Response:
    """One form action (CSRF-checked): derive, publish, edit, hide, unhide,
    withdraw, public-risk or identified; the public snapshot follows."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    if action not in ACTIONS:
        return _back(request, back, error=f"Unknown action {action!r}")
    form = _Form(
        entry_id, entry_ids or [], reason, name, address, disinfected, identified
    )
    now = get_now(request)
    try:
        check_csrf(request, settings, csrf)
        _do(action, Access(session, principal, PURPOSE), form, request, settings, now)
        refresh(session, settings, now=now)
    except OutbreakError as exc:
        session.rollback()
        return _back(request, back, error=exc.message[:300])
    return _back(request, back, done=action)


def _do(
    action: str,
    access: Access,
    f: _Form,
    request: Request,
    settings: Settings,
    now: datetime,
) -> None:
    policy = policy_for(settings)
    if action == "derive":
        ctx = get_trace(request, settings, request.app.state.keys)
        dis.derive(access, ctx.places, now=now, policy=policy)
    elif action == "publish":
        dis.publish(access, f.entry_ids, now=now, policy=policy)
    elif action == "edit":
        dis.edit(
            access,
            f.entry_id,
            name=f.name,
            address=f.address,
            disinfected=f.disinfected,
        )
    elif action == "hide":
        dis.hide(access, f.entry_id, reason=f.reason)
    elif action == "unhide":
        dis.unhide(access, f.entry_id, now=now, policy=policy)
    elif action == "withdraw":
        dis.withdraw(access, f.entry_id, reason=f.reason)
    elif action == "public-risk":
        dis.invoke_public_risk(
            access, f.entry_id, reason=f.reason, now=now, policy=policy
        )
    else:
        dis.mark_contacts_identified(
            access, f.entry_id, identified=f.identified, now=now, policy=policy
        )
