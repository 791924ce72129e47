"""`outbreak disclose …` end to end on a SQLite file: derive, review, publish, the
snapshot, and a citizen's file checked against it."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli import main
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.types import KST
from tests.disclose.conftest import GANGNAM, PLACES, World, make_places
from tests.disclose.takeout import Point, records_json

PASSWORD = "long enough password"
ENV = {
    "OUTBREAK_ENV": "test",
    "OUTBREAK_SECRET_KEY": "s" * 40,
    "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
    "OUTBREAK_DATA_KEY": "d" * 40,
}


def _registry(root: Path) -> None:
    root.mkdir(parents=True)
    cols = ("place_id", "kind", "name", "address", "lat", "lon")
    table = {c: [p[i] for p in PLACES] for i, c in enumerate(cols)}
    table["district_code"] = [GANGNAM] * len(PLACES)
    pq.write_table(pa.table(table), root / "places.parquet")


def test_disclose_commands(tmp_path: Path) -> None:
    env = {
        **ENV,
        "OUTBREAK_DATA_DIR": str(tmp_path),
        "OUTBREAK_REGISTRY_DIR": str(tmp_path / "registry"),
    }
    _registry(tmp_path / "registry")

    def run(*args: str, code: int = 0, **extra: str) -> Result:
        result = CliRunner().invoke(main, list(args), env={**env, **extra})
        assert result.exit_code == code, result.output
        return result

    run("db", "upgrade")
    run("districts", "load")
    for name, role in (("kim", "investigator"), ("choi", "communicator")):
        run(
            *("users", "create", name, "--role", role, "--scope", "11"),
            OUTBREAK_NEW_PASSWORD=PASSWORD,
        )
    yesterday = datetime.now(KST).date() - timedelta(days=1)
    noon = datetime.combine(yesterday, time(12), KST)
    engine = make_engine(f"sqlite:///{tmp_path / 'outbreak.db'}")
    with make_sessionmaker(engine)() as session:
        kim = Access(session, principal_for(session, "kim"), "case registration")
        choi = Access(session, principal_for(session, "choi"), "disclosure")
        keys = Keys(pseudonym_key="p" * 40, data_key="d" * 40)
        world = World(kim, choi, choi, make_places(PLACES), keys, session)
        world.investigation(
            [
                (1, noon, noon + timedelta(minutes=70)),  # the restaurant
                (4, noon + timedelta(hours=8), noon + timedelta(hours=20)),  # home
            ],
            confirmed=yesterday,
        )
    engine.dispose()

    out = run("disclose", "derive", "--user", "choi").output
    assert "2 new entries" in out and "residence 1" in out
    listed = run("disclose", "list", "--user", "choi", "--state", "proposed").output
    entry = re.search(r"│\s*(\d+)\s*│ proposed", listed)
    assert entry is not None, listed
    refused = run("disclose", "publish", "--all-proposed", "--user", "kim", code=1)
    assert "may not" in refused.output
    run(
        "disclose",
        "edit",
        entry.group(1),
        "--name",
        "30대 남성",
        "--user",
        "choi",
        code=1,
    )
    run("disclose", "edit", entry.group(1), "--name", "행복식당 1층", "--user", "choi")
    assert (
        "1 entries published"
        in run("disclose", "publish", "--all-proposed", "--user", "choi").output
    )
    doc = json.loads((tmp_path / "public" / "exposures.json").read_text())
    assert [i["name"] for i in doc["items"]] == ["행복식당 1층"]

    # a citizen who was there checks their own file, locally
    there = tmp_path / "Records.json"
    there.write_bytes(
        records_json(
            [Point(37.5001, 127.0301, noon + timedelta(minutes=m)) for m in (10, 20)]
        )
    )
    checked = run("disclose", "check", str(there)).output
    assert "1 exposure places match" in checked and "행복식당 1층" in checked
    assert "Get tested" in checked

    # every contact there is found: withdrawn, and the snapshot follows
    run("disclose", "identified", entry.group(1), "--user", "kim")
    assert (
        json.loads((tmp_path / "public" / "exposures.json").read_text())["items"] == []
    )
    assert "0 exposure places match" in run("disclose", "check", str(there)).output
    run(
        "disclose",
        "hide",
        entry.group(1),
        "--reason",
        "short",
        "--user",
        "choi",
        code=1,
    )
    assert "outside_window" in run("disclose", "rules").output
    snapshot = run("disclose", "snapshot").output
    assert "0 published entries" in snapshot
