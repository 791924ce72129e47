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
import pyarrow as pa

from outbreak.errors import InvalidInput
from outbreak.ingest import MovementStore
from outbreak.ingest.schema import BIN_S, GKEY_STRIDE, GRID_DM
from outbreak.trace.window import kst_midnight

HALF_NEIGHBOURS = (0, 1, GKEY_STRIDE - 1, GKEY_STRIDE, GKEY_STRIDE + 1)
BINS_PER_HOUR = 3600 // BIN_S


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
    number of bins they shared. ``pa`` < ``pb``; GPS fixes only."""
    if distance_m > GRID_DM / 10:
        raise InvalidInput(
            f"distance_m must be at most the grid side ({GRID_DM / 10} m)",
            field="distance_m",
        )
    con = _connect()
    offsets = ", ".join(str(o) for o in HALF_NEIGHBOURS)
    r2 = int(distance_m * 10) ** 2
    table = con.sql(
        "WITH p AS (SELECT person_key, bin, gkey, x_dm, y_dm FROM read_parquet(?) "  # noqa: S608
        "  WHERE source = 'gps' AND bin BETWEEN ? AND ?), "
        f"b AS (SELECT *, unnest([{offsets}]) AS off FROM p) "
        "SELECT least(a.person_key, b.person_key) AS pa, "
        "greatest(a.person_key, b.person_key) AS pb, count(*) AS bins "
        "FROM p a JOIN b ON a.bin = b.bin AND a.gkey = b.gkey - b.off "
        "WHERE (b.off <> 0 OR a.person_key < b.person_key) "
        "AND a.person_key <> b.person_key "
        "AND (a.x_dm - b.x_dm) * (a.x_dm - b.x_dm) "
        "+ (a.y_dm - b.y_dm) * (a.y_dm - b.y_dm) <= ? GROUP BY ALL",
        params=[files, first_bin, first_bin + BINS_PER_HOUR - 1, r2],
    ).to_arrow_table()
    con.close()
    assert table is not None
    return table


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
