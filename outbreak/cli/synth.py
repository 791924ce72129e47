"""Commands: synth city."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from outbreak.cli.context import console
from outbreak.synth.generate import generate


@click.group()
def synth() -> None:
    """Synthetic city and raw movement feeds."""


@synth.command("city")
@click.option("--people", type=int, required=True, help="Residents.")
@click.option("--days", type=int, default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2020-05-04",
    show_default=True,
    help="First day (a Monday in May 2020 by default).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def synth_city(people: int, days: int, seed: int, start: datetime, out: Path) -> None:
    """Build a reproducible city of PEOPLE on Seoul's districts, with raw feeds."""
    began = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Generating", total=1)
        manifest = generate(
            out,
            people=people,
            days=days,
            seed=seed,
            start=start.date(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    elapsed = time.perf_counter() - began
    table = Table("feed", "rows", "MB", "bytes/row")
    for feed, rows in manifest.rows.items():
        table.add_row(
            feed,
            f"{rows:,}",
            f"{manifest.bytes[feed] / 1e6:,.1f}",
            f"{manifest.bytes_per_row(feed):.2f}",
        )
    console.print(table)
    console.print(f"{people:,} people × {days} days in {elapsed:.1f} s → {out}")
