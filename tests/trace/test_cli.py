"""`outbreak trace …` end to end on a SQLite file and the test city's store."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner, Result

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cases import create_case, register_person
from outbreak.cli import main
from outbreak.config import load_settings
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.synth.city import phone_of
from outbreak.types import IdentifierKind, InfectionSource
from tests.trace.conftest import City

PASSWORD = "long enough password"


def test_trace_commands(city: City, tmp_path: Path) -> None:
    env = {
        "OUTBREAK_ENV": "test",
        "OUTBREAK_SECRET_KEY": "s" * 40,
        "OUTBREAK_PSEUDONYM_KEY": "test-pseudonym-key-" + "p" * 32,
        "OUTBREAK_DATA_KEY": "test-data-key-" + "d" * 32,
        "OUTBREAK_DATA_DIR": str(tmp_path),
        "OUTBREAK_PARQUET_DIR": str(city.store.root.parent),
        "OUTBREAK_REGISTRY_DIR": str(city.root / "city"),
    }

    def run(*args: str, **extra: str) -> Result:
        result = CliRunner().invoke(main, list(args), env={**env, **extra})
        assert result.exit_code == 0, result.output
        return result

    run("db", "upgrade")
    run("districts", "load")
    run(
        "users",
        "create",
        "kim",
        "--role",
        "investigator",
        "--scope",
        "11",
        OUTBREAK_NEW_PASSWORD=PASSWORD,
    )
    run(
        "users",
        "create",
        "lee",
        "--role",
        "data_approver",
        "--scope",
        "11",
        OUTBREAK_NEW_PASSWORD=PASSWORD,
    )
    settings = load_settings(
        _env_file=None,
        **{k.removeprefix("OUTBREAK_").lower(): v for k, v in env.items()},
    )
    keys = Keys(
        pseudonym_key=env["OUTBREAK_PSEUDONYM_KEY"], data_key=env["OUTBREAK_DATA_KEY"]
    )
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as session:
        access = Access(session, principal_for(session, "kim"), "case registration")
        phone = str(phone_of(np.array([1]))[0])
        person = register_person(
            access,
            keys,
            identifier=phone,
            phone=phone,
            identifier_kind=IdentifierKind.PHONE,
            district_code="11230",
        )
        case = create_case(
            access,
            person_key=person.key,
            district_code="11230",
            confirmed_on=date(2020, 5, 5),
            sample_on=date(2020, 5, 5),
            source=InfectionSource.LOCAL,
        )
        session.commit()
        case_id = case.id
    engine.dispose()
    opened = run("trace", "open", str(case_id), "--passers-by", "--user", "kim")
    assert "Investigation 1" in opened.output and "from sample" in opened.output
    assert "People passing by are looked for too." in opened.output
    listed = run("trace", "list", "--user", "kim")
    assert "open" in listed.output and str(case_id) in listed.output
    added = run("trace", "identify", "1", "card", "4111111111111111", "--user", "kim")
    assert "Added card" in added.output and "4111111111111111" not in added.output
    noted = run(
        "trace", "note", "1", "was at church", "--place", "3",
        "--start", "2020-05-04T10:00", "--end", "2020-05-04T11:00", "--user", "kim",
    )  # fmt: skip
    assert "Note 1" in noted.output
    bad_time = CliRunner().invoke(
        main, ["trace", "note", "1", "x", "--start", "10am", "--user", "kim"], env=env
    )
    assert bad_time.exit_code == 2 and "--start" in bad_time.output
    asked = run(
        "trace",
        "request",
        "1",
        "gps",
        "checkins",
        "place_devices",
        "--reason",
        "route and contacts of the case",
        "--user",
        "kim",
    )
    assert asked.output.count("pending") == 3
    denied = CliRunner().invoke(
        main, ["trace", "decide", "1", "--user", "kim"], env=env
    )
    assert denied.exit_code == 1 and "Error:" in denied.output
    assert "approved" in run("trace", "decide", "1", "2", "3", "--user", "lee").output
    route = run("trace", "route", "1", "--user", "kim")
    assert "gps" in route.output
    contacts = run("trace", "contacts", "1", "--user", "kim", "--quarantine")
    assert (
        "household" in contacts.output and "quarantine orders issued" in contacts.output
    )
    of_contacts = [
        "trace", "request", "1", "gps", "place_devices",
        "--reason", "who the first contacts met", "--user", "kim",
    ]  # fmt: skip
    bad = CliRunner().invoke(main, [*of_contacts, "--contacts", "two"], env=env)
    assert bad.exit_code == 2 and "--contacts" in bad.output
    asked = run(*of_contacts, "--contacts", "1,2,3")
    assert asked.output.count("of contacts [1, 2, 3]") == 2
    run("trace", "decide", "4", "5", "--user", "lee")
    second = run("trace", "contacts-of-contacts", "1", "--user", "kim")
    counted = re.search(r"([\d,]+) second-degree contacts", second.output)
    assert counted and int(counted[1].replace(",", "")) > 0
    # the investigation's quarantine orders go to a quarantine officer
    run(
        "users", "create", "park", "--role", "quarantine_officer", "--scope", "11",
        OUTBREAK_NEW_PASSWORD=PASSWORD,
    )  # fmt: skip
    issued = run(
        "quarantine", "issue", "1", "--lat", "37.4979", "--lon", "127.0276",
        "--user", "park",
    )  # fmt: skip
    assert "officer park" in issued.output and "App token (shown once)" in issued.output
    again = run(
        "quarantine", "issue", "1", "--lat", "37.4979", "--lon", "127.0276",
        "--user", "park",
    )  # fmt: skip
    assert "App token" not in again.output  # issued once
    listed = run("quarantine", "list", "--mine", "--user", "park")
    assert "issued" in listed.output
    assert "alerts raised" in run("quarantine", "evaluate").output
    wrong = CliRunner().invoke(
        main, ["quarantine", "state", "1", "breached", "--user", "park"], env=env
    )
    assert wrong.exit_code == 1 and "cannot become breached" in wrong.output
    # the 2020 order's period is long over: it can be released
    assert (
        "released"
        in run("quarantine", "state", "1", "released", "--user", "park").output
    )
    assert "orders deleted" in run("quarantine", "purge").output
    graph = tmp_path / "chains.graphml"
    net = run("trace", "network", "--user", "kim", "--graphml", str(graph))
    assert "1 cases" in net.output and graph.read_text().startswith("<?xml")
    assert "closed" in run("trace", "close", "1", "--user", "kim").output
    assert "closed" in run("trace", "list", "--user", "kim").output
    pairs = tmp_path / "pairs.parquet"
    args = ["trace", "graph", "--day", "2020-05-04", "--out", str(pairs)]
    refused = CliRunner().invoke(main, [*args, "--user", "kim"], env=env)
    assert refused.exit_code == 1  # everyone's data: administrators only
    run(
        "users",
        "create",
        "root",
        "--role",
        "admin",
        "--scope",
        "*",
        OUTBREAK_NEW_PASSWORD=PASSWORD,
    )
    day = run(*args, "--user", "root")
    assert "pairs in" in day.output
    assert pq.read_table(pairs).column_names == ["pa", "pb", "bins"]
