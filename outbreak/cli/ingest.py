"""Commands: ingest, retention apply."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli.context import CliState, console
from outbreak.ingest import (
    ADAPTERS,
    MovementStore,
    apply_retention,
    city_reference,
    ingest_file,
    load_reference,
)
from outbreak.ingest import (
    compact as compact_store,
)

pass_state = click.make_pass_decorator(CliState)


def movement_store(state: CliState) -> MovementStore:
    """The movement store under the settings' Parquet directory."""
    return MovementStore(state.settings.parquet_path / "movement")


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files.extend(
            sorted(q for q in p.rglob("*") if q.suffix in (".parquet", ".csv"))
            if p.is_dir()
            else [p]
        )
    return files


@click.command()
@click.argument("source", type=click.Choice(list(ADAPTERS)))
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option("--user", required=True, help="Who ingests (written to the audit log).")
@click.option(
    "--city",
    type=click.Path(file_okay=False, path_type=Path),
    help="A synthetic city's directory (its towers and places registries).",
)
@click.option("--towers", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--places", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--purpose", default="movement data ingest", show_default=True)
@click.option(
    "--compact/--no-compact",
    default=True,
    show_default=True,
    help="Afterwards, merge each partition's files into one (fewer files to query).",
)
@pass_state
def ingest(
    state: CliState,
    source: str,
    files: tuple[Path, ...],
    user: str,
    city: Path | None,
    towers: Path | None,
    places: Path | None,
    purpose: str,
    compact: bool,
) -> None:
    """Ingest FILES (Parquet or CSV; directories are searched) of SOURCE."""
    ref = city_reference(city) if city else load_reference(towers, places)
    store = movement_store(state)
    paths = _expand(files)
    table = Table("file", "rows", "accepted", "rejected", "reasons", "")
    began, total = time.perf_counter(), 0
    with state.session() as session:
        access = Access(session, principal_for(session, user), purpose)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"Ingesting {source}", total=len(paths))
            for path in paths:
                s = ingest_file(access, state.keys, store, source, path, ref)
                total += 0 if s.skipped else s.rows_in
                reasons = ", ".join(
                    f"{k} {v}" for k, v in s.counts.items() if k != "accepted"
                )
                table.add_row(
                    s.file,
                    f"{s.rows_in:,}",
                    f"{s.accepted:,}",
                    f"{s.rejected:,}",
                    reasons or "–",
                    "already ingested" if s.skipped else "",
                )
                bar.advance(task)
        if compact:
            c = compact_store(access, store)
    elapsed = time.perf_counter() - began
    console.print(table)
    console.print(
        f"{total:,} new rows in {elapsed:.1f} s "
        f"({total / max(elapsed, 1e-9):,.0f} rows/s) → {store.root}"
    )
    if compact and c.partitions:
        console.print(
            f"compacted {c.partitions:,} partitions: {c.files_before:,} files → "
            f"{c.files_after:,}"
        )


@click.command("apply")
@click.option("--dry-run", is_flag=True, help="List what would be deleted.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@pass_state
def retention_apply(state: CliState, dry_run: bool, today: datetime | None) -> None:
    """Delete movement partitions past their retention period (audited)."""
    day = today.date() if today else date.today()
    s = state.settings
    with state.session() as session:
        gone = apply_retention(
            session,
            movement_store(state),
            today=day,
            visits_days=s.retention_checkin_days,
            pings_days=s.retention_movement_days,
            dry_run=dry_run,
        )
    for g in gone:
        console.print(
            f"{'would delete' if dry_run else 'deleted'} {g.table} {g.day} "
            f"({g.bytes / 1e6:.1f} MB)"
        )
    console.print(
        f"{len(gone)} partitions {'past retention' if dry_run else 'deleted'}"
    )
