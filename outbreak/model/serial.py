"""Serial interval from our own infector → infectee pairs (pure).

The serial interval is the time between symptom onset in an infector and in the
person they infected. With onset dates recorded to the day, an observed interval of
``d`` days means a true interval in ``[d - 0.5, d + 0.5)``; we fit a gamma by
maximum likelihood of those interval-censored observations, and give percentile
bootstrap confidence intervals. Intervals ≤ 0 days (possible for COVID-19:
presymptomatic transmission) cannot come from a gamma and are counted and reported,
not silently used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model.rt import NotFittedError, SerialInterval

MIN_PAIRS = 10


@dataclass(frozen=True)
class SerialIntervalFit:
    """A fitted serial interval, days, with 95% bootstrap confidence intervals."""

    mean: float
    sd: float
    mean_ci: tuple[float, float]
    sd_ci: tuple[float, float]
    n_pairs: int
    n_excluded: int

    def to_serial_interval(self) -> SerialInterval:
        """The point estimate as a parametric SI for :class:`RtEstimator`."""
        return SerialInterval.parametric(self.mean, self.sd)


def _negloglik(
    log_params: NDArray[np.float64],
    days: NDArray[np.float64],
    counts: NDArray[np.int64],
) -> float:
    shape, scale = np.exp(log_params)
    lo = np.maximum(days - 0.5, 0.0)
    p = special.gammainc(shape, (days + 0.5) / scale) - special.gammainc(
        shape, lo / scale
    )
    # Intervals that round to ≤ 0 are left out, so condition on SI ≥ 0.5 days.
    kept = 1.0 - special.gammainc(shape, 0.5 / scale)
    return float(-np.sum(counts * np.log(np.maximum(p / kept, 1e-300))))


def _fit_gamma(days: NDArray[np.float64]) -> tuple[float, float]:
    # Intervals are whole days: the likelihood needs each distinct value once.
    values, counts = np.unique(days, return_counts=True)
    m, v = days.mean(), max(days.var(), 0.25)
    start = np.log([m * m / v, v / m])
    res = optimize.minimize(
        _negloglik,
        start,
        args=(values, counts),
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000},
    )
    shape, scale = np.exp(res.x)
    return float(shape * scale), float(np.sqrt(shape) * scale)


class SerialIntervalEstimator:
    """Fit a gamma serial interval to observed intervals (days between onsets).

    Parameters
    ----------
    n_boot
        Bootstrap resamples for the confidence intervals.
    seed
        Seed of the bootstrap's random generator.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> obs = np.round(rng.gamma(4.0, 1.25, size=400))   # mean 5, sd 2.5
    >>> obs = obs[obs > 0]
    >>> fit = SerialIntervalEstimator(n_boot=50, seed=2).fit(obs).si_
    >>> 4.5 < fit.mean < 5.5 and fit.mean_ci[0] < fit.mean < fit.mean_ci[1]
    True
    """

    def __init__(self, *, n_boot: int = 200, seed: int = 0) -> None:
        self.n_boot = n_boot
        self.seed = seed

    @property
    def si_(self) -> SerialIntervalFit:
        """The fitted serial interval."""
        try:
            return self._si
        except AttributeError:
            raise NotFittedError("Call fit(intervals) first") from None

    def fit(self, intervals: ArrayLike) -> SerialIntervalEstimator:
        """Fit to serial intervals in whole days (infectee onset − infector onset)."""
        days = np.asarray(intervals, dtype=np.float64)
        if days.ndim != 1 or np.isnan(days).any():
            raise InvalidInput(
                "intervals must be a 1-D list of whole days", field="intervals"
            )
        positive = days[days > 0]
        excluded = len(days) - len(positive)
        if excluded:
            warnings.warn(
                f"{excluded} of {len(days)} serial intervals are ≤ 0 days "
                "(presymptomatic transmission or a misattributed pair) and were left "
                "out of the gamma fit",
                DataQualityWarning,
                stacklevel=2,
            )
        if len(positive) < MIN_PAIRS:
            raise InvalidInput(
                f"Need at least {MIN_PAIRS} pairs with a positive interval, got "
                f"{len(positive)}",
                field="intervals",
            )
        mean, sd = _fit_gamma(positive)
        rng = np.random.default_rng([self.seed, 0x5E])
        boots = np.array(
            [
                _fit_gamma(rng.choice(positive, size=len(positive), replace=True))
                for _ in range(self.n_boot)
            ]
        )
        lo, hi = (
            np.percentile(boots, [2.5, 97.5], axis=0)
            if self.n_boot
            else (np.array([mean, sd]), np.array([mean, sd]))
        )
        self._si = SerialIntervalFit(
            mean=mean,
            sd=sd,
            mean_ci=(float(lo[0]), float(hi[0])),
            sd_ci=(float(lo[1]), float(hi[1])),
            n_pairs=len(positive),
            n_excluded=excluded,
        )
        return self


def serial_intervals(
    infector_onset: ArrayLike, infectee_onset: ArrayLike
) -> NDArray[np.int64]:
    """Days from infector's to infectee's symptom onset, one per transmission pair.

    Examples
    --------
    >>> infectors = ["2020-03-01", "2020-03-02"]
    >>> serial_intervals(infectors, ["2020-03-05", "2020-03-01"]).tolist()
    [4, -1]
    """
    a = np.asarray(infector_onset, dtype="datetime64[D]")
    b = np.asarray(infectee_onset, dtype="datetime64[D]")
    if a.shape != b.shape:
        raise InvalidInput(
            "one infectee onset per infector onset", field="infectee_onset"
        )
    return np.asarray((b - a).astype(np.int64))
