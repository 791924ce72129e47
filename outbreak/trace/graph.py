"""Q3: a whole day's contact graph — every pair of people whose fixes were within
20 m in at least 3 of the same 5-minute bins — streamed hour by hour.

The join of ``notes/tracing.md`` §4: the 20 m grid has side = the distance, so any
neighbour lies in the 3×3 block of cells around a fix; each pair is generated once by
joining a cell with itself (lower person first) and with 4 of its 8 neighbours (the
"half-neighbourhood"), then the exact distance test. An hour is independent of every
other hour, so the same kernel runs in one process (hours in turn, partial counts
accumulated in DuckDB) or on a Dask cluster (hours as tasks, counts summed by a
shuffle) — with identical answers.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.ingest import MovementStore
from outbreak.ingest.schema import BIN_S, GKEY_STRIDE, GRID_DM
from outbreak.jit import kernel, split_map
from outbreak.trace.window import kst_midnight

Ints = NDArray[np.int64]
HALF_NEIGHBOURS = (0, 1, GKEY_STRIDE - 1, GKEY_STRIDE, GKEY_STRIDE + 1)
BINS_PER_HOUR = 3600 // BIN_S
BIN_SHIFT = 40  # (bin in the hour) << 40 | gkey: gkeys stay below 2^37 in Korea


MEMORY_LIMIT = "3GB"  # DuckDB spills to disk beyond it: Q3 must fit a small worker


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    # spill under the system's temporary directory, never the working directory
    spill = Path(tempfile.gettempdir()) / "outbreak-duckdb"
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def day_files(store: MovementStore, day: date) -> list[str]:
    """The ping files of one day (every tile)."""
    folder = store.root / "pings" / f"date={day.isoformat()}"
    tiles = sorted({p.parent for p in folder.rglob("*.parquet")})
    return [str(f) for d in tiles for f in store.live(d)]


def hour_pairs(files: list[str], first_bin: int, *, distance_m: float = 20) -> pa.Table:
    """(pa, pb, bins): pairs co-located in the hour from ``first_bin``, with the
    number of bins they shared. ``pa`` < ``pb``; GPS fixes only.

    DuckDB reads the hour (row groups pruned on ``bin``); a compiled kernel joins
    each (bin, cell) run with itself and its half-neighbourhood, two threads at once.
    """
    if distance_m > GRID_DM / 10:
        raise InvalidInput(
            f"distance_m must be at most the grid side ({GRID_DM / 10} m)",
            field="distance_m",
        )
    con = _connect()
    hour = con.sql(
        "SELECT person_key, bin, gkey, x_dm, y_dm FROM read_parquet(?) "
        "WHERE source = 'gps' AND bin BETWEEN ? AND ?",
        params=[files, first_bin, first_bin + BINS_PER_HOUR - 1],
    ).to_arrow_table()
    con.close()
    assert hour is not None
    keys = hour["person_key"].to_numpy()
    people, person = np.unique(keys, return_inverse=True)  # dense, in key order
    cell = (hour["bin"].to_numpy().astype(np.int64) - first_bin) << BIN_SHIFT
    cell += hour["gkey"].to_numpy().astype(np.int64)
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    x = hour["x_dm"].to_numpy().astype(np.int64)[order]
    y = hour["y_dm"].to_numpy().astype(np.int64)[order]
    person = person.astype(np.int64)[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    run_key = cell[starts]
    bounds = np.r_[starts, len(cell)].astype(np.int64)
    near = _neighbour_runs(run_key, np.array(HALF_NEIGHBOURS, dtype=np.int64))
    r2 = int(distance_m * 10) ** 2
    n = np.int64(len(people))
    parts = split_map(
        lambda part: _pair_codes(
            bounds, near, x, y, person, r2, n, part.start, part.stop
        ),
        len(run_key),
        min_chunk=1_000,
    )
    codes, counts = np.unique(np.concatenate(parts), return_counts=True)
    return pa.table(
        {
            "pa": pa.array(people[codes // n], pa.int64()),
            "pb": pa.array(people[codes % n], pa.int64()),
            "bins": pa.array(counts, pa.int64()),
        }
    )


@kernel
def _neighbour_runs(run_key: Ints, offsets: Ints) -> Ints:
    """For each run (one bin, one cell) and offset, the run of the cell at that
    offset in the same bin, or -1."""
    out = np.full((len(run_key), len(offsets)), -1, dtype=np.int64)
    for r in range(len(run_key)):
        for k in range(len(offsets)):
            want = run_key[r] + offsets[k]
            j = np.searchsorted(run_key, want)
            if j < len(run_key) and run_key[j] == want:
                out[r, k] = j
    return out


@kernel
def _pair_codes(
    bounds: Ints,
    near: Ints,
    x: Ints,
    y: Ints,
    person: Ints,
    r2: int,
    n: np.int64,
    lo: int,
    hi: int,
) -> Ints:
    """Pair codes (lower person × n + higher) of every co-located pair-bin in runs
    ``lo``..``hi``: counted in a first pass, written in a second."""
    total = 0
    for fill in range(2):
        if fill:
            out = np.empty(total, dtype=np.int64)
        m = 0
        for r in range(lo, hi):
            for k in range(near.shape[1]):
                j = near[r, k]
                if j < 0:
                    continue
                for i in range(bounds[r], bounds[r + 1]):
                    first = i + 1 if j == r else bounds[j]
                    for q in range(first, bounds[j + 1]):
                        dx = x[i] - x[q]
                        dy = y[i] - y[q]
                        if dx * dx + dy * dy <= r2 and person[i] != person[q]:
                            if fill:
                                a, b = person[i], person[q]
                                out[m] = min(a, b) * n + max(a, b)
                            m += 1
        total = m
    return out


def first_bins(day: date) -> list[int]:
    """The first 5-minute bin of each hour of a (Korean) day."""
    start = int(kst_midnight(day).timestamp()) // BIN_S
    return [start + h * BINS_PER_HOUR for h in range(24)]


def contact_graph(
    store: MovementStore, day: date, *, distance_m: float = 20, min_bins: int = 3
) -> pa.Table:
    """The day's contact graph on this machine: (pa, pb, bins), sorted."""
    files = day_files(store, day)
    if not files:
        return pa.table(
            {
                "pa": pa.array([], pa.int64()),
                "pb": pa.array([], pa.int64()),
                "bins": pa.array([], pa.int64()),
            }
        )
    con = _connect()
    con.execute("CREATE TABLE acc (pa BIGINT, pb BIGINT, bins BIGINT)")
    for first in first_bins(day):
        part = hour_pairs(files, first, distance_m=distance_m)
        con.register("part", part)
        con.execute("INSERT INTO acc SELECT * FROM part")
        con.unregister("part")
    out = con.sql(
        "SELECT pa, pb, sum(bins)::BIGINT AS bins FROM acc GROUP BY ALL "
        "HAVING sum(bins) >= ? ORDER BY pa, pb",
        params=[min_bins],
    ).to_arrow_table()
    con.close()
    assert out is not None
    return out


def contact_graph_dask(
    store: MovementStore,
    day: date,
    *,
    scheduler: str | None = None,
    distance_m: float = 20,
    min_bins: int = 3,
) -> pa.Table:
    """The same graph on a Dask cluster: hours as tasks, counts summed by a shuffle.

    ``scheduler`` is a ``tcp://host:8786`` address of a running cluster (its workers
    must see the store's files at the same paths); None starts a local cluster.
    """
    import dask.dataframe as dd
    from dask.delayed import delayed
    from distributed import Client, LocalCluster

    files = day_files(store, day)
    if not files:
        return contact_graph(store, day, distance_m=distance_m, min_bins=min_bins)

    def hour(first: int) -> object:
        return hour_pairs(files, first, distance_m=distance_m).to_pandas()

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        with Client(scheduler or cluster):  # type: ignore[no-untyped-call]
            parts = [delayed(hour)(f) for f in first_bins(day)]
            meta = {"pa": "int64", "pb": "int64", "bins": "int64"}
            frame = dd.from_delayed(parts, meta=meta)
            summed = frame.groupby(["pa", "pb"])["bins"].sum().compute()
    finally:
        if cluster is not None:
            cluster.close()
    df = summed[summed >= min_bins].reset_index().sort_values(["pa", "pb"])
    return pa.Table.from_pandas(
        df[["pa", "pb", "bins"]].astype("int64"), preserve_index=False
    )
