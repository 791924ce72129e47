"""The Rt page: Korea's real counts, Rt with bands, a province map, projections.

Charts are Plotly figures built here and drawn by the plotly.js that ships inside
the ``plotly`` wheel (served from /assets/plotly.min.js): no CDN.
"""

from __future__ import annotations

import warnings
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import Response
from plotly.offline import get_plotlyjs

from outbreak.auth import Permission, authorize
from outbreak.cases.incidence import case_incidence
from outbreak.errors import (
    DataQualityWarning,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)
from outbreak.geo import draw_map, load_districts
from outbreak.geo.svgmap import RT_PALETTE, rt_colour
from outbreak.model import Incidence, RtEstimator, SerialInterval
from outbreak.model.params import SI_MEAN_DAYS, SI_SD_DAYS
from outbreak.model.seir import growth_rate
from outbreak.model.surveillance import (
    NATIONAL,
    korea_incidence,
    korea_outlook,
    korea_rt,
    latest_rt,
)
from outbreak.web.dashboard.i18n import translator
from outbreak.web.dashboard.views import _caller, _lang, _render, _to_login
from outbreak.web.deps import SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)
START, END = date(2020, 2, 17), date(2020, 12, 31)
SCENARIO_COLOURS = {"stricter": "#2166ac", "as_now": "#444444", "looser": "#b2182b"}


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return str(get_plotlyjs())


@router.get("/assets/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js from the installed plotly package."""
    return Response(
        _plotly_js(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _figure_json(fig: go.Figure) -> str:
    # Safe inside <script>: no "</script>" can close the tag early.
    return str(fig.to_json()).replace("<", "\\u003c")


def _layout(title: str, y_title: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "height": 320,
        "yaxis": {"title": {"text": y_title}},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2},
        "template": "plotly_white",
    }


def add_band(
    fig: go.Figure, x: list[Any], low: Any, median: Any, high: Any, *,
    name: str, colour: str, dash: str = "solid",
) -> None:  # fmt: skip
    """A median line with its interval shaded behind it, in one colour."""
    x = list(x)
    fig.add_scatter(
        x=x + x[::-1],
        y=np.concatenate([np.asarray(high, float), np.asarray(low, float)[::-1]]),
        fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
        showlegend=False, hoverinfo="skip",
    )  # fmt: skip
    fig.add_scatter(x=x, y=median, name=name, line={"color": colour, "dash": dash})


def _rt_figure(t: dict[str, str], dates: list[str], row: int, result: Any) -> go.Figure:
    lo, hi = result.quantiles["q0025"][row], result.quantiles["q0975"][row]
    fig = go.Figure()
    fig.add_scatter(
        x=dates + dates[::-1],
        y=np.concatenate([hi, lo[::-1]]),
        fill="toself",
        fillcolor="rgba(192,57,43,0.2)",
        line={"width": 0},
        name=t["band95"],
        hoverinfo="skip",
    )
    fig.add_scatter(x=dates, y=result.mean[row], name="Rt", line={"color": "#c0392b"})
    fig.add_hline(y=1, line_dash="dash", line_color="#555")
    fig.update_layout(**_layout(t["rt_title"], "Rt"))
    fig.update_yaxes(range=[0, 4])
    return fig


def _projection_figure(
    t: dict[str, str], outlook: Any, history: tuple[list[str], Any]
) -> go.Figure:
    p = outlook.projection
    dates = [str(d) for d in p.dates]
    fig = go.Figure()
    fig.add_bar(x=history[0], y=history[1], name=t["observed"], marker_color="#9aa5b1")
    for name in ("looser", "as_now", "stricter"):
        add_band(fig, dates, p.lower[name], p.median[name], p.upper[name],
                 name=t[f"scenario_{name}"], colour=SCENARIO_COLOURS[name])  # fmt: skip
    fig.update_layout(**_layout(t["projection_title"], t["daily_cases"]))
    return fig


def _database_rt(session: SessionDep, principal: Any) -> tuple[Any, Any] | None:
    """Rt of this system's own cases: national plus each district, by report date."""

    try:
        districts = case_incidence(
            session, principal, level="sigungu", end=date.today()
        )
    except InvalidInput:
        return None
    national = districts.total.sum(axis=0, keepdims=True)
    inc = Incidence.from_counts(
        np.vstack([national, districts.total]),
        imported=np.vstack(
            [districts.imported.sum(axis=0, keepdims=True), districts.imported]
        ),
        dates=[str(d) for d in districts.dates],
        regions=(NATIONAL, *districts.regions),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        est = RtEstimator(SerialInterval.parametric(SI_MEAN_DAYS, SI_SD_DAYS))
        return est.fit(inc).rt_, inc


@router.get("/rt")
def rt_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    region: str = NATIONAL,
    source: str = "korea",
) -> Response:
    """Rt from Korea's real 2020 counts, or from the cases in this database."""
    try:
        principal = _caller(request, session, settings)
    except NotAuthenticated:
        return _to_login(request)
    lang = _lang(request)

    t = translator(lang)
    try:
        authorize(principal, Permission.STATS_READ)
    except PermissionDenied:
        return _render(request, "forbidden.html", {"principal": principal}, 403)
    outlook = None
    database = _database_rt(session, principal) if source == "cases" else None
    if database is not None:
        result, inc = database
        areas = [d for d in load_districts() if d.code in result.regions]
        provinces = {d.parent_code for d in areas}
        shown = [
            d
            for d in load_districts()
            if d.level == "sigungu" and d.parent_code in provinces
        ]
    else:
        source = "korea"
        result, inc = korea_rt(START, END), korea_incidence(START, END)
        shown = [d for d in load_districts() if d.level == "sido"]
    if region not in result.regions:
        region = NATIONAL
    row = result.regions.index(region)
    if source == "korea":
        outlook = korea_outlook(region, START, END)
    dates = [str(result.dates[te - 1]) for te in result.t_end]
    national_name = t["national"] if source == "korea" else t["all_cases"]
    names = {d.code: d.name(lang) for d in load_districts()} | {NATIONAL: national_name}
    latest = latest_rt(result)
    # A 95% interval wider than 1.5× its mean says little: show such areas grey.
    width = result.quantiles["q0975"][:, -1] - result.quantiles["q0025"][:, -1]
    precise = {
        code: bool(width[i] < 1.5 * result.mean[i, -1])
        for i, code in enumerate(result.regions)
    }
    shapes, height, _ = draw_map(
        shown,
        {},
        lang=lang,
        colours={
            c: rt_colour(v if precise[c] else float("nan")) for c, v in latest.items()
        },
    )
    history = ([str(d) for d in inc.dates[-56:]], inc.total[row, -56:])
    try:
        growth = outlook.growth if outlook else growth_rate(inc.total[row])
    except InvalidInput:  # no recent cases: no growth rate to show
        growth = None
    return _render(
        request,
        "rt.html",
        {
            "principal": principal,
            "source": source,
            "region": region,
            "regions": [(code, names.get(code, code)) for code in result.regions],
            "latest": latest,
            "names": names,
            "current": {
                "mean": result.mean[row, -1],
                "lo": result.quantiles["q0025"][row, -1],
                "hi": result.quantiles["q0975"][row, -1],
                "date": dates[-1],
            },
            "growth": growth,
            "stable": growth is not None and growth.doubling_ci == (-np.inf, np.inf),
            "shapes": shapes,
            "map_height": height,
            "palette": RT_PALETTE,
            "rt_json": _figure_json(_rt_figure(t, dates, row, result)),
            "projection_json": (
                _figure_json(_projection_figure(t, outlook, history))
                if outlook
                else None
            ),
        },
    )
