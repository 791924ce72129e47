"""SEIR projections fitted to observed incidence, and growth rates (pure, SciPy).

The model is the classic SEIR with a transmission rate that is constant within
segments of ``segment_days`` (weekly by default) and may change between them::

    S' = -β(t) S I / N     E' = β(t) S I / N − σ E     I' = σ E − γ I     R' = γ I

with σ = 1/latent and γ = 1/infectious days (``model/params.py``). Daily cases are
the flow σE into I, observed with Poisson noise. Segments are fitted one after the
other (each β by maximum likelihood given the state the previous ones left), which
keeps every optimisation one-dimensional and the fit fast and stable. Projections
continue from the last state with the last β times a scenario factor; their bands
come from the uncertainty of the last β (normal on log β, from the likelihood's
curvature) and Poisson noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, stats

from outbreak.errors import InvalidInput
from outbreak.model.incidence import Incidence
from outbreak.model.params import INFECTIOUS_DAYS, LATENT_DAYS, SCENARIO_FACTORS
from outbreak.model.rt import NotFittedError

Floats = NDArray[np.float64]
BETA_BOUNDS = (1e-3, 5.0)  # per day


def _rhs(
    _t: float, y: Floats, beta: float, sigma: float, gamma: float, n: float
) -> Floats:
    s, e, i, _r, _c = y
    infection = beta * s * i / n
    return np.array(
        [-infection, infection - sigma * e, sigma * e - gamma * i, gamma * i, sigma * e]
    )


def simulate_seir(
    state: Floats, betas: ArrayLike, *, segment_days: int, sigma: float, gamma: float
) -> tuple[Floats, Floats]:
    """Run SEIR from ``state`` (S, E, I, R, C) through segments of ``betas``.

    Returns daily new cases (σE flow per day) and the final state.
    """
    n = float(state[:4].sum())
    daily: list[float] = []
    y = np.asarray(state, dtype=np.float64)
    for beta in np.atleast_1d(np.asarray(betas, dtype=np.float64)):
        sol = integrate.solve_ivp(
            _rhs,
            (0, segment_days),
            y,
            args=(beta, sigma, gamma, n),
            t_eval=np.arange(segment_days + 1),
            rtol=1e-8,
            atol=1e-8,
        )
        daily.extend(np.diff(sol.y[4]).tolist())
        y = sol.y[:, -1]
    return np.asarray(daily), y


def _poisson_nll(mu: Floats, y: Floats) -> float:
    mu = np.maximum(mu, 1e-9)
    return float(np.sum(mu - y * np.log(mu)))


@dataclass(frozen=True)
class Projection:
    """Projected daily cases per scenario: median and 95% band."""

    dates: NDArray[np.datetime64]
    median: dict[str, Floats]
    lower: dict[str, Floats]
    upper: dict[str, Floats]
    factors: dict[str, float]


class SeirFit:
    """Fit SEIR with a piecewise-constant transmission rate, then project.

    Parameters
    ----------
    population
        People at risk (N).
    segment_days
        Days per constant-β segment.
    latent_days, infectious_days
        Mean stage durations (1/σ, 1/γ).
    n_draws, seed
        Draws for projection bands.

    Examples
    --------
    >>> true_daily, _ = simulate_seir(np.array([1e6 - 40, 20, 20, 0, 0]), [0.6, 0.6],
    ...                               segment_days=7, sigma=0.4, gamma=0.4)
    >>> fit = SeirFit(population=1e6).fit(Incidence.from_counts(np.round(true_daily)))
    >>> bool(abs(fit.beta_[-1] - 0.6) < 0.1)
    True
    """

    def __init__(
        self,
        *,
        population: float,
        segment_days: int = 7,
        latent_days: float = LATENT_DAYS,
        infectious_days: float = INFECTIOUS_DAYS,
        n_draws: int = 100,
        seed: int = 0,
    ) -> None:
        self.population = population
        self.segment_days = segment_days
        self.latent_days = latent_days
        self.infectious_days = infectious_days
        self.n_draws = n_draws
        self.seed = seed

    @property
    def sigma(self) -> float:
        """1/latent period, per day."""
        return 1.0 / self.latent_days

    @property
    def gamma(self) -> float:
        """1/infectious period, per day."""
        return 1.0 / self.infectious_days

    def _check_fitted(self) -> None:
        if not hasattr(self, "beta_"):
            raise NotFittedError("SeirFit is not fitted; call fit(incidence)")

    def fit(self, incidence: Incidence) -> SeirFit:
        """Fit β segment by segment to ``incidence`` (one region)."""
        if len(incidence.regions) != 1:
            raise InvalidInput("Fit one region at a time", field="regions")
        y = incidence.total[0].astype(np.float64)
        k = self.segment_days
        n_seg = len(y) // k
        if n_seg < 1:
            raise InvalidInput(f"Need at least {k} days to fit", field="incidence")
        y = y[len(y) - n_seg * k :]  # whole segments, ending on the last day
        start = self._initial_state(y[: 2 * k])
        betas, ses, state = [], [], start
        for s in range(n_seg):
            obs = y[s * k : (s + 1) * k]
            beta, se = self._fit_segment(state, obs)
            _, state = simulate_seir(
                state, [beta], segment_days=k, sigma=self.sigma, gamma=self.gamma
            )
            betas.append(beta)
            ses.append(se)
        self.beta_ = np.array(betas)
        self.log_beta_se_ = np.array(ses)
        self.start_state_ = start
        self.state_ = state
        self.fitted_, _ = simulate_seir(
            start, self.beta_, segment_days=k, sigma=self.sigma, gamma=self.gamma
        )
        self.dates_ = incidence.dates[len(incidence.dates) - n_seg * k :]
        self.rt_ = self.beta_ / self.gamma  # R0 of each segment (before depletion)
        return self

    def _initial_state(self, first: Floats) -> Floats:
        # Seed E and I on the growing mode of the linearised system: with growth
        # rate r, incidence σE and I' = σE − γI = rI give E = c/σ, I = c/(r + γ),
        # c being the incidence on day 0 (r from the first two weeks).
        if first.sum() > 0 and len(first) >= 3:
            r = growth_rate(first, days=len(first)).rate
        else:
            r = 0.0
        r = max(r, -0.5 * self.gamma)
        centre = (len(first) - 1) / 2
        c = max(first.mean(), 0.5) * np.exp(-r * centre)
        e0, i0 = c / self.sigma, c / (r + self.gamma)
        return np.array([self.population - e0 - i0, e0, i0, 0.0, 0.0])

    def _fit_segment(self, state: Floats, obs: Floats) -> tuple[float, float]:
        def nll(log_beta: float) -> float:
            mu, _ = simulate_seir(
                state,
                [np.exp(log_beta)],
                segment_days=self.segment_days,
                sigma=self.sigma,
                gamma=self.gamma,
            )
            return _poisson_nll(mu, obs)

        lo, hi = np.log(BETA_BOUNDS)
        res = optimize.minimize_scalar(
            nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6}
        )
        x, h = float(res.x), 1e-3
        curvature = (nll(x + h) - 2 * nll(x) + nll(x - h)) / h**2
        se = 1 / np.sqrt(curvature) if curvature > 0 else 1.0
        return float(np.exp(x)), float(se)

    def project(
        self, days: int = 28, factors: dict[str, float] | None = None
    ) -> Projection:
        """Daily cases for ``days`` ahead under each scenario factor on the last β."""
        self._check_fitted()
        factors = factors or dict(SCENARIO_FACTORS)
        rng = np.random.default_rng([self.seed, 0x5E1])
        log_beta = np.log(self.beta_[-1]) + rng.normal(
            0, self.log_beta_se_[-1], self.n_draws
        )
        median, lower, upper = {}, {}, {}
        for name, factor in factors.items():
            runs = np.array(
                [
                    simulate_seir(
                        self.state_,
                        [np.exp(b) * factor],
                        segment_days=days,
                        sigma=self.sigma,
                        gamma=self.gamma,
                    )[0]
                    for b in log_beta
                ]
            )
            noisy = rng.poisson(np.maximum(runs, 0))
            median[name] = np.median(runs, axis=0)
            lower[name] = np.percentile(noisy, 2.5, axis=0)
            upper[name] = np.percentile(noisy, 97.5, axis=0)
        last = self.dates_[-1]
        dates = last + np.arange(1, days + 1).astype("timedelta64[D]")
        return Projection(dates, median, lower, upper, factors)


@dataclass(frozen=True)
class GrowthRate:
    """Exponential growth rate per day with 95% CI, and doubling (or halving) time."""

    rate: float
    rate_ci: tuple[float, float]
    doubling_days: float  # negative: halving time

    @property
    def doubling_ci(self) -> tuple[float, float]:
        """95% CI of the doubling time (infinite where the rate CI crosses 0)."""
        lo, hi = self.rate_ci
        if lo < 0 < hi:
            return (-np.inf, np.inf)
        a, b = sorted((float(np.log(2) / hi), float(np.log(2) / lo)))
        return (a, b)


def growth_rate(counts: ArrayLike, *, days: int = 14) -> GrowthRate:
    """Growth rate of the last ``days`` of daily counts, by Poisson regression.

    Examples
    --------
    >>> g = growth_rate(np.round(100 * np.exp(0.05 * np.arange(21))))
    >>> round(g.rate, 3), bool(abs(g.doubling_days - np.log(2) / 0.05) < 0.2)
    (0.05, True)
    """
    y = np.asarray(counts, dtype=np.float64)[-days:]
    if len(y) < 3 or y.sum() == 0:
        raise InvalidInput(
            "Need ≥ 3 days with some cases for a growth rate", field="counts"
        )
    t = np.arange(len(y)) - (len(y) - 1) / 2

    def nll(p: Floats) -> float:
        return _poisson_nll(np.exp(p[0] + p[1] * t), y)

    res = optimize.minimize(
        nll, np.array([np.log(max(y.mean(), 0.5)), 0.0]), method="BFGS"
    )
    mu = np.exp(res.x[0] + res.x[1] * t)
    info = np.array([[mu.sum(), (mu * t).sum()], [(mu * t).sum(), (mu * t * t).sum()]])
    se = float(np.sqrt(np.linalg.inv(info)[1, 1]))
    rate = float(res.x[1])
    z = float(stats.norm.ppf(0.975))
    doubling = float(np.log(2) / rate) if rate != 0 else float("inf")
    return GrowthRate(rate, (rate - z * se, rate + z * se), doubling)
