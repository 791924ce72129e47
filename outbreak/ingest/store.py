"""The movement store: partitioned Parquet on disk, queried with DuckDB (the I/O edge).

Writes are two-phase. A batch is first written under ``.staging/<batch>/``; ``commit``
then renames each file into its partition (a rename is atomic on one filesystem) and
``abort`` removes whatever a failed batch left, staged or already moved. Files carry
their batch id (``part-<batch>.parquet``), so a batch can always be found and undone:
a crash mid-commit leaves nothing that recovery does not remove.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from outbreak.ingest.schema import TILE_DM

KST_OFFSET_S = 9 * 3600
TABLES = ("pings", "visits", "qr_identity")


def _partition_name(code: int, tiled: bool) -> str:
    """``2020-05-04`` or ``2020-05-04/tile=47_97`` from a partition code."""
    if not tiled:
        return str(np.datetime64(code, "D"))
    day, rest = divmod(code, 100_000_000)
    tx, ty = divmod(rest, 10_000)
    return f"{np.datetime64(day, 'D')}/tile={tx}_{ty}"


class MovementStore:
    """Parquet under ``root``: pings by (date, 2 km tile), visits by date."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _staging(self, batch: int) -> Path:
        return self.root / ".staging" / str(batch)

    def stage(self, table_name: str, table: pa.Table, batch: int) -> int:
        """Write ``table`` for ``batch`` into staging, partitioned and sorted."""
        if table.num_rows == 0:
            return 0
        t = table["t"].to_numpy().astype(np.int64)
        day = (t + KST_OFFSET_S) // 86_400
        tiled = table_name == "pings"
        # One integer per partition (day, tile); one sort orders partitions and rows.
        if tiled:
            tx = table["x_dm"].to_numpy().astype(np.int64) // TILE_DM
            ty = table["y_dm"].to_numpy().astype(np.int64) // TILE_DM
            group = (day * 10_000 + tx) * 10_000 + ty  # tiles < 10,000 in either axis
            order = np.lexsort(
                (table["gkey"].to_numpy(), table["bin"].to_numpy(), group)
            )
        elif table_name == "visits":
            group = day
            order = np.lexsort((t, table["place_id"].to_numpy(), group))
        else:
            group = day
            order = np.lexsort((t, group))
        ordered = table.take(pa.array(order))
        groups, starts = np.unique(group[order], return_index=True)
        bounds = [*starts[1:], len(order)]
        for code, lo, hi in zip(groups, starts, bounds, strict=True):
            name = _partition_name(int(code), tiled)
            path = (
                self._staging(batch)
                / table_name
                / f"date={name}"
                / f"part-{batch}.parquet"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                ordered.slice(lo, hi - lo),
                path,
                compression="zstd",
                row_group_size=128_000,
            )
        return len(groups)

    def stage_rejects(
        self, source: str, table: pa.Table, batch: int, day: date
    ) -> None:
        """Keep a batch's rejects (identifiers masked), by ingest date for retention."""
        if table.num_rows:
            path = (
                self._staging(batch)
                / "rejects"
                / f"date={day.isoformat()}"
                / f"source={source}"
                / f"part-{batch}.parquet"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path, compression="zstd")

    def commit(self, batch: int) -> None:
        """Move every staged file of ``batch`` into place."""
        staging = self._staging(batch)
        for path in sorted(staging.rglob("*.parquet")):
            final = self.root / path.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            path.replace(final)
        shutil.rmtree(staging, ignore_errors=True)

    def abort(self, batch: int) -> int:
        """Remove all files of ``batch``, staged or committed; returns how many."""
        removed = 0
        for path in self.root.rglob(f"part-{batch}.parquet"):
            path.unlink()
            removed += 1
        shutil.rmtree(self._staging(batch), ignore_errors=True)
        return removed

    def files(self, table_name: str) -> list[Path]:
        """The committed files of a table."""
        base = self.root / table_name
        return sorted(base.rglob("*.parquet")) if base.exists() else []

    def query(self, table_name: str) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A DuckDB connection and a ``read_parquet`` expression for the table."""
        con = duckdb.connect()
        files = self.files(table_name)
        if not files:
            return con, "(SELECT NULL LIMIT 0)"
        glob = str(self.root / table_name / "**" / "*.parquet")
        return con, f"read_parquet('{glob}', hive_partitioning = true)"

    def partitions(self, table_name: str) -> Iterator[tuple[date, Path]]:
        """Each date partition of a table, with its directory."""
        base = self.root / table_name
        if not base.exists():
            return
        for directory in sorted(base.glob("date=*")):
            yield date.fromisoformat(directory.name.removeprefix("date=")), directory

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the store by one ingest at a time (an OS file lock).

        Under the lock, a batch marked ``committing`` can only belong to a dead
        process, so recovery may undo it without harming a live writer.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def drop_partition(self, directory: Path) -> int:
        """Delete one date partition; returns the bytes freed."""
        size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
        shutil.rmtree(directory)
        return size
