"""Commands: model run, model sweep, model calibrate, model distancing (the
agent-based model, :mod:`outbreak.model.abm`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
)
from rich.table import Table

from outbreak.cli.context import console
from outbreak.files import write_parquet_atomic
from outbreak.model.abm.calibrate import calibrate
from outbreak.model.abm.policy import DISTANCING, DISTANCING_VENUES
from outbreak.model.abm.scenario import Study, load_study
from outbreak.model.abm.sweep import Sweep, dask_sweep, sweep

SHOWN = ("infections", "deaths", "peak_hospital", "peak_icu", "hospital_bed_days")


def _bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}", BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True,
    )  # fmt: skip


def _ticks(bar: Progress, task: TaskID) -> Callable[[int, int], None]:
    def tick(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return tick


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-").lower() or "study"


def _report(result: Sweep, out: Path | None) -> None:
    study = result.study
    rows = result.comparison().to_pylist()
    table = Table("scenario", "outcome", "median", "90 % interval",
                  f"averted vs {study.reference}", title=study.name)  # fmt: skip
    for r in rows:
        if r["outcome"] not in SHOWN:
            continue
        averted = (
            "–" if r["scenario"] == study.reference
            else f"{r['averted_median']:,.0f} ({r['averted_low']:,.0f} to "
            f"{r['averted_high']:,.0f})"
        )  # fmt: skip
        table.add_row(r["scenario"], r["outcome"], f"{r['median']:,.0f}",
                      f"{r['low']:,.0f}–{r['high']:,.0f}", averted)  # fmt: skip
    console.print(table)
    target = out or Path("var") / "scenarios" / _slug(study.name)
    files = result.write(target)
    console.print(f"Wrote {', '.join(p.name for p in files.values())} to {target}")


def _with_seeds(study: Study, seeds: int | None) -> Study:
    return study if seeds is None else study.model_copy(update={"seeds": seeds})


out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the Parquet tables [var/scenarios/<name>].",
)


@click.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seeds", type=int, help="Override the file's number of seeds.")
@click.option("--threads", type=int, help="Threads per run [all cores].")
@out_option
def model_run(
    file: Path, seeds: int | None, threads: int | None, out: Path | None
) -> None:
    """Run the study in FILE (YAML: one scenario or several) in this process and
    print its comparison; the tables go to --out as Parquet."""
    study = _with_seeds(load_study(file), seeds)
    with _bar() as bar:
        task = bar.add_task(study.name, total=None)
        result = sweep(study, threads=threads, progress=_ticks(bar, task))
    _report(result, out)


@click.command("sweep")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seeds", type=int, help="Override the file's number of seeds.")
@click.option("--workers", type=int, help="Local Dask worker processes [cores].")
@click.option("--scheduler", help="A running Dask scheduler, tcp://host:8786.")
@out_option
def model_sweep(
    file: Path, seeds: int | None, workers: int | None, scheduler: str | None,
    out: Path | None,
) -> None:  # fmt: skip
    """Run every scenario × seed of FILE on Dask (a local cluster, or --scheduler),
    one task per run; same numbers as `model run`."""
    study = _with_seeds(load_study(file), seeds)
    with _bar() as bar:
        task = bar.add_task(f"{study.name} on Dask", total=None)
        result = dask_sweep(study, scheduler=scheduler, workers=workers,
                            progress=_ticks(bar, task))  # fmt: skip
    _report(result, out)


@click.command("calibrate")
@click.option("--region", default="22", show_default=True,
              help="KR (national) or a province code; 22 = Daegu.")  # fmt: skip
@click.option("--agents", default=100_000, show_default=True)
@click.option("--seeds", default=3, show_default=True)
@click.option("--kind", type=click.Choice(["hybrid", "city"]), default="hybrid",
              show_default=True)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write observed vs fitted daily counts (.parquet).")  # fmt: skip
def model_calibrate(
    region: str, agents: int, seeds: int, kind: str, out: Path | None
) -> None:
    """Fit transmission to Korea's 2020 first wave with the 2020 policies on."""
    with _bar() as bar:
        task = bar.add_task("calibrating", total=None)
        fit = calibrate(region=region, agents=agents, seeds=seeds, kind=kind,
                        progress=_ticks(bar, task))  # fmt: skip
    table = Table("", "value", title="Calibration to the 2020 first wave")
    for k, v in fit.report().items():
        table.add_row(k, str(v))
    console.print(table)
    if out is not None:
        write_parquet_atomic(out, fit.table())
        console.print(f"Wrote observed and fitted daily counts to {out}")


@click.command("distancing")
def model_distancing() -> None:
    """The distancing levels as the model applies them (docs/abm.md)."""
    table = Table("level", "household", "school", "work", "community", "venues")
    for level, m in DISTANCING.items():
        venues = ", ".join(f"{k} ×{f:g}" for k, f in DISTANCING_VENUES[level].items())
        table.add_row(level, *(f"×{x:g}" for x in m), venues or "–")
    console.print(table)
