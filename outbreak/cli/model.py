"""Commands: model rt, model project, model serial-interval (and the agent-based
model's: cli/abm.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import click
import numpy as np
from rich.table import Table

from outbreak.cli.context import console, err_console
from outbreak.errors import DataQualityWarning
from outbreak.model import RtEstimator, SerialInterval
from outbreak.model.io import read_incidence_csv, read_si_distr, write_rows
from outbreak.model.params import SI_MEAN_DAYS, SI_SD_DAYS
from outbreak.model.seir import SeirFit, growth_rate
from outbreak.model.serial import SerialIntervalEstimator


@click.group()
def model() -> None:
    """Rt, serial intervals, projections and the agent-based model."""


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        err_console.print(f"[yellow]warning:[/yellow] {w.message}")


@model.command("rt")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--si-mean", type=float, help=f"Serial interval mean, days [{SI_MEAN_DAYS}]."
)
@click.option("--si-sd", type=float, help=f"Serial interval sd, days [{SI_SD_DAYS}].")
@click.option(
    "--si-distr",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Non-parametric SI: one probability per day, w0 = 0.",
)
@click.option("--window", default=7, show_default=True, help="Window width, days.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table to OUT.csv or OUT.parquet.",
)
def model_rt(
    file: Path,
    si_mean: float | None,
    si_sd: float | None,
    si_distr: Path | None,
    window: int,
    out: Path | None,
) -> None:
    """Estimate Rt from FILE, a CSV of daily incidence (EpiEstim's layout)."""
    if si_distr is not None:
        si = SerialInterval.distribution(read_si_distr(si_distr))
    else:
        si = SerialInterval.parametric(si_mean or SI_MEAN_DAYS, si_sd or SI_SD_DAYS)
    inc = read_incidence_csv(file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        rows = RtEstimator(si, window=window).fit(inc).rt_.rows()
    _show_warnings(caught)
    table = Table(
        "t_start", "t_end", "date_end", "mean", "std", "2.5%", "median", "97.5%"
    )
    for r in rows:
        if np.isnan(r["mean"]):
            continue
        table.add_row(
            str(r["t_start"]),
            str(r["t_end"]),
            r.get("date_end", "–"),
            f"{r['mean']:.3f}",
            f"{r['std']:.3f}",
            f"{r['q0025']:.3f}",
            f"{r['median']:.3f}",
            f"{r['q0975']:.3f}",
        )
    console.print(table)
    if out is not None:
        write_rows([{k: v for k, v in r.items() if k != "region"} for r in rows], out)
        console.print(f"Wrote {len(rows)} windows to {out}")


@model.command("project")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--population", type=float, required=True, help="People at risk.")
@click.option("--days", default=28, show_default=True)
def model_project(file: Path, population: float, days: int) -> None:
    """Fit SEIR to FILE (daily incidence) and project DAYS ahead per scenario."""
    inc = read_incidence_csv(file)
    fit = SeirFit(population=population).fit(inc)
    proj = fit.project(days=days)
    g = growth_rate(inc.total[0])
    console.print(
        f"growth {g.rate:+.3f}/day "
        f"(95% CI {g.rate_ci[0]:+.3f} to {g.rate_ci[1]:+.3f}); "
        f"{'doubling' if g.rate > 0 else 'halving'} time "
        f"{abs(g.doubling_days):.1f} days; "
        f"current R0 of the fit {fit.rt_[-1]:.2f}"
    )
    table = Table("scenario", "β factor", f"day {days} median", "95% band")
    for name, factor in proj.factors.items():
        table.add_row(
            name,
            f"{factor:.2f}",
            f"{proj.median[name][-1]:.0f}",
            f"{proj.lower[name][-1]:.0f}–{proj.upper[name][-1]:.0f}",
        )
    console.print(table)


@model.command("serial-interval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def model_serial_interval(file: Path) -> None:
    """Fit a gamma serial interval to FILE: one interval (whole days) per line."""
    days = [float(x) for x in read_si_distr(file)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        fit = SerialIntervalEstimator().fit(days).si_
    _show_warnings(caught)
    console.print(
        f"serial interval: mean {fit.mean:.2f} days (95% CI {fit.mean_ci[0]:.2f}–"
        f"{fit.mean_ci[1]:.2f}), sd {fit.sd:.2f} "
        f"({fit.sd_ci[0]:.2f}–{fit.sd_ci[1]:.2f}); "
        f"{fit.n_pairs} pairs, {fit.n_excluded} left out"
    )
