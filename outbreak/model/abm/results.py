"""Daily series of a run, computed from the scheduled courses, and as a table.

New events per day are counts of the event days; states in force per day (in
hospital, in intensive care, in a residential treatment centre) are running sums of
their starts minus their ends; the reproduction number is the mean number of
infections caused by those infected on each day (the model's truth, to set beside
an estimate from its confirmed cases).

Bed demand follows Korea's triage: a confirmed mild or asymptomatic case goes to a
residential treatment centre (생활치료센터) until recovery; moderate cases need a
hospital bed; severe and critical ones an intensive-care bed (the severity levels
of kernels.SEVERITY).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outbreak.model.abm.policy import VENUE_KINDS
from outbreak.model.abm.population import Population

Counts = NDArray[np.int64]
AGE_BANDS = ("0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79",
             "80+")  # fmt: skip


LAYER_NAMES = ("household", "school", "work", "community", "outside")


@dataclass(frozen=True)
class Results:
    """Daily series (index: day) and break-downs."""

    new_infections: Counts
    new_symptomatic: Counts
    new_confirmed: Counts
    new_deaths: Counts
    exposed: Counts
    infectious: Counts
    active: Counts  # infected, not yet recovered or dead
    in_hospital: Counts  # moderate, and severe before intensive care
    in_icu: Counts  # severe and critical
    in_treatment_centre: Counts  # confirmed mild or asymptomatic cases
    cumulative_infections: Counts
    susceptible: Counts  # never infected by the end of the day
    recovered: Counts  # cumulative
    dead: Counts  # cumulative
    tests: Counts
    rt: NDArray[np.float64]  # mean infections caused by those infected that day
    infections_by_age: NDArray[np.int64]  # (days, bands)
    confirmed_by_age: NDArray[np.int64]
    infections_by_district: NDArray[np.int64]  # (days, districts)
    # (days, 5): household, school, work, community, and from outside (the first
    # infections and arrivals)
    infections_by_layer: NDArray[np.int64]
    infections_by_venue: NDArray[np.int64]  # (days, VENUE_KINDS): community only
    districts: tuple[str, ...]
    population: int

    @property
    def attack_rate(self) -> float:
        """Share of the population ever infected."""
        return float(self.cumulative_infections[-1] / self.population)

    @property
    def bed_days(self) -> dict[str, int]:
        """Bed-days by kind over the run."""
        return {
            "treatment_centre": int(self.in_treatment_centre.sum()),
            "hospital": int(self.in_hospital.sum()),
            "icu": int(self.in_icu.sum()),
        }

    def table(self) -> pa.Table:
        """The daily series as an Arrow table (one row per day)."""
        cols = {
            k: v
            for k, v in asdict(self).items()
            if isinstance(v, np.ndarray) and v.ndim == 1
        }
        return pa.table({"day": np.arange(len(self.new_infections)), **cols})

    def by_age(self) -> pa.Table:
        """New infections and confirmed cases per day and 10-year age band (long)."""
        days, bands = self.infections_by_age.shape
        return pa.table(
            {
                "day": np.repeat(np.arange(days), bands),
                "age": np.tile(np.array(AGE_BANDS[:bands]), days),
                "new_infections": self.infections_by_age.ravel(),
                "new_confirmed": self.confirmed_by_age.ravel(),
            }
        )

    def by_layer(self) -> pa.Table:
        """New infections per day by where they happened (long)."""
        days, k = self.infections_by_layer.shape
        return pa.table(
            {
                "day": np.repeat(np.arange(days), k),
                "layer": np.tile(np.array(LAYER_NAMES), days),
                "new_infections": self.infections_by_layer.ravel(),
            }
        )

    def by_district(self) -> pa.Table:
        """New infections per day and district (long; empty without districts)."""
        days, k = self.infections_by_district.shape
        return pa.table(
            {
                "day": np.repeat(np.arange(days), k),
                "district": np.tile(np.array(self.districts, dtype=str), days),
                "new_infections": self.infections_by_district.ravel(),
            }
        )


def _count(days: NDArray[np.int32], n: int) -> Counts:
    ok = (days >= 0) & (days < n)
    return np.bincount(days[ok], minlength=n).astype(np.int64)


def _running(start: NDArray[np.int32], end: NDArray[np.int32], n: int) -> Counts:
    """How many intervals [start, end) are open on each day."""
    ok = start >= 0
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, np.clip(start[ok], 0, n), 1)
    np.add.at(delta, np.clip(end[ok], 0, n), -1)
    return np.cumsum(delta)[:n]


def summarise(state: dict[str, NDArray], days: int, pop: Population) -> Results:  # type: ignore[type-arg]
    """Daily series from a run's schedules (see the module docstring)."""
    times, sev, diag = state["times"], state["severity"], state["diag"]
    inf = times[:, 0] >= 0
    t_exp, t_inf, t_sym = times[:, 0], times[:, 1], times[:, 2]
    t_sev, t_crit, t_end, died = times[:, 3], times[:, 4], times[:, 5], times[:, 6]
    hosp_end = np.where(t_crit >= 0, t_crit, t_end)
    # diagnosed before recovering (a slow test can come back after the illness)
    centre = inf & (diag >= 0) & (diag < t_end) & (sev <= 1)
    band = np.minimum(pop.age // 10, 8).astype(np.int64)
    new = _count(t_exp, days)
    infector = state["infector"]
    where = state["layer"].astype(np.int64)
    layer = np.where(where >= 0, where & 3, 4)
    venue = np.where((where >= 0) & ((where & 3) == 3), where >> 2, -1)
    removed = np.where(inf & (died == 0), t_end, -1)
    caused = np.bincount(infector[infector >= 0], minlength=len(times))
    per_day_caused = np.bincount(t_exp[inf], weights=caused[inf], minlength=days)[:days]
    with np.errstate(invalid="ignore", divide="ignore"):
        rt = np.where(new > 0, per_day_caused / np.maximum(new, 1), np.nan)
    return Results(
        new_infections=new,
        new_symptomatic=_count(t_sym, days),
        new_confirmed=_count(np.where(inf, diag, -1), days),
        new_deaths=_count(np.where(died == 1, t_end, -1), days),
        exposed=_running(t_exp, np.where(inf, t_inf, -1), days),
        infectious=_running(np.where(inf, t_inf, -1), t_end, days),
        active=_running(t_exp, t_end, days),
        in_hospital=_running(t_sev, hosp_end, days),
        in_icu=_running(t_crit, t_end, days),
        in_treatment_centre=_running(np.where(centre, diag, -1), t_end, days),
        cumulative_infections=np.cumsum(new),
        susceptible=len(times) - np.cumsum(new),
        recovered=np.cumsum(_count(removed, days)),
        dead=np.cumsum(_count(np.where(died == 1, t_end, -1), days)),
        tests=state["tested"].astype(np.int64),
        rt=rt,
        infections_by_age=_by(t_exp, band, days, 9),
        confirmed_by_age=_by(np.where(inf, diag, -1), band, days, 9),
        infections_by_district=_by(
            t_exp, pop.district.astype(np.int64), days, len(pop.districts)
        ),
        infections_by_layer=_by(t_exp, layer, days, 5),
        infections_by_venue=_by(t_exp, venue, days, len(VENUE_KINDS)),
        districts=pop.districts,
        population=len(pop),
    )


def _by(
    day: NDArray[np.int32], group: NDArray[np.int64], days: int, k: int
) -> NDArray[np.int64]:
    ok = (day >= 0) & (day < days) & (group >= 0)
    out = np.zeros((days, k), dtype=np.int64)
    if k:
        np.add.at(out, (day[ok], group[ok]), 1)
    return out
