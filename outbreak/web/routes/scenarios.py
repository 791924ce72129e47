"""Agent-based model runs: submit a study, follow it, fetch its results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import FileResponse

from outbreak.auth import Permission, authorize
from outbreak.errors import InvalidInput
from outbreak.model.abm.policy import DISTANCING, DISTANCING_VENUES, VENUE_KINDS
from outbreak.model.abm.scenario import Study
from outbreak.model.abm.sweep import METRICS
from outbreak.scenarios import service as runs
from outbreak.web.deps import PrincipalDep, SessionDep, SettingsDep
from outbreak.web.schemas.scenarios import DistancingLevel, RunPublic

router = APIRouter(prefix="/api/v1/model/abm", tags=["model"])
Metric = Annotated[
    list[str],
    Query(description=f"Daily series to return: {', '.join(METRICS)}."),
]


def start(request: Request, background: BackgroundTasks, run_id: int) -> None:
    """Run a submitted study after the response (in the server's worker threads,
    or on the Dask cluster of the settings)."""
    settings = request.app.state.settings
    background.add_task(
        runs.execute,
        request.app.state.sessions,
        run_id,
        settings.data_dir,
        scheduler=settings.dask_scheduler,
    )


@router.post("/runs", response_model=RunPublic, status_code=202)
def submit(
    study: Study,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> object:
    """Submit a study — scenarios × seeds on one population — to run now.

    Answers 202 at once; follow ``GET /runs/{id}`` until ``state`` is ``done``,
    then read ``/bands`` or the Parquet tables. Common random numbers: every
    scenario of a seed meets the same people and draws, so differences come from
    the policies."""
    row = runs.submit(session, principal, study,
                      max_agent_days=settings.model_max_agent_days)  # fmt: skip
    response.headers["Location"] = f"{router.prefix}/runs/{row.id}"
    start(request, background, row.id)
    return RunPublic.model_validate(row)


@router.get("/runs", response_model=list[RunPublic])
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> object:
    """The latest runs, newest first."""
    return [RunPublic.model_validate(r) for r in runs.runs(session, principal, limit)]


@router.get("/runs/{run_id}", response_model=RunPublic)
def get_run(run_id: int, session: SessionDep, principal: PrincipalDep) -> object:
    """A run: its state, progress and (when done) the comparison with the baseline."""
    return RunPublic.model_validate(runs.get(session, principal, run_id))


@router.get("/runs/{run_id}/study", response_model=Study)
def get_study(run_id: int, session: SessionDep, principal: PrincipalDep) -> object:
    """The study as submitted (to edit and submit again)."""
    return runs.study(runs.get(session, principal, run_id))


@router.get("/runs/{run_id}/bands")
def get_bands(
    run_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    metric: Metric = ["new_infections", "in_hospital", "in_icu"],  # noqa: B006
) -> dict[str, Any]:
    """Median and 90 % interval across seeds, per scenario, metric and day:
    ``{scenario: {metric: {day, date, low, median, high}}}``."""
    unknown = [m for m in metric if m not in METRICS]
    if unknown:
        raise InvalidInput(f"Unknown metric {unknown[0]!r}", field="metric")
    row = runs.get(session, principal, run_id)
    return runs.bands(settings.data_dir, row, tuple(metric))


@router.get(
    "/runs/{run_id}/tables/{name}.parquet",
    response_class=FileResponse,
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
)
def get_table(
    run_id: int,
    name: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> FileResponse:
    """A results table as Parquet: ``series`` (every run's daily series),
    ``bands``, ``comparison``, ``by_district``, ``by_age``."""
    row = runs.get(session, principal, run_id)
    return FileResponse(
        runs.result_path(settings.data_dir, row, name),
        media_type="application/vnd.apache.parquet",
        filename=f"model-run-{row.id}-{name}.parquet",
    )


@router.get("/distancing", response_model=list[DistancingLevel])
def distancing(principal: PrincipalDep) -> object:
    """The distancing levels of the Nov 2020 scheme as the model applies them:
    contact multipliers per layer and per venue kind (docs/abm.md)."""
    authorize(principal, Permission.STATS_READ)
    return [
        DistancingLevel(
            level=level,
            household=m[0],
            school=m[1],
            work=m[2],
            community=m[3],
            venues={k: DISTANCING_VENUES[level].get(k, 1.0) for k in VENUE_KINDS[1:]},
        )  # fmt: skip
        for level, m in DISTANCING.items()
    ]
