"""Server-rendered dashboard pages (Korean and English).

Thin: each view resolves the caller from the session cookie, calls the same services
as the API, and renders a template. Scripts, styles and map shapes ship with the
package; nothing is fetched from a CDN.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from outbreak.audit import Access
from outbreak.auth import Permission, Principal, authorize
from outbreak.cases import service as case_service
from outbreak.cases.links import active_cases_by_district
from outbreak.errors import NotAuthenticated, PermissionDenied
from outbreak.geo import SEOUL_CODE, draw_map, load_districts
from outbreak.geo.svgmap import PALETTE
from outbreak.ingest.summary import summarise
from outbreak.store.queries import cases as case_queries
from outbreak.types import CaseState
from outbreak.web.dashboard.i18n import pick_language, translator
from outbreak.web.deps import SESSION_COOKIE, SessionDep, SettingsDep, get_principal
from outbreak.web.routes.admin import login

PAGE_SIZE = 50
LANG_COOKIE = "outbreak_lang"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def _render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    lang = _lang(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": translator(lang), **context},
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _caller(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    return get_principal(request, session, settings, None, None)


def csrf_token(request: Request, settings: SettingsDep) -> str:
    """A form token bound to the session cookie: a page from this server can post
    it, a page from elsewhere cannot read it (defence in depth over SameSite)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, settings: SettingsDep, token: str) -> None:
    """Refuse a dashboard form whose token does not match the session."""
    if not hmac.compare_digest(token, csrf_token(request, settings)):
        raise PermissionDenied("The form has expired: reload the page", field="csrf")


def _to_login(request: Request) -> Response:
    return RedirectResponse(f"/login?lang={_lang(request)}", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return _render(request, "login.html", {"error": None})


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    """Check the form and set the session cookie."""
    try:
        token = login(session, settings, username, password)
    except NotAuthenticated:
        t = translator(_lang(request))
        return _render(request, "login.html", {"error": t["login_failed"]}, 401)
    response = RedirectResponse(f"/?lang={_lang(request)}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_lifetime_min * 60,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.get("/logout")
def logout(request: Request) -> Response:
    """Clear the session cookie."""
    response = _to_login(request)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, session: SessionDep, settings: SettingsDep, region: str = "seoul"
) -> Response:
    """Counts by state and the map of active cases by district."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    lang = _lang(request)
    counts = active_cases_by_district(session, principal)
    districts = [d for d in load_districts() if d.level == "sigungu"]
    if region != "korea":
        region = "seoul"
        districts = [d for d in districts if d.parent_code == SEOUL_CODE]
    shapes, height, bins = draw_map(districts, counts, lang=lang)
    by_state = case_queries.cases_by_state(session=session, scopes=principal.scopes)
    return _render(
        request,
        "overview.html",
        {
            "principal": principal,
            "shapes": shapes,
            "map_height": height,
            "bins": bins,
            "palette": PALETTE,
            "region": region,
            "by_state": by_state,
            "total": sum(by_state.values()),
            "active": sum(shapes_value.value for shapes_value in shapes),
        },
    )


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    state: str = "",
    page: int = 1,
) -> Response:
    """The cases in the caller's jurisdiction (audited like the API)."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    chosen = CaseState(state) if state in set(CaseState) else None
    page = max(page, 1)
    access = Access(session, principal, "case management (dashboard)")
    try:
        rows, count = case_service.list_cases(
            access, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, state=chosen
        )
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    names = {d.code: d.name(_lang(request)) for d in load_districts()}
    return _render(
        request,
        "cases.html",
        {
            "principal": principal,
            "rows": rows,
            "count": count,
            "page": page,
            "pages": max(1, -(-count // PAGE_SIZE)),
            "state": state,
            "states": list(CaseState),
            "names": names,
            "start": (page - 1) * PAGE_SIZE + 1 if count else 0,
            "end": min(page * PAGE_SIZE, count),
        },
    )


@router.get("/movement", response_class=HTMLResponse)
def movement_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """What the movement store holds, per source and district."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)

    try:
        authorize(principal, Permission.STATS_READ)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    summary = summarise(request.app.state.movement)
    sources = sorted(summary.by_source)
    names = {d.code: d.name(_lang(request)) for d in load_districts()}
    rows = sorted(summary.by_district.items(), key=lambda kv: -sum(kv[1].values()))
    return _render(
        request,
        "movement.html",
        {
            "principal": principal,
            "summary": summary,
            "sources": sources,
            "rows": rows,
            "names": names,
        },
    )
