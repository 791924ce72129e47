"""Model runs on the database (SQLite and PostgreSQL): submit, run, results,
limits, failures and recovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from outbreak.auth import Principal
from outbreak.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from outbreak.model.abm.scenario import study_of
from outbreak.model.abm.sweep import sweep
from outbreak.scenarios import service as runs
from outbreak.store.tables import ScenarioRunRow
from outbreak.types import Role, RunState

STUDY: dict[str, Any] = {
    "name": "levels",
    "population": {"kind": "hybrid", "agents": 3_000, "seed": 2},
    "start": "2020-11-01",
    "days": 40,
    "seeds": 2,
    "pars": {"initial_infected": 20},
    "scenarios": [
        {"name": "none"},
        {"name": "level 3", "interventions": [{"type": "distancing", "level": "3"}]},
    ],
}


@pytest.fixture
def analyst(make_user: Callable[..., Principal]) -> Principal:
    return make_user("analyst", Role.ANALYST)


def test_submit_run_and_read_results(
    session: Session, engine: sa.Engine, analyst: Principal, tmp_path: Path
) -> None:
    row = runs.submit(session, analyst, STUDY)
    assert row.state == RunState.QUEUED and row.runs_total == 4
    assert row.agent_days == 3_000 * 40 * 4 and row.created_by == "analyst"
    session.commit()  # reading the row began a transaction: SQLite has one writer
    runs.execute(sessionmaker(engine), row.id, tmp_path)
    session.expire_all()
    done = runs.get(session, analyst, row.id)
    assert done.state == RunState.DONE and done.runs_done == 4
    assert done.started_at is not None and done.finished_at is not None
    # the stored results are the sweep's own
    expected = sweep(study_of(STUDY))
    series = runs.table(tmp_path, done, "series").to_pandas()
    got = series[(series.scenario == "level 3") & (series.seed == 2)].new_infections
    assert np.array_equal(got.to_numpy(), expected.runs["level 3", 2].new_infections)
    bands = runs.bands(tmp_path, done, ("new_infections", "in_hospital"))
    assert set(bands) == {"none", "level 3"}
    assert len(bands["none"]["new_infections"]["median"]) == 40
    assert bands["none"]["in_hospital"]["date"][0] == "2020-11-01"
    assert "infections" in done.summary
    assert runs.study(done) == study_of(STUDY)
    assert [r.id for r in runs.runs(session, analyst)] == [row.id]
    # executing again does nothing: only a queued run starts
    session.commit()
    runs.execute(sessionmaker(engine), row.id, tmp_path)
    session.expire_all()
    assert runs.get(session, analyst, row.id).finished_at == done.finished_at


def test_a_failing_study_is_recorded_not_raised(
    session: Session, engine: sa.Engine, analyst: Principal, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    row = runs.submit(session, analyst, STUDY)

    def broken(*args: object, **kw: object) -> None:
        raise MemoryError("out of memory")

    monkeypatch.setattr(runs, "sweep", broken)
    runs.execute(sessionmaker(engine), row.id, tmp_path)
    session.expire_all()
    failed = runs.get(session, analyst, row.id)
    assert failed.state == RunState.FAILED and "out of memory" in failed.error
    with pytest.raises(Conflict):
        runs.table(tmp_path, failed, "bands")
    assert not runs.results_dir(tmp_path, row.id).exists()


def test_recover_fails_runs_a_stopped_server_left(
    session: Session, analyst: Principal
) -> None:
    a = runs.submit(session, analyst, STUDY)
    b = runs.submit(session, analyst, STUDY)
    b.state = RunState.RUNNING
    session.commit()
    assert runs.recover(session) == 2
    session.expire_all()
    for r in (a, b):
        row = session.get(ScenarioRunRow, r.id)
        assert row is not None and row.state == RunState.FAILED
        assert row.error == runs.INTERRUPTED


def test_limits_roles_and_bad_input(
    session: Session, analyst: Principal, make_user: Callable[..., Principal]
) -> None:
    with pytest.raises(InvalidInput) as e:
        runs.submit(session, analyst, STUDY, max_agent_days=100_000)
    assert e.value.field == "population.agents" and "480,000" in str(e.value)
    with pytest.raises(InvalidInput) as e:
        runs.submit(session, analyst, {**STUDY, "days": -1})
    assert e.value.field == "days"
    officer = make_user("officer", Role.QUARANTINE_OFFICER)
    with pytest.raises(PermissionDenied):
        runs.submit(session, officer, STUDY)
    pharmacist = make_user("pharm", Role.PHARMACIST)
    with pytest.raises(PermissionDenied):
        runs.runs(session, pharmacist)
    with pytest.raises(NotFound):
        runs.get(session, analyst, 999)
    assert session.scalar(sa.select(sa.func.count()).select_from(ScenarioRunRow)) == 0
    row = runs.submit(session, analyst, STUDY)
    with pytest.raises(Conflict):
        runs.table(Path("/nonexistent"), row, "bands")
    with pytest.raises(InvalidInput):
        runs.table(Path("/nonexistent"), row, "secrets")
