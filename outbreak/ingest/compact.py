"""Compaction: merge the many small files of a partition into one.

Each ingested file adds one file to every (day, tile) partition it touches — a city
of a million people ingested in 20 files leaves ~8,000 files a day, and a query pays
for every file it opens. Compaction rewrites a partition's files as one, sorted as
ingest sorts (by bin), and is crash-safe the same way ingest is: a catalog row marks
the batch ``committing`` with the list of files it replaces; the merged file moves in
by rename; only then are the old files deleted. :func:`finish_compaction`, run by
recovery, rolls a dead compaction forward (merged file in place) or back (not).
Compacting pings also brings each day's person-ordered copy up to date
(:mod:`outbreak.ingest.tracks`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.ingest.layout import ping_order
from outbreak.ingest.store import TABLES, WRITE_OPTIONS, MovementStore
from outbreak.ingest.tracks import build_tracks
from outbreak.store.base import utcnow
from outbreak.store.tables import IngestBatchRow

SOURCE = "compact"


@dataclass(frozen=True)
class CompactSummary:
    """What one compaction run did."""

    partitions: int
    files_before: int
    files_after: int
    rows: int


def _merge(files: list[Path], table_name: str) -> pa.Table:
    table = pa.concat_tables(pq.read_table(f, partitioning=None) for f in files)
    if table_name == "presence":  # by person, so one person's rows are one row group
        return table.sort_by([("person_key", "ascending"), ("code", "ascending")])
    if table_name != "pings":
        return table
    t, x, y = (table[c].to_numpy().astype("int64") for c in ("t", "x_dm", "y_dm"))
    order, _, _ = ping_order(t, x, y)
    return table.take(pa.array(order))


def compact(
    access: Access,
    store: MovementStore,
    *,
    tables: tuple[str, ...] = TABLES,
    min_files: int = 2,
) -> CompactSummary:
    """Merge every partition of ``tables`` that has ``min_files`` files or more."""
    from outbreak.ingest.service import recover  # service imports this module

    access.check(
        Permission.MOVEMENT_INGEST,
        subject_type="movement_store",
        subject_id=",".join(tables)[:64],
        detail="compact",
    )
    session = access.session
    session.commit()
    parts = before = after = rows = 0
    with store.lock():
        recover(session, store)
        for table_name in tables:
            for directory in sorted({p.parent for p in store.files(table_name)}):
                files = store.live(directory)
                if len(files) < min_files:
                    continue
                rows += _compact_one(session, store, directory, files, table_name,
                                     access.principal.username)  # fmt: skip
                parts, before, after = parts + 1, before + len(files), after + 1
        if "pings" in tables:
            build_tracks(store)
    return CompactSummary(parts, before, after, rows)


def _compact_one(
    session: Session,
    store: MovementStore,
    directory: Path,
    files: list[Path],
    table_name: str,
    actor: str,
) -> int:
    merged = _merge(files, table_name)
    batch = IngestBatchRow(
        source=SOURCE,
        file_name=str(directory.relative_to(store.root))[-500:],
        sha256="-",
        state="committing",
        actor=actor,
        rows_in=merged.num_rows,
        detail=json.dumps([f.name for f in files]),
    )
    session.add(batch)
    session.commit()  # the crash marker, listing the files being replaced
    staged = store.root / ".staging" / str(batch.id) / f"part-{batch.id}.parquet"
    staged.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(merged, staged, **WRITE_OPTIONS.get(table_name, {}),
                   compression="zstd", row_group_size=128_000)  # fmt: skip
    store.mark_superseded(directory, batch.id, [f.name for f in files])
    staged.replace(directory / staged.name)
    finish_compaction(session, store, batch)
    return int(merged.num_rows)


def finish_compaction(
    session: Session, store: MovementStore, batch: IngestBatchRow
) -> None:
    """Complete a compaction whose merged file is in place; undo one whose is not."""
    directory = store.root / batch.file_name
    if (directory / f"part-{batch.id}.parquet").exists():
        for name in json.loads(batch.detail):
            (directory / name).unlink(missing_ok=True)
        batch.state, batch.accepted = "done", batch.rows_in
    else:
        store.abort(batch.id)
        batch.state = "failed"
    (directory / f"supersedes-{batch.id}.json").unlink(missing_ok=True)
    batch.finished_at = utcnow()
    session.commit()
