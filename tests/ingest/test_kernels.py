"""The compiled ingest kernels against plain references: projection, order, checks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from outbreak.geo.tm import to_5179, to_5179_dm
from outbreak.ingest import ADAPTERS, Reason, layout
from outbreak.ingest.checks import ping_checks
from outbreak.ingest.schema import BIN_S, GKEY_STRIDE, GRID_DM
from tests.ingest.test_adapters import PHONE, REF, T0, P, gps


def test_projection_matches_proj_over_korea_to_a_millimetre() -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(124.5, 132, 20_000), rng.uniform(33, 38.7, 20_000)
    x, y = to_5179(lon, lat)
    px, py = Transformer.from_crs(4326, 5179, always_xy=True).transform(lon, lat)
    assert np.abs(x - px).max() < 1e-3
    assert np.abs(y - py).max() < 1e-3
    xd, yd = to_5179_dm(lon, lat)
    assert xd.dtype == np.int64
    assert np.abs(xd - px * 10).max() <= 0.5 + 1e-6  # rounded, not truncated
    assert np.abs(yd - py * 10).max() <= 0.5 + 1e-6


def test_projection_splits_large_inputs_over_threads_identically() -> None:
    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(126, 128, 1_200_000), rng.uniform(36, 38, 1_200_000)
    x, y = to_5179_dm(lon, lat)
    xs, ys = to_5179_dm(lon[:1000], lat[:1000])
    assert (x[:1000] == xs).all() and (y[:1000] == ys).all()


def _reference_order(t, x, y):  # type: ignore[no-untyped-def]
    code = layout.partition_code(t, x, y)
    bin_of_day = (t + layout.KST_OFFSET_S) % 86_400 // BIN_S
    gkey = (x // GRID_DM) * GKEY_STRIDE + y // GRID_DM
    return np.lexsort((np.arange(len(t)), gkey, bin_of_day, code)), code


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3 * 86_400),
            st.integers(9_000_000, 9_050_000),
            st.integers(19_400_000, 19_450_000),
        ),
        max_size=200,
    ),
    st.booleans(),
)
def test_ping_order_is_a_stable_sort_by_partition_bin_and_cell(
    rows: list[tuple[int, int, int]], force_fallback: bool
) -> None:
    t = np.array([T0 + r[0] for r in rows], dtype=np.int64)
    x = np.array([r[1] for r in rows], dtype=np.int64)
    y = np.array([r[2] for r in rows], dtype=np.int64)
    with pytest.MonkeyPatch.context() as mp:
        if force_fallback:
            mp.setattr(layout, "MAX_SLOTS", 0)
        order, codes, starts = layout.ping_order(t, x, y)
    if not rows:
        assert len(order) == len(codes) == 0
        return
    ref, code = _reference_order(t, x, y)
    # stable: rows tying on (partition, bin, cell) keep their input order
    assert order.tolist() == ref.tolist()
    assert codes.tolist() == sorted(set(code.tolist()))
    assert (code[order][starts] == codes).all()


def test_checks_do_not_depend_on_the_input_order() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    codes = rng.integers(0, 40, n)
    t = T0 + rng.integers(0, 86_400, n)
    t[::50] = t[1::50][: len(t[::50])]  # some exact duplicates
    acc = rng.integers(5, 50, n)
    x = 9_500_000 + rng.integers(0, 5000, n)
    y = 19_500_000 + rng.integers(0, 5000, n)
    x[::97] += 500_000  # 50 km glitches: spikes
    ok = np.ones(n, dtype=bool)
    ok[::13] = False  # already rejected rows are left alone
    grouped = np.lexsort((t, codes))
    a = ping_checks(ok, codes, t, acc, (x, y))
    b = ping_checks(ok[grouped], codes[grouped], t[grouped], acc[grouped],
                    (x[grouped], y[grouped]))  # fmt: skip
    assert (a[grouped] == b).all()
    assert set(np.unique(a).tolist()) == {0, 1, 2, 3}
    assert (a[~ok] == 0).all()


def test_one_identifier_twice_in_a_dictionary_is_one_person() -> None:
    """Parquet dictionaries may repeat a value; duplicates must still be found."""
    values = pa.array([PHONE, PHONE])  # two dictionary entries, one phone
    raw = pa.Table.from_pylist([gps(T0 + 10), gps(T0 + 10)])
    raw = raw.set_column(
        0, "device_id", pa.DictionaryArray.from_arrays(pa.array([0, 1]), values)
    )
    out = ADAPTERS["gps"](raw, P, REF)
    assert out.accepted.num_rows == 1
    assert out.rejects["reason"].to_pylist() == [Reason.DUPLICATE.value]
