"""The CLI end to end on a real SQLite file (and PostgreSQL for db upgrade)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from outbreak.cli import main
from outbreak.testing import TemplateDatabases

MIGRATIONS = (
    Path(__file__).parents[1] / "outbreak" / "store" / "migrations" / "versions"
)
SECRETS = {
    "OUTBREAK_ENV": "test",
    "OUTBREAK_SECRET_KEY": "s" * 40,
    "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
    "OUTBREAK_DATA_KEY": "d" * 40,
}


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {**SECRETS, "OUTBREAK_DATA_DIR": str(tmp_path)}

    def invoke(*args: str, input: str | None = None, **extra: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **extra}, input=input)

    return invoke


def test_db_upgrade_on_both_backends(
    backend: str,
    databases: TemplateDatabases,
    run,  # type: ignore[no-untyped-def]
) -> None:
    url = databases.url(backend, empty=True)
    result = run("db", "upgrade", OUTBREAK_DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    head = sorted(p.name[:4] for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]
    assert f"revision {head}" in result.output
    current = run("db", "current", OUTBREAK_DATABASE_URL=url)
    assert f"current: {head}  head: {head}" in current.output
    databases.drop(url)


def test_setup_users_and_audit(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("db", "upgrade").exit_code == 0
    loaded = run("districts", "load")
    assert "268 districts loaded (268 new)" in loaded.output
    assert "(0 new)" in run("districts", "load").output  # idempotent
    listed = run("districts", "list", "--parent", "11")
    assert "Gangnam-gu" in listed.output and "Busan" not in listed.output
    created = run(
        "users",
        "create",
        "kim",
        "--role",
        "investigator",
        "--scope",
        "11230",
        OUTBREAK_NEW_PASSWORD="long enough password",
    )
    assert created.exit_code == 0, created.output
    assert "Created kim (investigator) over 11230" in created.output
    assert "kim" in run("users", "list").output
    key = run("users", "api-key", "kim", "--name", "bot").output.strip()
    assert key.startswith("obk_")
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "0 entries intact" in verified.output


def test_audit_verify_detects_tampering(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from outbreak.audit import AuditFields
    from outbreak.store import make_engine, make_sessionmaker, session_scope
    from outbreak.store.queries.audit import append_entry

    run("db", "upgrade")
    engine = make_engine(f"sqlite:///{tmp_path / 'outbreak.db'}")
    with session_scope(make_sessionmaker(engine)) as session:
        for i in range(5):
            append_entry(
                session=session,
                fields=AuditFields(
                    "kim",
                    "investigator",
                    "case.read",
                    "case",
                    str(i),
                    "tracing",
                    "allowed",
                ),
            )
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and "5 entries intact" in ok.output
    head = ok.output.split("head ")[1].split()[0]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
        conn.execute(sa.text("UPDATE audit_log SET purpose='curiosity' WHERE seq=3"))
    bad = run("audit", "verify", "--expect-head", head)
    assert bad.exit_code == 1
    assert "entry 3: contents do not match its hash (edited)" in bad.output
    assert bad.output.rstrip().endswith("Error: audit log is NOT intact (1 problems)")
    engine.dispose()


def test_errors_are_clean_unless_debug(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    bad = run(
        "users",
        "create",
        "x",
        "--role",
        "admin",
        "--scope",
        "seoul",
        OUTBREAK_NEW_PASSWORD="long enough password",
    )
    assert bad.exit_code == 1
    assert "Error: Invalid username 'x'" in bad.output
    assert "Traceback" not in bad.output
    debug = run(
        "--debug",
        "users",
        "create",
        "x",
        "--role",
        "admin",
        "--scope",
        "*",
        OUTBREAK_NEW_PASSWORD="long enough password",
    )
    assert debug.exit_code == 1 and debug.exception is not None


def test_bad_setting_is_named(run) -> None:  # type: ignore[no-untyped-def]
    result = run("db", "current", OUTBREAK_TOKEN_LIFETIME_MIN="forever")
    assert result.exit_code == 1
    assert "Error: Invalid setting OUTBREAK_TOKEN_LIFETIME_MIN" in result.output
    placeholder = run(
        "db", "current", OUTBREAK_ENV="prod", OUTBREAK_SECRET_KEY="changethis"
    )
    assert "OUTBREAK_SECRET_KEY" in placeholder.output and placeholder.exit_code == 1


def test_usage_errors_exit_2(run) -> None:  # type: ignore[no-untyped-def]
    assert run("users", "create", "kim").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_serve_refuses_an_unmigrated_database(run) -> None:  # type: ignore[no-untyped-def]
    result = run("serve")
    assert result.exit_code == 1 and "outbreak db upgrade" in result.output


def test_settings_hide_secrets(run) -> None:  # type: ignore[no-untyped-def]
    out = run("settings").output
    assert "OUTBREAK_SECRET_KEY" in out and "ssss" not in out


def test_demo_loads_once_without_serving(run) -> None:  # type: ignore[no-untyped-def]
    first = run("demo", "--no-serve", "--scale", "0.02", "--city-people", "300")
    assert first.exit_code == 0, first.output
    assert "Loaded" in first.output and "outbreak-demo" in first.output
    assert "new rows ingested" in " ".join(first.output.split())
    again = run("demo", "--no-serve", "--city-people", "300")
    assert "0 new rows ingested" in " ".join(again.output.split())  # idempotent
    assert "already loaded" in again.output
    assert "entries intact" in run("audit", "verify").output
    refused = run("demo", "--no-serve", OUTBREAK_ENV="prod")
    assert refused.exit_code == 1 and "prod" in refused.output


def test_retention_sweep(run) -> None:  # type: ignore[no-untyped-def]
    run("demo", "--no-serve", "--scale", "0.02", "--city-people", "0")
    kept = run("retention", "sweep")
    assert kept.exit_code == 0 and "0 people purged" in kept.output
    later = run("retention", "sweep", "--today", "2099-01-01")
    assert later.exit_code == 0
    assert int(later.output.split()[0]) > 0


REF = Path(__file__).parent / "model" / "reference" / "epiestim"


def test_model_rt_writes_epiestim_columns(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    out = tmp_path / "rt.parquet"
    result = run(
        "model",
        "rt",
        str(REF / "Flu2009_incidence.csv"),
        "--si-mean",
        "2.6",
        "--si-sd",
        "1.5",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 25 windows" in result.output and "1.736" in result.output
    table = pq.read_table(out).to_pylist()
    assert list(table[0])[:4] == ["t_start", "t_end", "mean", "std"]
    assert table[0]["mean"] == pytest.approx(1.7357976636949521, rel=1e-9)
    csv_out = tmp_path / "rt.csv"
    nonpar = run(
        "model",
        "rt",
        str(REF / "SARS2003_incidence.csv"),
        "--si-distr",
        str(REF / "SARS2003_si_distr.csv"),
        "--out",
        str(csv_out),
    )
    assert nonpar.exit_code == 0 and "too early" in " ".join(nonpar.output.split())
    assert csv_out.read_text().splitlines()[1].startswith("2,8,NA")


def test_model_rt_names_a_bad_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("I\n3\n4\nmany\n")
    result = run("model", "rt", str(bad))
    assert result.exit_code == 1
    assert "bad.csv:4: column I is 'many'" in " ".join(result.output.split())
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("cases\n3\n")
    assert "needs a column 'I'" in run("model", "rt", str(wrong)).output


def test_model_project_and_serial_interval(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    counts = tmp_path / "inc.csv"
    days = np.round(50 * np.exp(0.04 * np.arange(42))).astype(int)
    counts.write_text("I\n" + "\n".join(map(str, days)) + "\n")
    proj = run("model", "project", str(counts), "--population", "1000000")
    assert proj.exit_code == 0, proj.output
    assert "doubling time" in proj.output and "stricter" in proj.output
    intervals = tmp_path / "si.csv"
    intervals.write_text("\n".join(map(str, [2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 3, 4, 0])))
    si = run("model", "serial-interval", str(intervals))
    assert si.exit_code == 0 and "12 pairs, 1 left out" in " ".join(si.output.split())


def test_synth_city(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "city"
    result = run(
        "synth",
        "city",
        "--people",
        "300",
        "--days",
        "1",
        "--seed",
        "5",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "gps" in result.output and "bytes/row" in result.output
    assert (out / "manifest.json").exists()
    assert (
        out / "feeds" / "telecom" / "date=2020-05-04" / "part-00000.parquet"
    ).exists()
    bad = run("synth", "city", "--people", "10", "--out", str(tmp_path / "x"))
    assert bad.exit_code == 1 and "at least 100 people" in bad.output


def test_ingest_city_feeds_then_compact(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    city = tmp_path / "city"
    assert (
        run(
            "synth", "city", "--people", "200", "--days", "1", "--out", str(city)
        ).exit_code
        == 0
    )
    run("db", "upgrade")
    run("users", "create", "ops", "--role", "investigator", "--scope", "11",
        OUTBREAK_NEW_PASSWORD="long enough password")  # fmt: skip
    gps = run("ingest", "gps", str(city / "feeds" / "gps"), "--user", "ops",
              "--city", str(city), "--no-compact")  # fmt: skip
    assert gps.exit_code == 0, gps.output
    assert "new rows in" in gps.output and "compacted" not in gps.output
    tel = run("ingest", "telecom", str(city / "feeds" / "telecom"), "--user", "ops",
              "--city", str(city))  # fmt: skip
    assert tel.exit_code == 0, tel.output
    assert "compacted" in tel.output  # GPS and telecom pings shared partitions
    store = tmp_path / "parquet" / "movement" / "pings"
    per_dir: dict[Path, int] = {}
    for f in store.rglob("*.parquet"):
        per_dir[f.parent] = per_dir.get(f.parent, 0) + 1
    assert per_dir and set(per_dir.values()) == {1}
    again = run("ingest", "gps", str(city / "feeds" / "gps"), "--user", "ops",
                "--city", str(city))  # fmt: skip
    assert "already ingested" in again.output and "0 new rows" in again.output
