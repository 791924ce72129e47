"""Fit transmission to Korea's 2020 first wave with the 2020 policies switched on.

The model city stands for a region (Daegu by default, where the first wave was: 6,800
of Korea's 10,800 cases by the end of April 2020) scaled down: a run's confirmed cases
are divided by ``agents / region population`` to set beside the region's reported
counts (Coronaboard, from KDCA's press releases). Two numbers are fitted on a grid —
``beta`` (infection probability per contact per day) and the infections on day 0
(1 February, the outbreak's seeding in the church cluster is not observed) — by the
squared error of log(1 + weekly confirmed), median over seeds. The report gives the
fit's R² on weekly counts, the observed and modelled peak weeks and totals.

Known limits (docs/abm.md): the Shincheonji cluster was one congregation, not a
random set of agents; testing in Daegu was targeted at it from 21 February. The fit
answers "which transmission makes the model's confirmed cases look like Daegu's
with Korea's policies", not "what R0 was".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from outbreak.errors import InvalidInput
from outbreak.model.abm.scenario import ParsSpec, PopulationSpec, ScenarioSpec, Study
from outbreak.model.abm.sweep import sweep
from outbreak.model.korea import korea_national, korea_regional

# Registered residents at the end of 2019 (Ministry of the Interior and Safety,
# resident registration statistics, Jan 2020): Korea 51,849,861; Daegu 2,438,031.
REGION_POPULATION = {"KR": 51_849_861, "22": 2_438_031}
DAY0 = date(2020, 2, 1)
BETAS = (0.008, 0.010, 0.012, 0.014, 0.016, 0.018)
INITIAL_PER_100K = (2.0, 5.0, 10.0, 20.0)


@dataclass(frozen=True)
class Fit:
    """A calibration's result: the best pair, its curve and the grid."""

    region: str
    start: date
    end: date
    agents: int
    scale: float  # agents per resident
    beta: float
    initial_infected: int
    r2: float  # weekly confirmed, on the log(1 + x) scale
    observed: np.ndarray  # daily, start..end
    fitted: np.ndarray  # median over seeds, rescaled
    low: np.ndarray
    high: np.ndarray
    grid: pa.Table

    def table(self) -> pa.Table:
        """Observed and fitted daily confirmed cases, start..end."""
        n = len(self.observed)
        return pa.table(
            {
                "date": [self.start + timedelta(days=k) for k in range(n)],
                "observed": self.observed,
                "fitted": self.fitted,
                "low": self.low,
                "high": self.high,
            }
        )

    def report(self) -> dict[str, object]:
        """The fit in numbers."""
        peak_obs = int(np.argmax(_weekly(self.observed)))
        peak_fit = int(np.argmax(_weekly(self.fitted)))
        return {
            "region": self.region,
            "window": f"{self.start}..{self.end}",
            "agents": self.agents,
            "beta": self.beta,
            "initial_infected": self.initial_infected,
            "r2_weekly_log": round(self.r2, 3),
            "observed_total": int(self.observed.sum()),
            "fitted_total": int(round(float(self.fitted.sum()))),
            "observed_peak_week": str(self.start + timedelta(weeks=peak_obs)),
            "fitted_peak_week": str(self.start + timedelta(weeks=peak_fit)),
        }


def observed(region: str, start: date, end: date) -> np.ndarray:
    """Reported daily confirmed cases of ``region`` ("KR" or a province code)."""
    before = start - timedelta(days=1)
    if region == "KR":
        counts = korea_national(start=before, end=end).total[0]
    else:
        inc = korea_regional(start=before, end=end)
        if region not in inc.regions:
            raise InvalidInput(f"Unknown region {region!r}", field="region")
        counts = inc.total[inc.regions.index(region)]
    return np.asarray(counts[1:], dtype=np.float64)  # the first day is cumulative


def _weekly(x: np.ndarray) -> np.ndarray:
    k = len(x) // 7
    return np.asarray(np.asarray(x[: k * 7]).reshape(k, 7).sum(axis=1))


def calibrate(
    *,
    region: str = "22",
    start: date = date(2020, 2, 18),
    end: date = date(2020, 4, 30),
    agents: int = 100_000,
    kind: str = "hybrid",
    betas: Sequence[float] = BETAS,
    initial_per_100k: Sequence[float] = INITIAL_PER_100K,
    seeds: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> Fit:
    """Grid-fit ``beta`` and day-0 infections to ``region``'s confirmed cases."""
    if region not in REGION_POPULATION:
        raise InvalidInput(
            f"No population for region {region!r}; one of "
            f"{', '.join(REGION_POPULATION)}",
            field="region",
        )
    if not DAY0 < start < end:
        raise InvalidInput(f"Need {DAY0} < start < end", field="start")
    obs = observed(region, start, end)
    scale = agents / REGION_POPULATION[region]
    days = (end - DAY0).days + 1
    first = (start - DAY0).days
    obs_w = np.log1p(_weekly(obs))
    grid: dict[str, list[float]] = {"beta": [], "initial_infected": [], "loss": []}
    best: tuple[float, float, int, np.ndarray] | None = None
    total = len(betas) * len(initial_per_100k)
    for k, (beta, per) in enumerate(
        ((b, p) for b in betas for p in initial_per_100k), start=1
    ):
        initial = max(1, int(round(per * agents / 100_000)))
        study = Study(
            name="calibration",
            population=PopulationSpec(kind=kind, agents=agents, seed=1),
            days=days,
            start=DAY0,
            seeds=seeds,
            pars=ParsSpec(beta=beta, initial_infected=initial),
            scenarios=[ScenarioSpec(name="korea 2020", timeline="korea_2020")],
        )
        runs = sweep(study).runs
        curves = np.stack([r.new_confirmed[first:] / scale for r in runs.values()])
        loss = float(
            np.median([np.mean((np.log1p(_weekly(c)) - obs_w) ** 2) for c in curves])
        )
        grid["beta"].append(beta)
        grid["initial_infected"].append(initial)
        grid["loss"].append(loss)
        if best is None or loss < best[0]:
            best = (loss, beta, initial, curves)
        if progress:
            progress(k, total)
    assert best is not None
    loss, beta, initial, curves = best
    fit_w = np.log1p(np.median([_weekly(c) for c in curves], axis=0))
    r2 = 1.0 - float(np.sum((fit_w - obs_w) ** 2) / np.sum((obs_w - obs_w.mean()) ** 2))
    lo, med, hi = np.quantile(curves, (0.05, 0.5, 0.95), axis=0)
    return Fit(region, start, end, agents, scale, beta, initial, r2, obs, med, lo, hi,
               pa.table(grid))  # fmt: skip
