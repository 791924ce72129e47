"""The scenario pages: compose a distancing scenario, run it against a baseline,
compare curves and bed demand with bands across seeds.

Thin: the form becomes a :class:`~outbreak.model.abm.scenario.Study` of two
scenarios (the baseline level, and the chosen level with its dates and extra
measures) that the scenario service runs after the response; the run's page
refreshes itself until it is done, then draws its bands (Plotly, from the wheel).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import plotly.graph_objects as go
from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outbreak.auth import Permission
from outbreak.errors import NotAuthenticated, NotFound, OutbreakError, PermissionDenied
from outbreak.model.abm.policy import DISTANCING, DISTANCING_VENUES
from outbreak.model.abm.scenario import Study
from outbreak.scenarios import service as runs
from outbreak.store.tables import ScenarioRunRow
from outbreak.types import RunState
from outbreak.web.dashboard.i18n import translator
from outbreak.web.dashboard.rt_views import _figure_json, _layout, add_band
from outbreak.web.dashboard.views import (
    _caller,
    _lang,
    _render,
    _to_login,
    check_csrf,
    csrf_token,
)
from outbreak.web.deps import SessionDep, SettingsDep
from outbreak.web.routes.scenarios import start

router = APIRouter(include_in_schema=False)
COLOURS = ("#444444", "#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214")
AGENTS = (20_000, 50_000, 100_000, 200_000)
CLOSABLE = ("bar_club", "karaoke", "church", "gym", "pc_room")
CHARTED = ("new_infections", "new_confirmed", "in_hospital", "in_icu",
           "in_treatment_centre")  # fmt: skip
SHOWN = ("infections", "confirmed", "deaths", "peak_treatment_centre",
         "peak_hospital", "peak_icu", "hospital_bed_days", "icu_bed_days")  # fmt: skip


def _bands_figure(
    bands: dict[str, Any], metrics: tuple[str, ...], title: str, y_title: str,
    t: dict[str, str],
) -> go.Figure:  # fmt: skip
    fig = go.Figure()
    for k, (scenario, series) in enumerate(bands.items()):
        for m, metric in enumerate(metrics):
            s = series[metric]
            x = s["date"] if s["date"][0] is not None else s["day"]
            name = (
                scenario if len(metrics) == 1 else f"{scenario} · {t['sc_' + metric]}"
            )
            add_band(fig, x, s["low"], s["median"], s["high"], name=name,
                     colour=COLOURS[k % len(COLOURS)],
                     dash=("solid", "dot", "dash")[m % 3])  # fmt: skip
    fig.update_layout(**_layout(title, y_title))
    return fig


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Past runs, and the form to compose one."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    try:
        rows = runs.runs(session, principal)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    return _render(
        request,
        "scenarios.html",
        {
            "principal": principal,
            "rows": rows,
            "levels": list(DISTANCING),
            "venue_rules": DISTANCING_VENUES,
            "distancing": DISTANCING,
            "closable": CLOSABLE,
            "agents": AGENTS,
            "csrf": csrf_token(request, settings),
            "can_run": principal.granting_role(Permission.MODEL_RUN),
            "error": request.query_params.get("error"),
            "today": date(2020, 11, 16),
        },
    )


def _study(
    name: str, kind: str, agents: int, start: date, days: int, seeds: int,
    base: str, level: str, level_from: date, level_to: date | None,
    closures: list[str], schools: bool, masks: bool, tti: bool,
) -> dict[str, Any]:  # fmt: skip
    """The form as a study: the baseline level throughout, against the chosen
    level (with its measures) between its dates."""
    common: list[dict[str, Any]] = []
    if tti:
        common += [{"type": "testing", "p_symptomatic": 0.3},
                   {"type": "tracing"}, {"type": "quarantine"}]  # fmt: skip
    window = {
        "start": str(level_from),
        "end": None if level_to is None else str(level_to),
    }
    measures: list[dict[str, Any]] = [
        {"type": "distancing", "level": base, "end": str(level_from)},
        {"type": "distancing", "level": level, **window},
    ]
    if level_to is not None:
        measures.append({"type": "distancing", "level": base, "start": str(level_to)})
    if closures:
        measures.append({"type": "closure", "kinds": closures, **window})
    if schools:
        measures.append({"type": "school_closure", **window})
    if masks:
        measures.append({"type": "masks", **window})
    return {
        "name": name or f"{base} → {level}",
        "population": {"kind": kind, "agents": agents, "seed": 1},
        "start": str(start), "days": days, "seeds": seeds,
        "pars": {"initial_infected": max(5, agents // 2_000)},
        "scenarios": [
            {"name": f"level {base}", "interventions": [
                {"type": "distancing", "level": base}, *common]},
            {"name": f"level {level} from {level_from:%m-%d}",
             "interventions": [*measures, *common]},
        ],
    }  # fmt: skip


@router.post("/scenarios")
def submit(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "city",
    agents: Annotated[int, Form()] = 50_000,
    start_date: Annotated[date, Form()] = date(2020, 11, 16),
    days: Annotated[int, Form()] = 90,
    seeds: Annotated[int, Form()] = 5,
    base: Annotated[str, Form()] = "1.5",
    level: Annotated[str, Form()] = "2.5",
    level_from: Annotated[date | None, Form()] = None,
    level_to: Annotated[str, Form()] = "",
    closures: Annotated[list[str] | None, Form()] = None,
    schools: Annotated[bool, Form()] = False,
    masks: Annotated[bool, Form()] = False,
    tti: Annotated[bool, Form()] = False,
) -> Response:
    """Compose, submit and start a run; go to its page."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    lang = _lang(request)
    try:
        check_csrf(request, settings, csrf)
        until = date.fromisoformat(level_to) if level_to else None
        study = _study(name.strip(), kind, agents, start_date, days, seeds, base, level,
                       level_from or start_date + timedelta(days=14), until,
                       closures or [], schools, masks, tti)  # fmt: skip
        row = runs.submit(session, principal, study,
                          max_agent_days=settings.model_max_agent_days)  # fmt: skip
    except (OutbreakError, ValueError) as e:
        message = e.message if isinstance(e, OutbreakError) else str(e)
        query = urlencode({"lang": lang, "error": message[:300]})
        return RedirectResponse(f"/scenarios?{query}", status_code=303)
    start(request, background, row.id)
    return RedirectResponse(f"/scenarios/{row.id}?lang={lang}", status_code=303)


@router.get("/scenarios/{run_id}", response_class=HTMLResponse)
def run_page(
    run_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """One run: progress, or its curves, bed demand and comparison."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    try:
        row = runs.get(session, principal, run_id)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    except NotFound:
        return _render(request, "forbidden.html", {"principal": principal}, 404)
    t = translator(_lang(request))
    study = runs.study(row)
    ctx: dict[str, Any] = {"principal": principal, "row": row, "study": study}
    if row.state == RunState.DONE:
        try:
            ctx |= _results(settings.data_dir, row, study, t)
        except NotFound:  # the result files were removed after the run
            return _render(request, "forbidden.html", {"principal": principal}, 404)
    return _render(request, "scenario.html", ctx)


def _results(
    data_dir: Any, row: ScenarioRunRow, study: Study, t: dict[str, str]
) -> dict[str, Any]:
    bands = runs.bands(data_dir, row, CHARTED)
    comparison = [r for r in json.loads(row.summary) if r["outcome"] in SHOWN]
    districts = runs.table(data_dir, row, "by_district").to_pylist()
    by_scenario: dict[str, dict[str, float]] = {}
    for r in districts:
        by_scenario.setdefault(r["scenario"], {})[r["district"]] = r["infections"]
    return {
        "infections_json": _figure_json(_bands_figure(
            bands, ("new_infections",), t["sc_chart_infections"], t["sc_per_day"], t)),
        "confirmed_json": _figure_json(_bands_figure(
            bands, ("new_confirmed",), t["sc_chart_confirmed"], t["sc_per_day"], t)),
        "beds_json": _figure_json(_bands_figure(
            bands, ("in_treatment_centre", "in_hospital", "in_icu"),
            t["sc_chart_beds"], t["sc_beds"], t)),
        "comparison": comparison,
        "reference": study.reference,
        "districts": by_scenario,
        "tables": runs.TABLES,
    }  # fmt: skip
