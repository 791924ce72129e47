"""Movement data through the API and the dashboard: aggregates and the catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.config import Settings
from outbreak.ingest import MovementStore, ingest_file
from outbreak.privacy import Keys
from outbreak.types import Role
from tests.ingest.test_adapters import REF, T0, gps
from tests.web.helpers import assert_problem, login


def test_summary_batches_and_page(
    client: TestClient,
    settings: Settings,
    session: Session,
    keys: Keys,
    make_user: Callable[..., Principal],
    tmp_path: Path,
) -> None:
    ops = Access(session, make_user("ops", Role.INVESTIGATOR), "ingest test")
    path = tmp_path / "gps.parquet"
    rows = [gps(T0 + 300 * i + 1) for i in range(10)] + [gps(T0, lat=0.0, lon=0.0)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    ingest_file(
        ops, keys, MovementStore(settings.parquet_path / "movement"), "gps", path, REF
    )
    headers = login(client, "ops")
    summary = client.get("/api/v1/movement/summary", headers=headers).json()
    assert summary["by_source"] == {"gps": 10}
    districts = summary["by_district"]  # Seoul city hall's 2 km tile: Jung/Jongno-gu
    assert set(districts) <= {"11010", "11020"}
    assert sum(v["gps"] for v in districts.values()) == 10
    assert summary["first_day"] == summary["last_day"] == "2020-05-04"
    batches = client.get("/api/v1/movement/batches", headers=headers).json()
    assert batches["count"] == 1
    assert batches["data"][0]["rejects_by_reason"] == {"outside_country": 1}
    make_user("lee", Role.ANALYST)
    assert_problem(
        client.get("/api/v1/movement/batches", headers=login(client, "lee")),
        403,
        "permission_denied",
    )
    client.post("/login", data={"username": "ops", "password": "correct horse battery"})
    page = client.get("/movement?lang=en").text
    assert "Ingested movement data" in page and 'id="count-gps">10<' in page
