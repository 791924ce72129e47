"""Model runs through the REST API: submit (202, run after the response), follow,
bands, Parquet tables, problem+json errors naming the field, roles, OpenAPI."""

from __future__ import annotations

import io
from collections.abc import Callable

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.scenarios.test_service import STUDY
from tests.web.helpers import assert_problem, login


@pytest.fixture
def analyst(client: TestClient, make_user: Callable[..., Principal]) -> dict[str, str]:
    make_user("analyst", Role.ANALYST)
    return login(client, "analyst")


def test_submit_follow_and_fetch(client: TestClient, analyst: dict[str, str]) -> None:
    r = client.post("/api/v1/model/abm/runs", headers=analyst, json=STUDY)
    assert r.status_code == 202, r.text
    run = r.json()
    assert r.headers["location"] == f"/api/v1/model/abm/runs/{run['id']}"
    # the test client runs the background task before it returns
    r = client.get(r.headers["location"], headers=analyst)
    body = r.json()
    assert body["state"] == "done" and body["runs_done"] == body["runs_total"] == 4
    outcomes = {(c["scenario"], c["outcome"]): c for c in body["comparison"]}
    assert outcomes["none", "infections"]["averted_median"] == 0
    assert outcomes["level 3", "infections"]["averted_median"] > 0
    wanted = {"metric": ["new_infections", "in_icu"]}
    r = client.get(f"/api/v1/model/abm/runs/{run['id']}/bands", params=wanted,
                   headers=analyst)  # fmt: skip
    assert r.status_code == 200
    bands = r.json()
    assert set(bands["level 3"]) == {"new_infections", "in_icu"}
    b = bands["none"]["new_infections"]
    assert len(b["day"]) == 40 and all(
        lo <= m <= hi
        for lo, m, hi in zip(b["low"], b["median"], b["high"], strict=True)
    )
    r = client.get(f"/api/v1/model/abm/runs/{run['id']}/tables/series.parquet",
                   headers=analyst)  # fmt: skip
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == 2 * 2 * 40
    r = client.get(f"/api/v1/model/abm/runs/{run['id']}/study", headers=analyst)
    assert r.json()["scenarios"][1]["interventions"][0]["level"] == "3"
    listed = client.get("/api/v1/model/abm/runs", headers=analyst).json()
    assert [x["id"] for x in listed] == [run["id"]]


def _one(item: dict[str, str]) -> dict[str, object]:
    return {"scenarios": [{"name": "a", "interventions": [item]}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": 0}, "days"),
        ({"population": {"agents": 5}}, "population.agents"),
        ({"baseline": "nope"}, "baseline"),
        (_one({"type": "distancing", "level": "9"}),
         "scenarios.0.interventions.0.distancing.level"),
        (_one({"type": "masks", "start": "2020-10-01"}),
         "scenarios.0.interventions.0.start"),
    ],
)  # fmt: skip
def test_bad_studies_name_the_field(
    client: TestClient,
    analyst: dict[str, str],
    change: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    r = client.post("/api/v1/model/abm/runs", headers=analyst, json={**STUDY, **change})
    assert_problem(r, 422, "invalid_input", field)
    assert client.get("/api/v1/model/abm/runs", headers=analyst).json() == []


def test_too_big_a_study_is_refused(
    client: TestClient, analyst: dict[str, str]
) -> None:
    big = {**STUDY, "population": {"agents": 20_000_000}, "days": 1000, "seeds": 50}
    r = client.post("/api/v1/model/abm/runs", headers=analyst, json=big)
    body = assert_problem(r, 422, "invalid_input", "population.agents")
    assert "agent-days" in body["detail"]


def test_roles_and_missing_runs(
    client: TestClient, make_user: Callable[..., Principal], analyst: dict[str, str]
) -> None:
    make_user("officer", Role.QUARANTINE_OFFICER)
    officer = login(client, "officer")
    r = client.post("/api/v1/model/abm/runs", headers=officer, json=STUDY)
    assert_problem(r, 403, "permission_denied")
    assert client.get("/api/v1/model/abm/runs", headers=officer).status_code == 200
    assert_problem(
        client.get("/api/v1/model/abm/runs/77", headers=analyst), 404, "not_found"
    )
    assert client.get("/api/v1/model/abm/runs").status_code == 401
    r = client.get(
        "/api/v1/model/abm/runs/1/bands", params={"metric": "x"}, headers=analyst
    )
    assert_problem(r, 422, "invalid_input", "metric")


def test_distancing_table_and_openapi(
    client: TestClient, analyst: dict[str, str]
) -> None:
    levels = client.get("/api/v1/model/abm/distancing", headers=analyst).json()
    assert [lv["level"] for lv in levels] == ["1", "1.5", "2", "2.5", "3"]
    assert levels[-1]["school"] == 0 and levels[-1]["venues"]["bar_club"] == 0
    spec = client.get("/openapi.json").json()
    assert "/api/v1/model/abm/runs" in spec["paths"]
    assert "Study" in spec["components"]["schemas"]
