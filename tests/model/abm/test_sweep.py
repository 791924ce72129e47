"""Sweeps: the same numbers serially and on Dask; bands; paired comparisons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from outbreak.model.abm.scenario import Study, study_of
from outbreak.model.abm.sweep import METRICS, Sweep, dask_sweep, sweep


@pytest.fixture(scope="module")
def study() -> Study:
    return study_of(
        {
            "name": "levels",
            "population": {"kind": "hybrid", "agents": 20_000, "seed": 3},
            "start": "2020-11-01",
            "days": 90,
            "seeds": 6,
            "scenarios": [
                {"name": "none"},
                {"name": "level 2",
                 "interventions": [{"type": "distancing", "level": "2", "start": 20}]},
                {"name": "level 3",
                 "interventions": [{"type": "distancing", "level": "3", "start": 20}]},
            ],
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def serial(study: Study) -> Sweep:
    seen: list[tuple[int, int]] = []
    result = sweep(study, progress=lambda k, n: seen.append((k, n)))
    assert seen[-1] == (18, 18) and len(seen) == 18
    return result


def test_same_seed_same_result_serial_or_on_dask(study: Study, serial: Sweep) -> None:
    small = study.model_copy(update={"seeds": [2, 5]})
    on_dask = dask_sweep(small, workers=2)
    for key, r in on_dask.runs.items():
        assert np.array_equal(r.new_infections, serial.runs[key].new_infections)
        assert np.array_equal(r.in_hospital, serial.runs[key].in_hospital)
    assert set(on_dask.runs) == {
        (s, k) for s in ("none", "level 2", "level 3") for k in (2, 5)
    }


def test_bands_hold_the_median_between_the_interval(serial: Sweep) -> None:
    bands = serial.bands().to_pandas()
    assert set(bands.metric) == set(METRICS)
    assert len(bands) == 3 * len(METRICS) * 90
    ok = bands.dropna()
    assert (ok.low <= ok["median"]).all() and (ok["median"] <= ok.high).all()
    inf = bands[(bands.metric == "cumulative_infections") & (bands.day == 89)]
    med = dict(zip(inf.scenario, inf["median"], strict=True))
    assert med["none"] > med["level 2"] > med["level 3"]
    assert str(bands.date.iloc[0]) == "2020-11-01"


def test_comparison_pairs_by_seed(serial: Sweep) -> None:
    comp = serial.comparison().to_pandas()
    base = comp[(comp.scenario == "none")]
    assert (base.averted_median == 0).all() and (base.averted_low == 0).all()
    row = comp[(comp.scenario == "level 3") & (comp.outcome == "infections")].iloc[0]
    assert row.averted_low > 0  # every seed: fewer infections than the baseline
    # common random numbers: the paired difference is tighter than the spread of
    # an unpaired one
    outs = serial.outcomes()
    paired = outs["none"]["infections"] - outs["level 2"]["infections"]
    a, b = outs["none"]["infections"], outs["level 2"]["infections"]
    unpaired = (a[:, None] - b[None, :]).ravel()
    assert paired.std() < unpaired.std()
    assert set(comp.outcome) >= {"deaths", "peak_icu", "hospital_bed_days"}


def test_write_gives_parquet_files(serial: Sweep, tmp_path: Path) -> None:
    files = serial.write(tmp_path / "out")
    assert set(files) == {
        "series",
        "bands",
        "comparison",
        "by_district",
        "by_age",
        "study",
    }
    series = pq.read_table(files["series"])
    assert series.num_rows == 3 * 6 * 90
    assert {"scenario", "seed", "day", "date", *METRICS} <= set(series.column_names)
    assert not list((tmp_path / "out").glob("*.tmp"))
    again = Study.model_validate_json(files["study"].read_text("utf-8"))
    assert again == serial.study
    by_age = pq.read_table(files["by_age"]).to_pandas()
    assert by_age.groupby("scenario").infections.sum()["none"] > 0
