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
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.ingest import MovementStore
from outbreak.ingest.schema import BIN_S, GKEY_STRIDE, GRID_DM
from outbreak.ingest.store import spilling
from outbreak.jit import kernel, split_map
from outbreak.trace.window import kst_midnight

Ints = NDArray[np.int64]
HALF_NEIGHBOURS = (0, 1, GKEY_STRIDE - 1, GKEY_STRIDE, GKEY_STRIDE + 1)
BINS_PER_HOUR = 3600 // BIN_S
BIN_SHIFT = 40  # (bin in the hour) << 40 | gkey: gkeys stay below 2^37 in Korea


MEMORY_LIMIT = "1GB"  # DuckDB only reads an hour here; beyond it, it spills to disk


def _connect() -> duckdb.DuckDBPyConnection:
    # spill under the system's temporary directory, never the working directory
    return spilling(MEMORY_LIMIT, Path(tempfile.gettempdir()) / "outbreak-duckdb")


def day_files(store: MovementStore, day: date) -> list[str]:
    """The ping files of one day (every tile)."""
    folder = store.root / "pings" / f"date={day.isoformat()}"
    tiles = sorted({p.parent for p in folder.rglob("*.parquet")})
    return [str(f) for d in tiles for f in store.live(d)]


def _read_hour(
    files: list[str],
    first_bin: int,
    con: duckdb.DuckDBPyConnection | None = None,
    bins: int = BINS_PER_HOUR,
) -> pa.Table:
    """The GPS fixes of ``bins`` 5-minute bins from ``first_bin`` (an hour)."""
    own = con is None
    con = con or _connect()
    hour = con.sql(
        "SELECT person_key, bin, gkey, x_dm, y_dm FROM read_parquet(?) "
        "WHERE source = 'gps' AND bin BETWEEN ? AND ?",
        params=[files, first_bin, first_bin + bins - 1],
    ).to_arrow_table()
    if own:
        con.close()
    assert hour is not None
    return hour


def _check_distance(distance_m: float) -> None:
    if distance_m > GRID_DM / 10:
        raise InvalidInput(
            f"distance_m must be at most the grid side ({GRID_DM / 10} m)",
            field="distance_m",
        )


def _hour_counts(
    hour: pa.Table,
    first_bin: int,
    people: Ints,
    distance_m: float,
    index: tuple[Ints, Ints] | None = None,
) -> list[tuple[Ints, NDArray[np.int32]]]:
    """Pair codes (a × len(people) + b, a < b indexing ``people``) of the pairs
    co-located in the hour, sorted, with the bins each pair shared — one sorted list
    per thread (a pair may be in both: callers sum). ``index`` is
    ``_index(people)``, built once for the day."""
    index = index or _index(people)
    person = _lookup(*index, hour["person_key"].to_numpy().astype(np.int64))
    if len(person) and person.min() < 0:
        raise RuntimeError(
            "a person appeared in the day's files after they were listed"
        )
    cell = (hour["bin"].to_numpy().astype(np.int64) - first_bin) << BIN_SHIFT
    cell += hour["gkey"].to_numpy().astype(np.int64)
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    x = hour["x_dm"].to_numpy().astype(np.int64)[order]
    y = hour["y_dm"].to_numpy().astype(np.int64)[order]
    person = person[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    run_key = cell[starts]
    bounds = np.r_[starts, len(cell)].astype(np.int64)
    near = _neighbour_runs(run_key, np.array(HALF_NEIGHBOURS, dtype=np.int64))
    r2 = int(distance_m * 10) ** 2
    n = np.int64(len(people))
    return split_map(  # the hour's runs on two threads, each counted on its own
        lambda part: _aggregate(
            _pair_codes(bounds, near, x, y, person, r2, n, part.start, part.stop), n
        ),
        len(run_key),
        min_chunk=1_000,
    )


def hour_pairs(files: list[str], first_bin: int, *, distance_m: float = 20) -> pa.Table:
    """(pa, pb, bins): pairs co-located in the hour from ``first_bin``, with the
    number of bins they shared. ``pa`` < ``pb``; GPS fixes only.

    DuckDB reads the hour (row groups pruned on ``bin``); compiled kernels join each
    (bin, cell) run with itself and its half-neighbourhood, two threads at once, and
    count each pair's bins.
    """
    _check_distance(distance_m)
    hour = _read_hour(files, first_bin)
    people = np.unique(hour["person_key"].to_numpy())
    parts = _hour_counts(hour, first_bin, people, distance_m)
    codes, counts = parts[0]
    for more in parts[1:]:
        codes, counts = _merge(codes, counts, *more)
    return _pairs_table(people, codes, counts)


def _pairs_table(people: Ints, codes: Ints, counts: NDArray[np.int32]) -> pa.Table:
    n = max(1, len(people))
    return pa.table(
        {
            "pa": pa.array(people[codes // n], pa.int64()),
            "pb": pa.array(people[codes % n], pa.int64()),
            "bins": pa.array(counts.astype(np.int64), pa.int64()),
        }
    )


@kernel
def _index(people: Ints) -> tuple[Ints, Ints]:
    """An open-addressing hash table: person key → position in ``people``."""
    size = 1
    while size < 2 * len(people) + 2:
        size *= 2
    slots = np.full(size, -1, dtype=np.int64)
    keys = np.zeros(size, dtype=np.int64)
    for i in range(len(people)):
        h = (people[i] * np.int64(-7046029254386353131)) & (size - 1)
        while slots[h] >= 0:
            h = (h + 1) & (size - 1)
        slots[h], keys[h] = i, people[i]
    return keys, slots


@kernel
def _lookup(keys: Ints, slots: Ints, wanted: Ints) -> Ints:
    """Positions of ``wanted`` keys, -1 for a key not in the table."""
    out = np.empty(len(wanted), dtype=np.int64)
    mask = len(slots) - 1
    for i in range(len(wanted)):
        h = (wanted[i] * np.int64(-7046029254386353131)) & mask
        while slots[h] >= 0 and keys[h] != wanted[i]:
            h = (h + 1) & mask
        out[i] = slots[h]
    return out


def _aggregate(
    codes: Ints, n: np.int64, *, weighted: bool = False
) -> tuple[Ints, NDArray[np.int32]]:
    """Sorted distinct pair codes and how often each occurs: a counting sort on the
    lower person, then each person's short list sorted and counted (two threads) —
    linear, unlike a sort of the whole list. ``weighted``: each entry is
    ``code << 16 | count`` and the counts are summed."""
    shift = 16 if weighted else 0
    out, first = _by_lower(codes, n, shift)
    del codes  # the caller's temporary: freed before counting
    times = np.empty(len(out), dtype=np.int32)
    ends = split_map(
        lambda part: (
            part,
            _count_runs(out, times, first, part.start, part.stop, shift),
        ),
        int(n),
        min_chunk=1_000,
    )
    keep = [slice(int(first[p.start]), int(u)) for p, u in ends]
    return np.concatenate([out[k] for k in keep]), np.concatenate(
        [times[k] for k in keep]
    )


@kernel
def _by_lower(codes: Ints, n: np.int64, shift: int) -> tuple[Ints, Ints]:
    """Codes grouped by lower person (a counting sort); where each group starts."""
    first = np.zeros(n + 1, dtype=np.int64)
    for c in codes:
        first[(c >> shift) // n + 1] += 1
    for k in range(n):
        first[k + 1] += first[k]
    at = first[:-1].copy()
    out = np.empty(len(codes), dtype=np.int64)
    for c in codes:
        k = (c >> shift) // n
        out[at[k]] = c
        at[k] += 1
    return out, first


@kernel
def _count_runs(
    out: Ints, times: NDArray[np.int32], first: Ints, k0: int, k1: int, shift: int
) -> int:
    """Sort and count the groups of persons k0..k1 in place, compacted from the
    start of group k0; returns where the compacted part ends."""
    u = first[k0]
    low = (1 << shift) - 1
    for k in range(k0, k1):
        lo, hi = first[k], first[k + 1]
        if hi == lo:
            continue
        out[lo:hi].sort()
        prev = -1
        for i in range(lo, hi):
            code = out[i] >> shift
            add = out[i] & low if shift else 1
            if code == prev:
                times[u - 1] += add
            else:
                prev = code
                out[u] = code
                times[u] = add
                u += 1
    return int(u)


@kernel
def _merge(
    a: Ints, na: NDArray[np.int32], b: Ints, nb: NDArray[np.int32]
) -> tuple[Ints, NDArray[np.int32]]:
    """Two sorted (code, count) lists as one, counts of equal codes summed."""
    out = np.empty(len(a) + len(b), dtype=np.int64)
    times = np.empty(len(a) + len(b), dtype=np.int32)
    i = j = u = 0
    while i < len(a) or j < len(b):
        if j == len(b) or (i < len(a) and a[i] < b[j]):
            out[u], times[u] = a[i], na[i]
            i += 1
        elif i == len(a) or b[j] < a[i]:
            out[u], times[u] = b[j], nb[j]
            j += 1
        else:
            out[u], times[u] = a[i], na[i] + nb[j]
            i += 1
            j += 1
        u += 1
    return out[:u].copy(), times[:u].copy()


@kernel
def _neighbour_runs_of(  # pragma: no cover - compiled
    run_key: Ints, offsets: Ints, out: Ints, lo: int, hi: int
) -> None:
    """Rows ``lo``..``hi`` of :func:`_neighbour_runs`: one forward pointer per
    offset, all advanced together (keys are sorted and offsets not negative)."""
    at = np.empty(len(offsets), dtype=np.int64)
    for k in range(len(offsets)):
        at[k] = np.searchsorted(run_key, run_key[lo] + offsets[k]) if lo < hi else 0
    for r in range(lo, hi):
        for k in range(len(offsets)):
            want = run_key[r] + offsets[k]
            j = at[k]
            while j < len(run_key) and run_key[j] < want:
                j += 1
            at[k] = j
            out[r, k] = j if j < len(run_key) and run_key[j] == want else -1


def _neighbour_runs(run_key: Ints, offsets: Ints) -> Ints:
    """For each run (one bin, one cell) and offset, the run of the cell at that
    offset in the same bin, or -1 (two threads, each over its share of the runs)."""
    out = np.empty((len(run_key), len(offsets)), dtype=np.int64)
    split_map(
        lambda part: _neighbour_runs_of(run_key, offsets, out, part.start, part.stop),
        len(run_key),
        min_chunk=100_000,
    )
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
    """The day's contact graph on this machine, in memory: (pa, pb, bins), sorted.
    For a city, :func:`write_contact_graph` streams it to a file instead."""
    parts = list(_graph_parts(store, day, distance_m=distance_m, min_bins=min_bins))
    return pa.concat_tables([_pairs_table(*EMPTY), *parts])


def write_contact_graph(
    store: MovementStore,
    day: date,
    path: Path,
    *,
    distance_m: float = 20,
    min_bins: int = 3,
) -> int:
    """Write the day's contact graph to a Parquet file, a range of persons at a time
    (memory: the day's distinct pairs once, not the graph twice); returns the pairs.
    The file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    written = 0
    with pq.ParquetWriter(partial, GRAPH_SCHEMA, compression="zstd") as writer:
        for part in _graph_parts(store, day, distance_m=distance_m, min_bins=min_bins):
            writer.write_table(part)
            written += part.num_rows
    partial.replace(path)
    return written


EMPTY = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))
GRAPH_SCHEMA = pa.schema([("pa", pa.int64()), ("pb", pa.int64()), ("bins", pa.int64())])


def _graph_parts(
    store: MovementStore,
    day: date,
    *,
    distance_m: float,
    min_bins: int,
    buckets: int = 32,
) -> Iterator[pa.Table]:
    """The graph in ``buckets`` sorted parts (ranges of the lower person).

    Half-hour by half-hour, the next read while this one is joined; each one's pair
    counts are appended to a spill file per range of lower persons (under the
    system's temporary directory), and each range is then reduced on its own — so
    memory holds one hour and one range, not the day's distinct pairs, and no pair
    count is rewritten once per hour.
    """
    _check_distance(distance_m)
    files = day_files(store, day)
    if not files:
        return
    con = _connect()
    people = np.sort(
        con.sql(
            "SELECT DISTINCT person_key FROM read_parquet(?) WHERE source = 'gps'",
            params=[files],
        )
        .to_arrow_table()["person_key"]
        .to_numpy()
    )
    n = len(people)
    lows = np.linspace(0, n, buckets + 1).astype(np.int64)
    index = _index(people)
    # half-hours: a city's busiest hour of pairs, counted on two threads at once,
    # would hold ~6 GB here (1 M people); half of it keeps the run under 8 GiB
    hours = [b for h in first_bins(day) for b in (h, h + BINS_PER_HOUR // 2)]
    chunk = BINS_PER_HOUR // 2
    with tempfile.TemporaryDirectory(prefix="outbreak-q3-") as spill:
        parts = [Path(spill) / f"range-{k}" for k in range(buckets)]
        with ThreadPoolExecutor(max_workers=1) as reader:  # the next hour meanwhile
            ahead = reader.submit(_read_hour, files, hours[0], con, chunk)
            for h, first in enumerate(hours):
                hour = ahead.result()
                if h + 1 < len(hours):
                    ahead = reader.submit(_read_hour, files, hours[h + 1], con, chunk)
                counted = _hour_counts(hour, first, people, distance_m, index)
                del hour
                while counted:
                    codes, counts = counted.pop()
                    cut = np.searchsorted(codes, lows * n)
                    codes <<= 16  # code and bins in one int64, in place
                    codes |= counts
                    del counts
                    for k in range(buckets):
                        if cut[k] < cut[k + 1]:
                            with parts[k].open("ab") as f:
                                codes[cut[k] : cut[k + 1]].tofile(f)
                    del codes
        con.close()

        def reduce(k: int) -> pa.Table | None:
            if not parts[k].exists():
                return None
            packed = np.fromfile(parts[k], dtype=np.int64)
            parts[k].unlink()
            codes, counts = _aggregate(packed, np.int64(n), weighted=True)
            del packed
            keep = counts >= min_bins
            return _pairs_table(people, codes[keep], counts[keep])

        # two ranges at a time: one's reading, scattering and writing (single-
        # threaded) overlaps the other's counting; at most two ranges in memory
        with ThreadPoolExecutor(max_workers=2) as pool:
            queue = deque(pool.submit(reduce, k) for k in range(min(2, buckets)))
            for k in range(2, buckets + 2):
                done = queue.popleft().result()
                if k < buckets:
                    queue.append(pool.submit(reduce, k))
                if done is not None:
                    yield done


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
