"""Many scenarios × many seeds, in this process or on a Dask cluster, summarised
with uncertainty bands and compared with a baseline.

Every run of a seed meets the same population and reads the same random numbers
(rng.py): scenarios differ only where their policies act, so a difference between
two scenarios is measured seed by seed (paired) and its interval is far narrower
than the spread of either (common random numbers; notes/modeling.md §4: seeds
confounding scenarios is what users of the peers complain about).

On Dask each task is one (scenario, seed) run; a worker builds the population
once and keeps it (:func:`population`), so a sweep ships specs, not agents. A run
gives the same numbers in this process, in a thread, or on any worker.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from outbreak.files import write_atomic, write_parquet_atomic
from outbreak.model.abm.city import city
from outbreak.model.abm.population import Population, hybrid
from outbreak.model.abm.results import AGE_BANDS, Results
from outbreak.model.abm.scenario import PopulationSpec, Study
from outbreak.model.abm.sim import Pars, Sim

Progress = Callable[[int, int], None]
# the daily series summarised across seeds (names of Results fields)
METRICS = (
    "new_infections", "new_confirmed", "active", "in_treatment_centre",
    "in_hospital", "in_icu", "new_deaths", "cumulative_infections", "tests", "rt",
)  # fmt: skip
BAND = (0.05, 0.5, 0.95)  # the 90 % interval and the median


@lru_cache(maxsize=2)
def population(spec: PopulationSpec) -> Population:
    """The population of a spec, built once per process."""
    build = city if spec.kind == "city" else hybrid
    return build(spec.agents, seed=spec.seed)


def pars_of(study: Study) -> Pars:
    """Disease parameters: the defaults, overridden by the study's."""
    given = {k: v for k, v in study.pars.model_dump().items() if v is not None}
    return Pars(**given)


def run_one(
    study: Study, scenario: str, seed: int, threads: int | None = None
) -> Results:
    """One scenario with one seed."""
    sim = Sim(
        population(study.population),
        days=study.days,
        seed=seed,
        policy=study.policy(study.scenario(scenario)),
        pars=pars_of(study),
        threads=threads,
        start=study.start,
    )
    return sim.run().results


@dataclass(frozen=True)
class Sweep:
    """The runs of a study: ``runs[(scenario, seed)]``."""

    study: Study
    runs: dict[tuple[str, int], Results]

    @property
    def scenarios(self) -> list[str]:
        return [s.name for s in self.study.scenarios]

    def _stack(self, scenario: str, metric: str) -> np.ndarray:
        """(seeds × days) of one metric."""
        return np.stack(
            [getattr(self.runs[scenario, s], metric) for s in self.study.seed_list]
        ).astype(np.float64)

    def _dates(self) -> pa.Array:
        days = np.arange(self.study.days)
        if self.study.start is None:
            return pa.nulls(len(days), pa.date32())
        return pa.array([self.study.start + timedelta(days=int(d)) for d in days])

    def series(self) -> pa.Table:
        """Every run's daily series (long: scenario, seed, day, date, metrics)."""
        parts = []
        for (name, seed), r in self.runs.items():
            t = r.table().select(["day", *METRICS])
            n = t.num_rows
            t = t.add_column(0, "seed", pa.array(np.full(n, seed, dtype=np.int64)))
            t = t.add_column(0, "scenario", pa.array([name] * n))
            parts.append(t.add_column(3, "date", self._dates()))
        return pa.concat_tables(parts)

    def bands(self) -> pa.Table:
        """Median and 90 % interval across seeds per scenario, metric and day."""
        cols: dict[str, list[Any]] = {
            k: [] for k in ("scenario", "metric", "day", "low", "median", "high")
        }
        dates = self._dates()
        for name in self.scenarios:
            for metric in METRICS:
                x = self._stack(name, metric)
                with warnings.catch_warnings():  # rt: no infections, no value
                    warnings.simplefilter("ignore", RuntimeWarning)
                    q = np.nanquantile(x, BAND, axis=0)
                cols["scenario"] += [name] * x.shape[1]
                cols["metric"] += [metric] * x.shape[1]
                cols["day"] += list(range(x.shape[1]))
                for k, row in zip(("low", "median", "high"), q, strict=True):
                    cols[k] += list(row)
        t = pa.table(cols)
        reps = len(self.scenarios) * len(METRICS)
        return t.add_column(3, "date", pa.concat_arrays([dates] * reps))

    def outcomes(self) -> dict[str, dict[str, np.ndarray]]:
        """Per scenario, per outcome: one value per seed (in seed order)."""
        out = {}
        for name in self.scenarios:
            rs = [self.runs[name, s] for s in self.study.seed_list]
            out[name] = {
                "infections": np.array([r.cumulative_infections[-1] for r in rs]),
                "confirmed": np.array([r.new_confirmed.sum() for r in rs]),
                "deaths": np.array([r.new_deaths.sum() for r in rs]),
                "peak_hospital": np.array([r.in_hospital.max() for r in rs]),
                "peak_icu": np.array([r.in_icu.max() for r in rs]),
                "peak_treatment_centre": np.array(
                    [r.in_treatment_centre.max() for r in rs]
                ),
                "peak_day": np.array([int(np.argmax(r.new_infections)) for r in rs]),
                "hospital_bed_days": np.array([r.bed_days["hospital"] for r in rs]),
                "icu_bed_days": np.array([r.bed_days["icu"] for r in rs]),
                "centre_bed_days": np.array(
                    [r.bed_days["treatment_centre"] for r in rs]
                ),
            }
        return out

    def comparison(self) -> pa.Table:
        """One row per scenario and outcome: median and 90 % interval across seeds,
        and what it averts versus the baseline, paired by seed."""
        outs = self.outcomes()
        ref = outs[self.study.reference]
        rows: dict[str, list[Any]] = {
            k: []
            for k in ("scenario", "outcome", "low", "median", "high", "averted_low",
                      "averted_median", "averted_high")
        }  # fmt: skip
        for name in self.scenarios:
            for outcome, values in outs[name].items():
                lo, med, hi = np.quantile(values, BAND)
                alo, amed, ahi = np.quantile(ref[outcome] - values, BAND)
                for k, v in zip(rows, (name, outcome, lo, med, hi, alo, amed, ahi),
                                strict=True):  # fmt: skip
                    rows[k].append(v)
        return pa.table(rows)

    def by_district(self) -> pa.Table:
        """Infections per scenario and district over the run: median across seeds."""
        rows: dict[str, list[Any]] = {"scenario": [], "district": [], "infections": []}
        for name in self.scenarios:
            rs = [self.runs[name, s] for s in self.study.seed_list]
            if not rs[0].districts:
                continue
            per = np.median(
                np.stack([r.infections_by_district.sum(axis=0) for r in rs]), axis=0
            )
            rows["scenario"] += [name] * len(per)
            rows["district"] += list(rs[0].districts)
            rows["infections"] += list(per)
        return pa.table(rows)

    def by_age(self) -> pa.Table:
        """Infections and confirmed cases per scenario and age band: median."""
        rows: dict[str, list[Any]] = {
            "scenario": [], "age": [], "infections": [], "confirmed": []
        }  # fmt: skip
        for name in self.scenarios:
            rs = [self.runs[name, s] for s in self.study.seed_list]
            inf = np.median(np.stack([r.infections_by_age.sum(0) for r in rs]), 0)
            conf = np.median(np.stack([r.confirmed_by_age.sum(0) for r in rs]), 0)
            rows["scenario"] += [name] * len(inf)
            rows["age"] += list(AGE_BANDS[: len(inf)])
            rows["infections"] += list(inf)
            rows["confirmed"] += list(conf)
        return pa.table(rows)

    def write(self, out: Path) -> dict[str, Path]:
        """The tables as Parquet files in ``out``, and the study as JSON (each
        replaced atomically: a crash leaves no half-written file)."""
        files = {}
        for name, table in (
            ("series", self.series()),
            ("bands", self.bands()),
            ("comparison", self.comparison()),
            ("by_district", self.by_district()),
            ("by_age", self.by_age()),
        ):
            files[name] = out / f"{name}.parquet"
            write_parquet_atomic(files[name], table)
        files["study"] = out / "study.json"
        write_atomic(files["study"], self.study.model_dump_json(indent=2).encode())
        return files


def tasks(study: Study) -> list[tuple[str, int]]:
    """(scenario, seed) of every run, seed-major (a band fills in early)."""
    return [(s.name, seed) for seed in study.seed_list for s in study.scenarios]


def sweep(
    study: Study,
    *,
    client: Any | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> Sweep:
    """Run every (scenario, seed) of ``study``.

    ``client``: a ``distributed.Client`` (a ``LocalCluster`` here, any Dask
    cluster in production): one task per run, each on one thread; None runs them
    here one after the other, each on ``threads`` (default: all cores).
    """
    todo = tasks(study)
    runs: dict[tuple[str, int], Results] = {}
    if client is None:
        for k, (name, seed) in enumerate(todo, start=1):
            runs[name, seed] = run_one(study, name, seed, threads)
            if progress:
                progress(k, len(todo))
    else:
        from distributed import as_completed

        futures = {
            client.submit(run_one, study, name, seed, 1, pure=False): (name, seed)
            for name, seed in todo
        }
        for k, fut in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            runs[futures[fut]] = fut.result()
            if progress:
                progress(k, len(todo))
    return Sweep(study, {key: runs[key] for key in todo})


def local_client(workers: int | None = None) -> Any:
    """A ``distributed.Client`` on a new LocalCluster of one-thread worker
    processes (one per core); close it with ``client.close(); client.cluster.close()``
    or use it as a context manager via :func:`dask_client`."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    return Client(cluster)  # type: ignore[no-untyped-call]


def dask_sweep(
    study: Study,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Sweep:
    """:func:`sweep` on the cluster at ``scheduler`` (``tcp://host:8786``) or on a
    new local one of ``workers`` processes, closed after."""
    from distributed import Client

    if scheduler is not None:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            return sweep(study, client=client, progress=progress)
    client = local_client(workers)
    try:
        return sweep(study, client=client, progress=progress)
    finally:
        client.close()
        client.cluster.close()
