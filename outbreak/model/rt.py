"""Instantaneous reproduction number Rt by the Cori method, as EpiEstim computes it.

Cori, Ferguson, Fraser & Cauchemez (2013), *A new framework and software to estimate
time-varying reproduction numbers during epidemics*, Am J Epidemiol 178:1505,
doi:10.1093/aje/kwt133. EpiEstim 2.2-4 is the reference: every formula below follows
its ``estimate_R`` and ``discr_si`` line by line, and tests compare against its output
on its own data sets to 1e-6 relative (``tests/model/reference/epiestim``).

For day ``t`` (1-based) the total infectiousness is

    Λ_t = Σ_{s=1}^{t-1} w_s · (local + imported)_{t-s}

where ``w`` is the discretised serial interval. With a Gamma(a, b) prior on R (shape
``a = (mean/sd)²``, scale ``b = sd²/mean``; EpiEstim's default mean 5, sd 5), the
posterior of R over a window ``[t_s, t_e]`` is Gamma with

    shape = a + Σ local_t,     scale = 1 / (1/b + Σ Λ_t)      (t from t_s to t_e).

Windows ending on or before the mean serial interval are not estimated (NaN), as in
EpiEstim. Everything is vectorised over regions: 250 districts × 1,000 days is one
call.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal, special

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model.incidence import Incidence

Floats = NDArray[np.float64]
QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
QUANTILE_NAMES = ("q0025", "q005", "q025", "median", "q075", "q095", "q0975")


class TooEarlyWarning(DataQualityWarning):
    """EpiEstim's warning: too few cases in the first window for the wanted CV."""


class NotFittedError(InvalidInput, AttributeError):
    """The estimator has not been fitted yet; call ``fit`` first."""


def discr_si(k: ArrayLike, mean: float, sd: float) -> Floats:
    """EpiEstim's discretised serial interval: P(SI = k) for a shifted gamma.

    The serial interval minus one day is gamma with the given ``mean - 1`` and
    ``sd``; the discretisation is the piecewise-linear one of Cori et al. (2013,
    Web Appendix 11), exactly as EpiEstim's ``discr_si``.

    Examples
    --------
    >>> w = discr_si(range(6), 2.6, 1.5)
    >>> [round(float(x), 7) for x in w[:4]]
    [0.0, 0.2331721, 0.3585794, 0.1981108]
    """
    if sd <= 0:
        raise InvalidInput(f"SI sd must be > 0, got {sd}", field="si_sd")
    if mean <= 1:
        raise InvalidInput(f"SI mean must be > 1 day, got {mean}", field="si_mean")
    ks = np.asarray(k, dtype=np.float64)
    if (ks < 0).any():
        raise InvalidInput("k must be ≥ 0", field="k")
    shape, scale = ((mean - 1) / sd) ** 2, sd**2 / (mean - 1)

    def cdf(x: Floats, a: float) -> Floats:
        return np.asarray(special.gammainc(a, np.maximum(x, 0.0) / scale))

    res = ks * cdf(ks, shape) + (ks - 2) * cdf(ks - 2, shape)
    res -= 2 * (ks - 1) * cdf(ks - 1, shape)
    res += (
        shape
        * scale
        * (2 * cdf(ks - 1, shape + 1) - cdf(ks - 2, shape + 1) - cdf(ks, shape + 1))
    )
    return np.maximum(res, 0.0)


@dataclass(frozen=True)
class SerialInterval:
    """The serial interval Rt is estimated with, in one of EpiEstim's forms.

    Build it with :meth:`parametric` (mean, sd), :meth:`distribution` (a
    non-parametric ``w_0..w_k`` with ``w_0 = 0``), :meth:`uncertain` (mean and sd
    themselves drawn from truncated normals) or :meth:`from_moments` (given pairs,
    e.g. EpiEstim's ``SI.Moments``).

    Examples
    --------
    >>> SerialInterval.parametric(4.1, 2.8).kind
    'parametric'
    """

    kind: Literal["parametric", "distribution", "uncertain"]
    mean: float = 0.0
    sd: float = 0.0
    weights: tuple[float, ...] = ()
    moments: tuple[tuple[float, float], ...] = ()

    @classmethod
    def parametric(cls, mean: float, sd: float) -> SerialInterval:
        """A gamma serial interval of ``mean`` and ``sd`` days, discretised."""
        discr_si([1], mean, sd)  # validates
        return cls("parametric", mean=mean, sd=sd)

    @classmethod
    def distribution(cls, weights: ArrayLike) -> SerialInterval:
        """A non-parametric serial interval: ``weights[k]`` = P(SI = k days)."""
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) < 2 or (w < 0).any():
            raise InvalidInput("SI weights must be ≥ 0, one per day", field="si_distr")
        if w[0] != 0:
            raise InvalidInput("SI weights must start with w[0] = 0", field="si_distr")
        if abs(w.sum() - 1) > 0.01:
            raise InvalidInput(
                f"SI weights sum to {w.sum():.4f}, not 1", field="si_distr"
            )
        return cls("distribution", weights=tuple(w.tolist()))

    @classmethod
    def from_moments(cls, pairs: ArrayLike) -> SerialInterval:
        """An uncertain SI given as sampled ``(mean, sd)`` pairs."""
        arr = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
        for m, s in arr:
            discr_si([1], m, s)
        return cls("uncertain", moments=tuple((float(m), float(s)) for m, s in arr))

    @classmethod
    def uncertain(
        cls,
        *,
        mean: float,
        std_mean: float,
        min_mean: float,
        max_mean: float,
        sd: float,
        std_sd: float,
        min_sd: float,
        max_sd: float,
        n1: int = 100,
        seed: int = 0,
    ) -> SerialInterval:
        """EpiEstim's ``uncertain_si``: ``n1`` (mean, sd) truncated-normal pairs."""
        rng = np.random.default_rng([seed, 0x51])

        def truncated(mu: float, sigma: float, low: float, high: float) -> float:
            while True:  # rejection, as EpiEstim
                x = float(rng.normal(mu, sigma))
                if low <= x <= high:
                    return x

        pairs = [
            (
                truncated(mean, std_mean, min_mean, max_mean),
                truncated(sd, std_sd, min_sd, max_sd),
            )
            for _ in range(n1)
        ]
        return cls.from_moments(pairs)

    def weights_for(self, n_days: int) -> Floats:
        """``w_0 .. w_{n_days}`` as EpiEstim uses them (padded with zeros)."""
        if self.kind == "parametric":
            w = discr_si(np.arange(n_days), self.mean, self.sd)
        else:
            w = np.asarray(self.weights, dtype=np.float64)
        if len(w) < n_days + 1:
            w = np.concatenate([w, np.zeros(n_days + 1 - len(w))])
        return w


@dataclass(frozen=True)
class RtResult:
    """Posterior of R for each region (rows) and window (columns).

    ``t_start``/``t_end`` are EpiEstim's 1-based day indices; ``dates`` the days of
    the incidence, so window ``i`` ends on ``dates[t_end[i] - 1]``.
    """

    regions: tuple[str, ...]
    dates: NDArray[np.datetime64]
    t_start: NDArray[np.int64]
    t_end: NDArray[np.int64]
    mean: Floats
    std: Floats
    quantiles: dict[str, Floats] = field(repr=False)
    has_dates: bool = True

    def rows(self) -> list[dict[str, Any]]:
        """One dict per region and window, EpiEstim's columns plus dates."""
        out = []
        for r, region in enumerate(self.regions):
            for i, (ts, te) in enumerate(zip(self.t_start, self.t_end, strict=True)):
                row: dict[str, Any] = {
                    "region": region,
                    "t_start": int(ts),
                    "t_end": int(te),
                }
                if self.has_dates:
                    row["date_start"] = str(self.dates[ts - 1])
                    row["date_end"] = str(self.dates[te - 1])
                row["mean"] = float(self.mean[r, i])
                row["std"] = float(self.std[r, i])
                row.update({k: float(v[r, i]) for k, v in self.quantiles.items()})
                out.append(row)
        return out


def _windows(
    n_days: int, window: int, t_start: ArrayLike | None, t_end: ArrayLike | None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if (t_start is None) != (t_end is None):
        raise InvalidInput("Give both t_start and t_end, or neither", field="t_end")
    if t_start is not None or t_end is not None:
        ts = np.atleast_1d(np.asarray(t_start, dtype=np.int64))
        te = np.atleast_1d(np.asarray(t_end, dtype=np.int64))
    else:
        if window < 1:
            raise InvalidInput(f"window must be ≥ 1 day, got {window}", field="window")
        ts = np.arange(2, n_days - window + 2, dtype=np.int64)
        te = ts + window - 1
    if ts.shape != te.shape or len(ts) == 0:
        raise InvalidInput(
            f"No estimation window fits {n_days} days (window {window})", field="window"
        )
    if (ts < 2).any() or (te > n_days).any() or (te < ts).any():
        raise InvalidInput(
            f"Windows must satisfy 2 ≤ t_start ≤ t_end ≤ {n_days} (1-based days)",
            field="t_start",
        )
    return ts, te


def _infectiousness(total: NDArray[np.int64], w: Floats) -> Floats:
    """Λ for every region and day (Λ_1 = 0: nothing precedes the first day)."""
    n = total.shape[1]
    lam = signal.fftconvolve(total.astype(np.float64), w[np.newaxis, :n], axes=1)[:, :n]
    lam = np.maximum(lam, 0.0)  # FFT round-off can dip below zero where Λ is 0
    lam[:, 0] = 0.0
    return np.asarray(lam, dtype=np.float64)


def _window_sums(
    x: Floats | NDArray[np.int64], ts: NDArray[np.int64], te: NDArray[np.int64]
) -> Floats:
    cs = np.concatenate(
        [np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1, dtype=np.float64)], axis=1
    )
    return np.asarray(cs[:, te] - cs[:, ts - 1])


class RtEstimator:
    """Estimate Rt over sliding windows, for any number of regions at once.

    Parameters
    ----------
    si
        The serial interval (see :class:`SerialInterval`).
    window
        Window width in days (EpiEstim's default weekly windows: 7). Ignored when
        ``t_start``/``t_end`` are given.
    t_start, t_end
        Explicit windows, 1-based day indices as in EpiEstim.
    mean_prior, std_prior
        Gamma prior on R (EpiEstim: mean 5, sd 5).
    cv_posterior
        Wanted posterior coefficient of variation; a first window with fewer cases
        than it needs triggers :class:`TooEarlyWarning`, as in EpiEstim.

    Examples
    --------
    >>> est = RtEstimator(SerialInterval.parametric(2.6, 1.5)).fit(
    ...     Incidence.from_counts([1, 1, 0, 2, 5, 3, 3, 3, 6, 2, 5, 9, 13, 12]))
    >>> round(float(est.rt_.mean[0, 0]), 4)
    1.7358
    """

    def __init__(
        self,
        si: SerialInterval,
        *,
        window: int = 7,
        t_start: ArrayLike | None = None,
        t_end: ArrayLike | None = None,
        mean_prior: float = 5.0,
        std_prior: float = 5.0,
        cv_posterior: float = 0.3,
    ) -> None:
        self.si = si
        self.window = window
        self.t_start = t_start
        self.t_end = t_end
        self.mean_prior = mean_prior
        self.std_prior = std_prior
        self.cv_posterior = cv_posterior

    @property
    def rt_(self) -> RtResult:
        """The fitted posterior summaries."""
        try:
            return self._rt
        except AttributeError:
            raise NotFittedError(
                "RtEstimator is not fitted; call fit(incidence)"
            ) from None

    def fit(self, incidence: Incidence | ArrayLike) -> RtEstimator:
        """Estimate R in every window of every region of ``incidence``."""
        inc = (
            incidence
            if isinstance(incidence, Incidence)
            else Incidence.from_counts(incidence)
        )
        if self.mean_prior <= 0 or self.std_prior <= 0:
            raise InvalidInput("The prior mean and sd must be > 0", field="mean_prior")
        a_prior = (self.mean_prior / self.std_prior) ** 2
        b_prior = self.std_prior**2 / self.mean_prior
        ts, te = _windows(inc.n_days, self.window, self.t_start, self.t_end)
        self._warn_if_too_early(inc, ts, te, a_prior)
        local_sum = _window_sums(inc.local, ts, te)
        if self.si.kind == "uncertain":
            mean, std, quant = self._fit_uncertain(
                inc, ts, te, local_sum, a_prior, b_prior
            )
        else:
            w = self.si.weights_for(inc.n_days)
            shape, scale = self._posterior(inc, w, ts, te, local_sum, a_prior, b_prior)
            mean, std = shape * scale, np.sqrt(shape) * scale
            quant = dict(
                zip(
                    QUANTILE_NAMES,
                    [x * scale for x in gamma_quantiles(shape, QUANTILES)],
                    strict=True,
                )
            )
        self._rt = RtResult(
            inc.regions, inc.dates, ts, te, mean, std, quant, inc.has_dates
        )
        return self

    def _warn_if_too_early(
        self,
        inc: Incidence,
        ts: NDArray[np.int64],
        te: NDArray[np.int64],
        a_prior: float,
    ) -> None:
        needed = int(np.ceil(1 / self.cv_posterior**2 - a_prior))
        first = inc.total[:, ts[0] - 1 : te[0]].sum(axis=1)
        if (first < needed).any():
            regions = [r for r, n in zip(inc.regions, first, strict=True) if n < needed]
            warnings.warn(
                "You're estimating R too early in the epidemic to get the desired "
                f"posterior CV (first window has fewer than {needed} cases in: "
                f"{', '.join(regions[:5])}{'…' if len(regions) > 5 else ''}).",
                TooEarlyWarning,
                stacklevel=3,
            )

    @staticmethod
    def _posterior(
        inc: Incidence,
        w: Floats,
        ts: NDArray[np.int64],
        te: NDArray[np.int64],
        local_sum: Floats,
        a_prior: float,
        b_prior: float,
    ) -> tuple[Floats, Floats]:
        lam_sum = _window_sums(_infectiousness(inc.total, w), ts, te)
        mean_si = float(np.sum(w * np.arange(len(w))))
        shape = a_prior + local_sum
        scale = 1.0 / (1.0 / b_prior + lam_sum)
        too_soon = te <= mean_si
        shape[:, too_soon] = np.nan
        scale[:, too_soon] = np.nan
        return shape, scale

    def _fit_uncertain(
        self,
        inc: Incidence,
        ts: NDArray[np.int64],
        te: NDArray[np.int64],
        local_sum: Floats,
        a_prior: float,
        b_prior: float,
    ) -> tuple[Floats, Floats, dict[str, Floats]]:
        """Posterior mixed over the SI samples, integrated exactly (no R draws).

        EpiEstim draws ``n2`` values of R from each SI sample's posterior and
        summarises the draws; here the equal-weight gamma mixture is summarised
        exactly, which is what EpiEstim's draws converge to.
        """
        shapes, scales = [], []
        for m, s in self.si.moments:
            w = SerialInterval.parametric(m, s).weights_for(inc.n_days)
            shape, scale = self._posterior(inc, w, ts, te, local_sum, a_prior, b_prior)
            shape[:, te <= m] = np.nan  # EpiEstim also masks by the sampled mean
            shapes.append(shape)
            scales.append(scale)
        return mixture_summary(np.stack(shapes), np.stack(scales))

    def posterior(self, incidence: Incidence) -> tuple[Floats, Floats]:
        """Gamma posterior (shape, scale) per region and window, for a fixed SI."""
        if self.si.kind == "uncertain":
            raise InvalidInput("posterior() needs a parametric or distribution SI")
        a_prior = (self.mean_prior / self.std_prior) ** 2
        b_prior = self.std_prior**2 / self.mean_prior
        ts, te = _windows(incidence.n_days, self.window, self.t_start, self.t_end)
        local_sum = _window_sums(incidence.local, ts, te)
        w = self.si.weights_for(incidence.n_days)
        return self._posterior(incidence, w, ts, te, local_sum, a_prior, b_prior)


def mixture_summary(a: Floats, b: Floats) -> tuple[Floats, Floats, dict[str, Floats]]:
    """Mean, sd and quantiles of equal-weight gamma mixtures over axis 0.

    ``a`` and ``b`` are shapes and scales of shape (components, regions, windows);
    NaN components are left out, as EpiEstim's ``na.rm``.
    """
    means = a * b
    mean = np.nanmean(means, axis=0)
    second = np.nanmean(a * b**2 + means**2, axis=0)
    std = np.sqrt(np.maximum(second - mean**2, 0.0))
    quant = {
        name: _mixture_quantile(a, b, q)
        for name, q in zip(QUANTILE_NAMES, QUANTILES, strict=True)
    }
    return mean, std, quant


def gamma_quantiles(shape: Floats, qs: tuple[float, ...]) -> list[Floats]:
    """Quantiles ``qs`` of Gamma(shape, 1), split across all cores.

    ``special.gammaincinv`` dominates the run time (7 quantiles × 250,000 windows:
    1.7 s on one core) and releases the GIL, so threads give a near-linear speed-up
    (0.88 s on 2 cores, measured).

    Examples
    --------
    >>> [round(float(x[0]), 4) for x in gamma_quantiles(np.array([3.0]), (0.5,))]
    [2.6741]
    """
    flat = np.asarray(shape, dtype=np.float64).ravel()
    chunks = np.array_split(flat, max(1, min(os.cpu_count() or 1, len(flat) // 10_000)))
    jobs = [(chunk, q) for q in qs for chunk in chunks]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        parts = list(pool.map(lambda job: special.gammaincinv(*job), jobs))
    per_q = len(chunks)
    return [
        np.concatenate(parts[i * per_q : (i + 1) * per_q]).reshape(np.shape(shape))
        for i in range(len(qs))
    ]


def _mixture_quantile(a: Floats, b: Floats, q: float) -> Floats:
    """The ``q`` quantile of an equal-weight gamma mixture, by bisection."""
    comp = np.asarray(special.gammaincinv(a, q)) * b
    lo, hi = np.nanmin(comp, axis=0), np.nanmax(comp, axis=0)
    for _ in range(60):
        mid = (lo + hi) / 2
        cdf = np.nanmean(special.gammainc(a, mid / b), axis=0)
        below = cdf < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.asarray((lo + hi) / 2)
