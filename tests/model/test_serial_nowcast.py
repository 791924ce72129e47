"""Serial interval estimation and nowcasting, tested on simulations with known truth."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pytest

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model import Incidence, RtEstimator, SerialInterval, TooEarlyWarning
from outbreak.model.nowcast import Nowcaster, delay_distribution
from outbreak.model.rt import discr_si
from outbreak.model.serial import SerialIntervalEstimator


def simulate_intervals(
    seed: int, n: int, mean: float = 5.0, sd: float = 2.5
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape, scale = (mean / sd) ** 2, sd**2 / mean
    obs = np.round(rng.gamma(shape, scale, size=n))
    return obs[obs > 0]


def test_serial_interval_recovers_a_known_gamma() -> None:
    fit = (
        SerialIntervalEstimator(n_boot=40, seed=1)
        .fit(simulate_intervals(7, 20_000))
        .si_
    )
    assert fit.mean == pytest.approx(5.0, rel=0.02) and fit.sd == pytest.approx(
        2.5, rel=0.03
    )
    assert fit.mean_ci[0] < fit.mean < fit.mean_ci[1]
    assert fit.to_serial_interval().kind == "parametric"


def test_confidence_intervals_cover_the_truth() -> None:
    covered = 0
    for seed in range(30):
        fit = (
            SerialIntervalEstimator(n_boot=60, seed=seed)
            .fit(simulate_intervals(100 + seed, 150))
            .si_
        )
        covered += fit.mean_ci[0] <= 5.0 <= fit.mean_ci[1]
    assert covered >= 24, f"95% CI covered the true mean in only {covered}/30 runs"


def test_more_pairs_give_narrower_intervals() -> None:
    small = SerialIntervalEstimator(n_boot=80).fit(simulate_intervals(3, 80)).si_
    large = SerialIntervalEstimator(n_boot=80).fit(simulate_intervals(3, 2000)).si_
    assert np.diff(large.mean_ci)[0] < np.diff(small.mean_ci)[0] / 2


def test_non_positive_intervals_are_reported_not_fitted() -> None:
    obs = np.concatenate([simulate_intervals(5, 200), [0, -1, -2]])
    with pytest.warns(DataQualityWarning, match="3 of"):
        fit = SerialIntervalEstimator(n_boot=10).fit(obs).si_
    assert fit.n_excluded >= 3
    with pytest.raises(InvalidInput, match="at least 10"):
        SerialIntervalEstimator().fit([3, 4, 5])


# --- nowcasting -------------------------------------------------------------------

GROWTH = 0.06  # per day
DELAY = np.array([0.05, 0.15, 0.2, 0.2, 0.15, 0.1, 0.07, 0.04, 0.02, 0.01, 0.01])
SI = SerialInterval.parametric(4.7, 2.9)


def simulate_reports(seed: int, days: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """True onsets per day, and those reported by the last day."""
    rng = np.random.default_rng(seed)
    true = rng.poisson(20 * np.exp(GROWTH * np.arange(days)))
    observed = np.zeros_like(true)
    for t, n in enumerate(true):
        delays = rng.choice(len(DELAY), size=n, p=DELAY)
        observed[t] = int((t + delays <= days - 1).sum())
    return true, observed


def true_r(growth: float) -> float:
    """R for exponential growth with the discretised SI (Wallinga & Lipsitch 2007)."""
    w = discr_si(np.arange(60), 4.7, 2.9)
    return float(1 / np.sum(w * np.exp(-growth * np.arange(60))))


def test_delay_distribution_avoids_right_truncation() -> None:
    rng = np.random.default_rng(1)
    onset = np.array(
        [
            np.datetime64("2020-08-01") + np.timedelta64(int(d), "D")
            for d in rng.integers(0, 60, 3000)
        ]
    )
    report = onset + rng.choice(len(DELAY), size=3000, p=DELAY).astype("timedelta64[D]")
    as_of = date(2020, 8, 1) + timedelta(days=59)
    seen = report <= np.datetime64(as_of)
    pmf = delay_distribution(onset[seen], report[seen], as_of=as_of, max_delay=10)
    assert np.abs(pmf - DELAY).max() < 0.03
    naive = (
        np.bincount((report[seen] - onset[seen]).astype(int), minlength=11) / seen.sum()
    )
    assert (pmf * np.arange(11)).sum() > (naive * np.arange(11)).sum(), (
        "using recent onsets would bias the delay short"
    )


def test_nowcast_is_unbiased_where_raw_counts_are_not() -> None:
    ratios_now, ratios_raw = [], []
    for seed in range(40):
        true, obs = simulate_reports(seed)
        inc = Incidence.from_counts(obs, start="2020-08-01")
        now = Nowcaster(DELAY, n_samples=50, seed=seed).fit(inc).nowcast_
        ratios_now.append(now.mean[-6:-1].sum() / true[-6:-1].sum())
        ratios_raw.append(obs[-6:-1].sum() / true[-6:-1].sum())
        assert (now.lower <= now.upper).all()
    assert np.mean(ratios_raw) < 0.6
    assert np.mean(ratios_now) == pytest.approx(1.0, abs=0.05)


def test_nowcast_rt_is_not_biased_downwards() -> None:
    truth = true_r(GROWTH)
    naive, corrected = [], []
    for seed in range(10):
        _, obs = simulate_reports(seed)
        inc = Incidence.from_counts(obs, start="2020-08-01")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TooEarlyWarning)
            est = RtEstimator(SI)
            naive.append(est.fit(inc).rt_.mean[0, -1])
            corrected.append(
                Nowcaster(DELAY, n_samples=100, seed=seed).fit(inc).rt(est).mean[0, -1]
            )
    assert np.mean(naive) < 0.85 * truth
    assert np.mean(corrected) == pytest.approx(truth, rel=0.08)


def test_nowcast_leaves_complete_days_alone() -> None:
    _, obs = simulate_reports(3)
    now = Nowcaster(DELAY, n_samples=20).fit(Incidence.from_counts(obs)).nowcast_
    old = now.reported_fraction >= 1
    assert old[: -len(DELAY)].all()
    np.testing.assert_array_equal(now.mean[old], obs[old])
