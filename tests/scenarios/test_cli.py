"""`outbreak model run | sweep | calibrate | distancing` end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner

from outbreak.cli import main

STUDY = """
name: cli study
population: {kind: hybrid, agents: 3000, seed: 1}
days: 30
seeds: 2
pars: {initial_infected: 15}
scenarios:
  - name: none
  - name: level 3
    interventions: [{type: distancing, level: "3", start: 5}]
"""


def test_run_and_sweep_write_the_same_tables(tmp_path: Path) -> None:
    f = tmp_path / "study.yaml"
    f.write_text(STUDY, "utf-8")
    runner = CliRunner()
    r = runner.invoke(main, ["model", "run", str(f), "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    assert (
        "cli study" in r.output and "infections" in r.output and "averted" in r.output
    )
    r = runner.invoke(main, ["model", "sweep", str(f), "--workers", "2",
                             "--out", str(tmp_path / "b")])  # fmt: skip
    assert r.exit_code == 0, r.output
    a = pq.read_table(tmp_path / "a" / "series.parquet").sort_by(
        [("scenario", "ascending"), ("seed", "ascending"), ("day", "ascending")]
    )
    b = pq.read_table(tmp_path / "b" / "series.parquet").sort_by(
        [("scenario", "ascending"), ("seed", "ascending"), ("day", "ascending")]
    )
    assert a.num_rows == 2 * 2 * 30
    assert a.drop_columns(["rt"]).equals(b.drop_columns(["rt"]))
    # Rt is NaN on days without infectors to count, and NaN != NaN in Arrow.
    np.testing.assert_array_equal(a["rt"].to_numpy(), b["rt"].to_numpy())
    r = runner.invoke(main, ["model", "run", str(f), "--seeds", "1", "--out",
                             str(tmp_path / "c")])  # fmt: skip
    assert r.exit_code == 0
    assert pq.read_table(tmp_path / "c" / "series.parquet").num_rows == 2 * 30


def test_bad_studies_fail_cleanly(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(STUDY.replace('level: "3"', 'level: "7"'), "utf-8")
    r = CliRunner().invoke(main, ["model", "run", str(f)])
    assert r.exit_code == 1
    assert "Error:" in r.output and "scenarios.1.interventions.0" in r.output
    assert not (tmp_path / "var").exists()


def test_calibrate_and_distancing(tmp_path: Path) -> None:
    out = tmp_path / "fit.parquet"
    r = CliRunner().invoke(main, ["model", "calibrate", "--agents", "20000", "--seeds",
                                  "1", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "r2_weekly_log" in r.output and "observed_total" in r.output
    assert {"date", "observed", "fitted"} <= set(pq.read_table(out).column_names)
    r = CliRunner().invoke(main, ["model", "distancing"])
    assert r.exit_code == 0 and "2.5" in r.output and "bar_club" in r.output
