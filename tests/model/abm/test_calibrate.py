"""Calibration to Korea's first wave: observed counts, grid search, the report."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from outbreak.errors import InvalidInput
from outbreak.model.abm.calibrate import calibrate, observed
from outbreak.model.korea import korea_regional


def test_observed_daegu_is_the_reported_daily_count() -> None:
    obs = observed("22", date(2020, 2, 18), date(2020, 3, 10))
    assert len(obs) == 22
    cum = korea_regional(start=date(2020, 2, 17), end=date(2020, 3, 10))
    assert obs.sum() == cum.total[cum.regions.index("22")][1:].sum()
    assert int(np.argmax(obs)) == 11  # 29 Feb 2020: 741 new cases in Daegu
    assert obs.max() > 700
    national = observed("KR", date(2020, 2, 18), date(2020, 3, 10))
    assert national.sum() > obs.sum()


def test_calibration_picks_the_best_of_its_grid() -> None:
    fit = calibrate(agents=30_000, betas=(0.004, 0.016), initial_per_100k=(10.0,),
                    seeds=2, end=date(2020, 3, 31))  # fmt: skip
    grid = fit.grid.to_pandas()
    assert len(grid) == 2
    best = grid.loc[grid.loss.idxmin()]
    assert fit.beta == best.beta and fit.initial_infected == best.initial_infected
    # beta 0.004 cannot make a Daegu-sized wave; 0.016 can
    assert fit.beta == 0.016
    assert grid.loss.max() > 2 * grid.loss.min()
    report = fit.report()
    assert report["observed_total"] == int(fit.observed.sum())
    assert -1 < fit.r2 <= 1
    t = fit.table()
    assert (
        t.num_rows
        == len(fit.observed)
        == (date(2020, 3, 31) - date(2020, 2, 18)).days + 1
    )
    assert (t.column("low").to_numpy() <= t.column("high").to_numpy()).all()


def test_calibration_refuses_unknown_regions() -> None:
    with pytest.raises(InvalidInput) as e:
        calibrate(region="99")
    assert e.value.field == "region"
