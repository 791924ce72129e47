"""SEIR fit and projections: recovery of known parameters, invariants, directions."""

from __future__ import annotations

import numpy as np
import pytest

from outbreak.model import Incidence
from outbreak.model.seir import SeirFit, growth_rate, simulate_seir

N = 2_000_000
SIGMA = GAMMA = 0.4
TRUE_BETAS = [0.7, 0.7, 0.7, 0.3, 0.3, 0.3, 0.5, 0.5, 0.5]


def simulated(seed: int) -> tuple[np.ndarray, np.ndarray]:
    start = np.array([N - 60.0, 30.0, 30.0, 0.0, 0.0])
    daily, _ = simulate_seir(
        start, TRUE_BETAS, segment_days=7, sigma=SIGMA, gamma=GAMMA
    )
    return daily, np.random.default_rng(seed).poisson(daily)


def test_population_is_conserved() -> None:
    start = np.array([N - 10.0, 5.0, 5.0, 0.0, 0.0])
    daily, end = simulate_seir(
        start, [0.9, 0.2], segment_days=30, sigma=SIGMA, gamma=GAMMA
    )
    assert end[:4].sum() == pytest.approx(N, rel=1e-9)
    assert end[4] == pytest.approx(daily.sum(), rel=1e-9)
    assert (daily >= 0).all()


def test_no_transmission_means_only_the_seeds() -> None:
    start = np.array([N - 10.0, 5.0, 5.0, 0.0, 0.0])
    daily, _ = simulate_seir(start, [0.0], segment_days=60, sigma=SIGMA, gamma=GAMMA)
    assert daily.sum() == pytest.approx(5.0, rel=1e-4)  # only E0 become infectious


def test_fit_recovers_the_transmission_rates() -> None:
    _, observed = simulated(seed=1)
    fit = SeirFit(population=N, latent_days=1 / SIGMA, infectious_days=1 / GAMMA).fit(
        Incidence.from_counts(observed)
    )
    # Week by week, β trades off against the unobserved E/I split left by the
    # previous weeks (±15%); over each 3-week regime it is recovered to 5%. The
    # first week also absorbs the guessed initial state and is not judged.
    np.testing.assert_allclose(fit.beta_[1:], TRUE_BETAS[1:], rtol=0.15)
    for lo, hi in ((1, 3), (3, 6), (6, 9)):
        assert fit.beta_[lo:hi].mean() == pytest.approx(
            np.mean(TRUE_BETAS[lo:hi]), rel=0.05
        )
    assert fit.rt_[3] < 1 < fit.rt_[0], "R dropped below 1 in the distancing weeks"
    residual = (fit.fitted_ - observed) / np.sqrt(np.maximum(fit.fitted_, 1))
    assert abs(residual.mean()) < 0.5


def test_projection_scenarios_are_ordered_and_banded() -> None:
    _, observed = simulated(seed=2)
    fit = SeirFit(population=N, latent_days=2.5, infectious_days=2.5, n_draws=60).fit(
        Incidence.from_counts(observed, start="2020-08-01")
    )
    proj = fit.project(days=28)
    assert len(proj.dates) == 28 and str(proj.dates[0]) == "2020-10-03"
    end = {name: proj.median[name][-1] for name in proj.median}
    assert end["stricter"] < end["as_now"] < end["looser"]
    for name in proj.median:
        assert (proj.lower[name] <= proj.median[name] + 1e-9).all()
        assert (proj.median[name] <= proj.upper[name] + 1e-9).all()


def test_growth_rate_and_doubling_time() -> None:
    rng = np.random.default_rng(4)
    up = growth_rate(rng.poisson(200 * np.exp(0.07 * np.arange(14))))
    assert up.rate_ci[0] < 0.07 < up.rate_ci[1]
    assert up.doubling_days == pytest.approx(np.log(2) / 0.07, rel=0.15)
    lo, hi = up.doubling_ci
    assert lo < up.doubling_days < hi
    down = growth_rate(rng.poisson(500 * np.exp(-0.05 * np.arange(14))))
    assert down.rate < 0 and down.doubling_days < 0  # a halving time
    flat = growth_rate(rng.poisson(np.full(14, 50)))
    assert flat.doubling_ci == (-np.inf, np.inf)
