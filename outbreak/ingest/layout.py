"""Where each ping goes: its partition (day, 2 km tile) and its place in the file.

Within a partition rows are ordered by 5-minute bin, so that a query for a time
window reads few row groups, then by 20 m cell (``gkey``), so that the rows of one cell
and bin are one binary search away (the join of ``notes/tracing.md`` §4). Both keys are
small integers, so the order is two stable counting sorts — linear — rather than a
comparison sort of the whole batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from outbreak.ingest.schema import BIN_S, GKEY_STRIDE, GRID_DM, TILE_DM
from outbreak.jit import kernel

Ints = NDArray[np.int64]
KST_OFFSET_S = 9 * 3600
BINS_PER_DAY = 86_400 // BIN_S
CELLS_PER_TILE = (TILE_DM // GRID_DM) ** 2
MAX_SLOTS = 1 << 26  # counting-sort slots (512 MiB of counters) before falling back


@kernel
def _counting_order(slot: Ints, slots: int) -> Ints:  # pragma: no cover - compiled
    start = np.zeros(slots + 1, dtype=np.int64)
    for s in slot:
        start[s + 1] += 1
    for k in range(slots):
        start[k + 1] += start[k]
    order = np.empty(len(slot), dtype=np.int64)
    for i in range(len(slot)):
        order[start[slot[i]]] = i
        start[slot[i]] += 1
    return order


def day_of(t: Ints) -> Ints:
    """Days since 1970-01-01 in Korean time (the partition date)."""
    return (t + KST_OFFSET_S) // 86_400


@kernel
def _extent(t: Ints, x: Ints, y: Ints) -> Ints:  # pragma: no cover - compiled
    """Lowest and highest (day, tile x, tile y) over the rows."""
    lo = np.full(3, 1 << 62, dtype=np.int64)
    hi = np.full(3, -(1 << 62), dtype=np.int64)
    for i in range(len(t)):
        v = ((t[i] + KST_OFFSET_S) // 86_400, x[i] // TILE_DM, y[i] // TILE_DM)
        for k in range(3):
            lo[k] = min(lo[k], v[k])
            hi[k] = max(hi[k], v[k])
    return np.concatenate((lo, hi))


@kernel
def _slots(t: Ints, x: Ints, y: Ints, lo: Ints, span: Ints) -> Ints:  # pragma: no cover
    out = np.empty(len(t), dtype=np.int64)
    for i in range(len(t)):
        s = t[i] + KST_OFFSET_S
        day, bin_of_day = s // 86_400 - lo[0], s % 86_400 // BIN_S
        tx, ty = x[i] // TILE_DM - lo[1], y[i] // TILE_DM - lo[2]
        out[i] = ((day * span[1] + tx) * span[2] + ty) * BINS_PER_DAY + bin_of_day
    return out


@kernel
def _cell_in_tile(x: Ints, y: Ints) -> Ints:  # pragma: no cover - compiled
    out = np.empty(len(x), dtype=np.int64)
    side = TILE_DM // GRID_DM
    for i in range(len(x)):
        out[i] = (x[i] % TILE_DM // GRID_DM) * side + y[i] % TILE_DM // GRID_DM
    return out


def partition_code(t: Ints, x_dm: Ints, y_dm: Ints) -> Ints:
    """One integer per (day, tile): ``day * 1e8 + tx * 1e4 + ty``."""
    return (day_of(t) * 10_000 + x_dm // TILE_DM) * 10_000 + y_dm // TILE_DM


def ping_order(t: Ints, x_dm: Ints, y_dm: Ints) -> tuple[Ints, Ints, Ints]:
    """The rows' order, and each partition's code and first position in it.

    Sorted by (partition, bin, gkey), stable: inside a bin, by 20 m cell (as ``gkey``
    orders cells within a tile), so a cell's rows are a binary search away.
    """
    if not len(t):
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    ext = _extent(t, x_dm, y_dm)
    lo, span = ext[:3], ext[3:] - ext[:3] + 1
    if int(np.prod(span)) * BINS_PER_DAY <= MAX_SLOTS:
        # least significant key first: the 20 m cell in the tile, then (partition,
        # bin); each pass is a stable counting sort, so ties keep the input order
        cells = _counting_order(_cell_in_tile(x_dm, y_dm), CELLS_PER_TILE)
        slot = _slots(t, x_dm, y_dm, lo, span)[cells]
        by_slot = _counting_order(slot, int(np.prod(span)) * BINS_PER_DAY)
        order = cells[by_slot]
        part = slot[by_slot] // BINS_PER_DAY
        starts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
        cell = part[starts]
        ty, rest = cell % span[2] + lo[2], cell // span[2]
        tx, day = rest % span[1] + lo[1], rest // span[1] + lo[0]
        return order, (day * 10_000 + tx) * 10_000 + ty, starts
    # a batch spanning a huge area and many days: sort instead
    code = partition_code(t, x_dm, y_dm)
    gkey = (x_dm // GRID_DM) * GKEY_STRIDE + y_dm // GRID_DM
    bin_of_day = (t + KST_OFFSET_S) % 86_400 // BIN_S
    order = np.lexsort((gkey, bin_of_day, code)).astype(np.int64)
    sorted_code = code[order]
    starts = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
    return order, sorted_code[starts], starts


@kernel
def _ping_columns(  # pragma: no cover - compiled
    keep: NDArray[np.bool_],
    person: Ints,
    t: Ints,
    x: Ints,
    y: Ints,
    acc: Ints,
) -> tuple[Ints, NDArray[np.int32], NDArray[np.int32], NDArray[np.int32],
           NDArray[np.int16], NDArray[np.int32], Ints]:  # fmt: skip
    n = int(keep.sum())
    pk, tt = np.empty(n, np.int64), np.empty(n, np.int32)
    xx, yy = np.empty(n, np.int32), np.empty(n, np.int32)
    aa, bb, gk = np.empty(n, np.int16), np.empty(n, np.int32), np.empty(n, np.int64)
    j = 0
    for i in range(len(keep)):
        if keep[i]:
            pk[j], tt[j], xx[j], yy[j], aa[j] = person[i], t[i], x[i], y[i], acc[i]
            bb[j] = t[i] // BIN_S
            gk[j] = (x[i] // GRID_DM) * GKEY_STRIDE + y[i] // GRID_DM
            j += 1
    return pk, tt, xx, yy, aa, bb, gk


def ping_columns(
    keep: NDArray[np.bool_], person: Ints, t: Ints, x: Ints, y: Ints, acc: Ints
) -> dict[str, NDArray[Any]]:
    """The stored columns of the ``keep`` rows, in the types of ``schema.PINGS``.

    ``person`` holds each row's key64; ``bin`` and ``gkey`` are derived here.
    """
    names = ("person_key", "t", "x_dm", "y_dm", "accuracy_m", "bin", "gkey")
    return dict(zip(names, _ping_columns(keep, person, t, x, y, acc), strict=True))


@kernel
def _presence(  # pragma: no cover - compiled
    person: Ints, t: Ints, x: Ints, y: Ints
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """(person, partition code, first bin, last bin, pings) per run of a person.

    Rows come person by person (as feeds do); within a person's run a few partitions
    recur, so a short list is searched. Unordered input only repeats entries.
    """
    n = len(t)
    op, oc = np.empty(n, np.int64), np.empty(n, np.int64)
    lo, hi, cnt = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    k, run_start, i = 0, 0, 0
    while i <= n:
        if i == n or (i > 0 and person[i] != person[i - 1]):
            run_start = k
            if i == n:
                break
        s = t[i] + KST_OFFSET_S
        code = ((s // 86_400) * 10_000 + x[i] // TILE_DM) * 10_000 + y[i] // TILE_DM
        b = t[i] // BIN_S
        j = run_start
        while j < k and oc[j] != code:
            j += 1
        if j == k:
            op[k], oc[k], lo[k], hi[k], cnt[k] = person[i], code, b, b, 0
            k += 1
        lo[j], hi[j], cnt[j] = min(lo[j], b), max(hi[j], b), cnt[j] + 1
        i += 1
    return op[:k], oc[:k], lo[:k], hi[:k], cnt[:k]


def presence(person: Ints, t: Ints, x_dm: Ints, y_dm: Ints) -> dict[str, Ints]:
    """Where each person's pings are: one row per (person, day, tile), bin range.

    The index that lets a route query open only the person's tiles, and in them only
    the row groups of their bins, instead of scanning the day.
    """
    p, code, lo, hi, n = _presence(person, t, x_dm, y_dm)
    order = np.lexsort((code, p))
    return {"person_key": p[order], "code": code[order], "bin_min": lo[order],
            "bin_max": hi[order], "n": n[order]}  # fmt: skip
