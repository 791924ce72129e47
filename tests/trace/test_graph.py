"""Q3, the day's contact graph: the grid join against brute force, and Dask equal to
one process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from outbreak.errors import InvalidInput
from outbreak.trace.engine import MovementReader
from outbreak.trace.graph import (
    _neighbour_runs,
    contact_graph,
    contact_graph_dask,
    hour_pairs,
    write_contact_graph,
)
from tests.trace.conftest import DAY, City


def _brute_force(city: City) -> dict[tuple[int, int], int]:
    reader = MovementReader(city.store)
    t = reader.con.sql(
        f"SELECT person_key, bin, x_dm, y_dm FROM {reader.rel('pings')} "  # noqa: S608
        "WHERE source = 'gps' AND date = ?",
        params=[DAY],
    ).to_arrow_table()
    person, b, x, y = (t[c].to_numpy().astype(np.int64) for c in t.column_names)
    shared: Counter[tuple[int, int]] = Counter()
    for one in np.unique(b):
        k = np.flatnonzero(b == one)
        d2 = (x[k, None] - x[None, k]) ** 2 + (y[k, None] - y[None, k]) ** 2
        i, j = np.nonzero(np.triu(d2 <= 200**2, 1))
        for a, c in zip(person[k][i], person[k][j], strict=True):
            if a != c:
                shared[(min(a, c), max(a, c))] += 1
    return {p: n for p, n in shared.items() if n >= 3}


def test_grid_join_equals_brute_force(city: City) -> None:
    graph = contact_graph(city.store, DAY)
    got = dict(
        zip(
            zip(graph["pa"].to_pylist(), graph["pb"].to_pylist(), strict=True),
            graph["bins"].to_pylist(),
            strict=True,
        )
    )
    expected = _brute_force(city)
    assert len(expected) > 100
    assert got == expected


def test_dask_gives_the_same_graph(city: City) -> None:
    single = contact_graph(city.store, DAY)
    spread = contact_graph_dask(city.store, DAY)
    assert spread.equals(single)


def test_the_grid_bounds_the_distance(city: City) -> None:
    with pytest.raises(InvalidInput):
        hour_pairs([], 0, distance_m=25)


def test_the_graph_streams_to_a_file(city: City, tmp_path: Path) -> None:
    out = tmp_path / "graph" / "pairs.parquet"
    written = write_contact_graph(city.store, DAY, out)
    on_disk = pq.read_table(out)
    assert written == on_disk.num_rows > 100
    assert on_disk.equals(contact_graph(city.store, DAY))
    assert [p.name for p in out.parent.iterdir()] == ["pairs.parquet"]


def test_neighbour_runs_split_over_threads_match_a_search() -> None:
    """Each run's neighbour at every offset, found by pointers walked forward from
    each thread's first run, equals a binary search — across thread boundaries."""
    rng = np.random.default_rng(5)
    keys = np.unique(rng.integers(0, 3_000_000, 400_000, dtype=np.int64))
    offsets = np.array([0, 1, 7, 40, 41], dtype=np.int64)  # as a cell's neighbours
    got = _neighbour_runs(keys, offsets)
    want = np.searchsorted(keys, keys[:, None] + offsets[None, :])
    found = (want < len(keys)) & (
        keys[np.minimum(want, len(keys) - 1)] == keys[:, None] + offsets[None, :]
    )
    assert np.array_equal(got, np.where(found, want, -1))
    assert found[:, 1:].any() and not found[:, 1:].all()
