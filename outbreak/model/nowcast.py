"""Nowcasting: correct the last days for cases not yet reported (pure).

Cases counted by date of symptom onset keep arriving for days after that date. On
the day of analysis ``as_of``, a case with onset ``t`` has been reported with
probability ``F(as_of - t)``, ``F`` the cumulative distribution of the onset-to-report
delay. So the latest counts are too low and a naive Rt bends down at the end.

Model: observed_t ~ Binomial(N_t, F(as_of - t)). With a flat prior the missing cases
follow N_t − observed_t ~ NegativeBinomial(observed_t + 1, F) (Höhle & an der Heiden,
Biometrics 70:993 (2014), doi:10.1111/biom.12194, in its simplest form). The delay
distribution is estimated from cases whose onset is old enough for every delay up to
``max_delay`` to have been seen, which avoids right-truncation bias.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model.incidence import Incidence
from outbreak.model.rt import (
    NotFittedError,
    RtEstimator,
    RtResult,
    _windows,
    mixture_summary,
)

Floats = NDArray[np.float64]
MIN_REPORTED_FRACTION = 0.05


def delay_distribution(
    onset: ArrayLike, report: ArrayLike, *, as_of: date, max_delay: int = 21
) -> Floats:
    """P(delay = d) for d = 0..max_delay, from pairs of onset and report dates.

    Only cases with onset on or before ``as_of - max_delay`` are used, so that
    long delays are not under-counted (right truncation); delays beyond
    ``max_delay`` are counted at ``max_delay``.
    """
    on = np.asarray(onset, dtype="datetime64[D]")
    rep = np.asarray(report, dtype="datetime64[D]")
    delay = (rep - on).astype(np.int64)
    if (delay < 0).any():
        raise InvalidInput("a report date precedes its onset date", field="report")
    complete = on <= np.datetime64(as_of, "D") - np.timedelta64(max_delay, "D")
    if complete.sum() < 30:
        warnings.warn(
            f"Only {complete.sum()} cases are old enough to show every delay up to "
            f"{max_delay} days; using all {len(delay)} (delays are underestimated)",
            DataQualityWarning,
            stacklevel=2,
        )
        complete = np.ones_like(complete)
    counts = np.bincount(
        np.minimum(delay[complete], max_delay), minlength=max_delay + 1
    )
    return np.asarray(counts / counts.sum(), dtype=np.float64)


@dataclass(frozen=True)
class NowcastResult:
    """Observed and nowcast daily counts (by onset) with 95% intervals."""

    dates: NDArray[np.datetime64]
    observed: NDArray[np.int64]
    reported_fraction: Floats
    mean: Floats
    lower: Floats
    upper: Floats
    samples: NDArray[np.int64]  # (n_samples, days)


class Nowcaster:
    """Nowcast one region's onset series, then Rt that accounts for it.

    Parameters
    ----------
    delay_pmf
        P(onset-to-report delay = d days), d = 0, 1, … (see
        :func:`delay_distribution`).
    n_samples
        Draws of the true series; Rt is averaged over them.
    seed
        Seed of the draws.
    """

    def __init__(
        self, delay_pmf: ArrayLike, *, n_samples: int = 200, seed: int = 0
    ) -> None:
        self.delay_pmf = delay_pmf
        self.n_samples = n_samples
        self.seed = seed

    @property
    def nowcast_(self) -> NowcastResult:
        """The fitted nowcast."""
        try:
            return self._nowcast
        except AttributeError:
            raise NotFittedError("Call fit(incidence) first") from None

    def fit(self, incidence: Incidence) -> Nowcaster:
        """Nowcast ``incidence`` (by onset date; its last day is the analysis day)."""
        if len(incidence.regions) != 1:
            raise InvalidInput("Nowcast one region at a time", field="regions")
        pmf = np.asarray(self.delay_pmf, dtype=np.float64)
        if pmf.ndim != 1 or (pmf < 0).any() or not np.isclose(pmf.sum(), 1):
            raise InvalidInput("delay_pmf must be ≥ 0 and sum to 1", field="delay_pmf")
        n = incidence.n_days
        cdf = np.cumsum(pmf)
        age = np.arange(n)[::-1]  # days between onset and the analysis day
        frac = np.where(age < len(cdf), cdf[np.minimum(age, len(cdf) - 1)], 1.0)
        frac = np.clip(frac, MIN_REPORTED_FRACTION, 1.0)
        obs = incidence.total[0]
        rng = np.random.default_rng([self.seed, 0x4E])
        missing = rng.negative_binomial(obs + 1, frac, size=(self.n_samples, n))
        missing[:, frac >= 1.0] = 0
        samples = obs + missing
        lo, hi = np.percentile(samples, [2.5, 97.5], axis=0)
        mean = obs + (obs + 1) * (1 - frac) / frac
        mean[frac >= 1.0] = obs[frac >= 1.0]
        self._nowcast = NowcastResult(
            incidence.dates, obs, frac, mean, lo, hi, samples.astype(np.int64)
        )
        self._incidence = incidence
        return self

    def rt(self, estimator: RtEstimator) -> RtResult:
        """Rt over the nowcast draws: a mixture of the per-draw posteriors."""
        now = self.nowcast_
        inc = self._incidence
        imported = np.broadcast_to(inc.imported, now.samples.shape).copy()
        local = np.maximum(now.samples - imported, 0)
        draws = Incidence(
            inc.dates,
            tuple(str(i) for i in range(len(local))),
            local,
            imported,
            has_dates=inc.has_dates,
        )
        shape, scale = estimator.posterior(draws)
        mean, std, quant = mixture_summary(
            shape[:, np.newaxis, :], scale[:, np.newaxis, :]
        )
        ts, te = _windows(
            inc.n_days, estimator.window, estimator.t_start, estimator.t_end
        )
        return RtResult(inc.regions, inc.dates, ts, te, mean, std, quant, inc.has_dates)
