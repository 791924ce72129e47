"""Model runs on the database: submit a study, run it, read its results.

A run is a row (:class:`~outbreak.store.tables.ScenarioRunRow`) that moves
queued → running → done (or failed). Running is :func:`execute`: the study's
sweep, in this process (threads) or on the Dask cluster named by the settings,
with the row's progress updated as runs finish; the results are written as
Parquet files under ``<data_dir>/scenarios/<id>/`` (each whole, then moved into
place) before the row says ``done``. A server that stops mid-run leaves the row
``running``; :func:`recover` marks such rows failed when the next one starts, so
nothing claims results it does not have.

Model runs are aggregates of synthetic agents: no personal data goes in or comes
out, so reading them needs ``stats.read`` and running them ``model.run``.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.auth import Permission, Principal, authorize
from outbreak.config import Settings
from outbreak.errors import Conflict, InvalidInput, NotFound
from outbreak.model.abm.scenario import Study, study_of
from outbreak.model.abm.sweep import Sweep, dask_sweep, population, sweep, tasks
from outbreak.store.base import utcnow
from outbreak.store.tables import ScenarioRunRow
from outbreak.types import RunState

DEFAULT_MAX_AGENT_DAYS: int = Settings.model_fields["model_max_agent_days"].default
INTERRUPTED = "The server stopped while this run was in progress; submit it again."
TABLES = ("series", "bands", "comparison", "by_district", "by_age")


def agent_days(study: Study) -> int:
    """The work a study asks for: agents × days × runs."""
    return study.population.agents * study.days * len(tasks(study))


def submit(
    session: Session,
    principal: Principal,
    data: Study | dict[str, Any],
    *,
    max_agent_days: int = DEFAULT_MAX_AGENT_DAYS,
) -> ScenarioRunRow:
    """Record a study to run (validated; at most ``max_agent_days`` of work: the
    server's cores are shared)."""
    authorize(principal, Permission.MODEL_RUN)
    study = data if isinstance(data, Study) else study_of(data)
    work = agent_days(study)
    if work > max_agent_days:
        raise InvalidInput(
            f"This study asks for {work:,} agent-days; this server runs at most "
            f"{max_agent_days:,} per submission (fewer agents, days, "
            "scenarios or seeds; or run it with `outbreak model sweep` on a "
            "Dask cluster)",
            field="population.agents",
        )
    row = ScenarioRunRow(
        name=study.name,
        spec=study.model_dump_json(),
        state=RunState.QUEUED,
        runs_done=0,
        runs_total=len(tasks(study)),
        agent_days=work,
        created_by=principal.username,
    )
    session.add(row)
    session.commit()
    return row


def get(session: Session, principal: Principal, run_id: int) -> ScenarioRunRow:
    """One run."""
    authorize(principal, Permission.STATS_READ)
    row = session.get(ScenarioRunRow, run_id)
    if row is None:
        raise NotFound(f"No model run {run_id}")
    return row


def runs(
    session: Session, principal: Principal, limit: int = 50
) -> list[ScenarioRunRow]:
    """The latest runs, newest first."""
    authorize(principal, Permission.STATS_READ)
    q = sa.select(ScenarioRunRow).order_by(ScenarioRunRow.id.desc()).limit(limit)
    return list(session.scalars(q))


def study(row: ScenarioRunRow) -> Study:
    """The study a run was submitted with."""
    return Study.model_validate_json(row.spec)


def results_dir(data_dir: Path, run_id: int) -> Path:
    return data_dir / "scenarios" / str(run_id)


# One study at a time per server process: each uses every core, and runs started
# together only slowed each other down; the others wait in state "queued".
_ONE_AT_A_TIME = threading.Lock()


def execute(
    sessions: Callable[[], Session],
    run_id: int,
    data_dir: Path,
    *,
    scheduler: str | None = None,
) -> None:
    """Run a queued study and store its results (never raises for the study's own
    failures: they are recorded on the row)."""
    with _ONE_AT_A_TIME:
        _execute(sessions, run_id, data_dir, scheduler=scheduler)
        population.cache_clear()  # a server keeps no agents between runs


def _finish(sessions: Callable[[], Session], run_id: int, **values: Any) -> None:
    """End a running run (unless something else, say ``recover``, ended it)."""
    with sessions() as session:
        session.execute(
            sa.update(ScenarioRunRow)
            .where(ScenarioRunRow.id == run_id)
            .where(ScenarioRunRow.state == RunState.RUNNING)
            .values(finished_at=utcnow(), **values)
        )
        session.commit()


def _execute(
    sessions: Callable[[], Session],
    run_id: int,
    data_dir: Path,
    *,
    scheduler: str | None,
) -> None:
    with sessions() as session:  # claim it: only one caller moves it from queued
        claimed = session.execute(
            sa.update(ScenarioRunRow)
            .where(ScenarioRunRow.id == run_id)
            .where(ScenarioRunRow.state == RunState.QUEUED)
            .values(state=RunState.RUNNING, started_at=utcnow())
        )
        session.commit()
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return
        row = session.get(ScenarioRunRow, run_id)
        assert row is not None
        spec_json, total = row.spec, row.runs_total

    def progress(done: int, _total: int) -> None:
        with sessions() as s:
            s.execute(
                sa.update(ScenarioRunRow)
                .where(ScenarioRunRow.id == run_id)
                .values(runs_done=done)
            )
            s.commit()

    out = results_dir(data_dir, run_id)
    try:
        spec = Study.model_validate_json(spec_json)
        if scheduler is not None:
            result = dask_sweep(spec, scheduler=scheduler, progress=progress)
        else:
            result = sweep(spec, progress=progress)
        shutil.rmtree(out, ignore_errors=True)
        result.write(out)
        summary = json.dumps(_summary(result))
    except Exception as e:  # noqa: BLE001 - the run fails, the server goes on
        _finish(sessions, run_id, state=RunState.FAILED,
                error=f"{type(e).__name__}: {e}"[:2000])  # fmt: skip
        return
    _finish(sessions, run_id, state=RunState.DONE, runs_done=total, summary=summary)


def recover(session: Session) -> int:
    """Mark runs left running or queued by a stopped server as failed."""
    done = session.execute(
        sa.update(ScenarioRunRow)
        .where(ScenarioRunRow.state.in_([RunState.RUNNING, RunState.QUEUED]))
        .values(state=RunState.FAILED, error=INTERRUPTED, finished_at=utcnow())
    )
    session.commit()
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def _summary(result: Sweep) -> list[dict[str, Any]]:
    return [
        {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r.items()
        }
        for r in result.comparison().to_pylist()
    ]


def result_path(data_dir: Path, row: ScenarioRunRow, name: str) -> Path:
    """The file of one of a finished run's tables (series, bands, comparison,
    by_district, by_age)."""
    if name not in TABLES:
        raise InvalidInput(
            f"No table {name!r}; one of {', '.join(TABLES)}", field="table"
        )
    if row.state != RunState.DONE:
        raise Conflict(f"Model run {row.id} is {row.state}: no results yet")
    path = results_dir(data_dir, row.id) / f"{name}.parquet"
    if not path.exists():
        raise NotFound(f"The results of model run {row.id} are gone")
    return path


def table(data_dir: Path, row: ScenarioRunRow, name: str) -> pa.Table:
    """One of a finished run's tables, read."""
    return pq.read_table(result_path(data_dir, row, name))


def bands(
    data_dir: Path, row: ScenarioRunRow, metrics: tuple[str, ...]
) -> dict[str, Any]:
    """The bands of some metrics, as {scenario: {metric: {day, date, low, median,
    high}}} lists (JSON-ready; NaN as None)."""
    t = table(data_dir, row, "bands").to_pandas()
    t = t[t.metric.isin(metrics)]
    out: dict[str, Any] = {}
    for (scenario, metric), g in t.groupby(["scenario", "metric"], sort=False):
        g = g.sort_values("day")
        out.setdefault(str(scenario), {})[str(metric)] = {
            "day": g.day.astype(int).tolist(),
            "date": [None if d is None else str(d) for d in g.date],
            **{
                k: [None if math.isnan(v) else float(v) for v in g[k]]
                for k in ("low", "median", "high")
            },  # fmt: skip
        }
    return out
