"""Ready-made surveillance views on Korea's real counts (cached; pure reads)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from outbreak.errors import DataQualityWarning, InvalidInput
from outbreak.model.incidence import Incidence
from outbreak.model.korea import korea_national, korea_regional
from outbreak.model.params import KOREA_POPULATION, SI_MEAN_DAYS, SI_SD_DAYS
from outbreak.model.rt import RtEstimator, RtResult, SerialInterval
from outbreak.model.seir import GrowthRate, Projection, SeirFit, growth_rate

NATIONAL = "KR"
# Provincial populations, thousands, 2020 census (KOSTAT), for SEIR projections.
# fmt: off
PROVINCE_POPULATION_K = {
    "11": 9586, "21": 3349, "22": 2418, "23": 2943, "24": 1450, "25": 1463,
    "26": 1136, "29": 355, "31": 13427, "32": 1542, "33": 1601, "34": 2121,
    "35": 1804, "36": 1851, "37": 2639, "38": 3340, "39": 674,
}
# fmt: on


@lru_cache(maxsize=8)
def korea_incidence(start: date, end: date) -> Incidence:
    """National (``KR``, first row) and provincial daily incidence, one array."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        national = korea_national(start=start, end=end)
        regional = korea_regional(start=start, end=end)
    if regional.n_days != national.n_days:
        raise InvalidInput(
            f"Provincial data start on {regional.dates[0]}; choose a start on or "
            "after it",
            field="start",
        )
    return Incidence(
        national.dates,
        (NATIONAL, *regional.regions),
        np.vstack([national.local, regional.local]),
        np.vstack([national.imported, regional.imported]),
    )


@lru_cache(maxsize=32)
def korea_rt(
    start: date,
    end: date,
    si_mean: float = SI_MEAN_DAYS,
    si_sd: float = SI_SD_DAYS,
    window: int = 7,
) -> RtResult:
    """Rt for Korea and its 17 provinces, every window."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        est = RtEstimator(SerialInterval.parametric(si_mean, si_sd), window=window)
        return est.fit(korea_incidence(start, end)).rt_


def latest_rt(result: RtResult) -> dict[str, float]:
    """Each region's Rt in the last window."""
    return {r: float(result.mean[i, -1]) for i, r in enumerate(result.regions)}


@dataclass(frozen=True)
class Outlook:
    """A region's projection and current growth."""

    region: str
    projection: Projection
    growth: GrowthRate
    current_r0: float


@lru_cache(maxsize=32)
def korea_outlook(region: str, start: date, end: date, days: int = 28) -> Outlook:
    """SEIR fitted to a region's last ~12 weeks, projected ``days`` ahead."""
    inc = korea_incidence(start, end)
    if region not in inc.regions:
        raise InvalidInput(
            f"Unknown region {region!r}; expected KR or a province code "
            f"({', '.join(inc.regions[1:])})",
            field="region",
        )
    row = inc.regions.index(region)
    population = (
        KOREA_POPULATION if region == NATIONAL else PROVINCE_POPULATION_K[region] * 1000
    )
    recent = Incidence.from_counts(
        inc.total[row, -84:], dates=[str(d) for d in inc.dates[-84:]]
    )
    fit = SeirFit(population=population).fit(recent)
    return Outlook(
        region, fit.project(days=days), growth_rate(inc.total[row]), float(fit.rt_[-1])
    )
