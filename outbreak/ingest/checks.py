"""Per-person ping checks, compiled: duplicates, one fix per 5-minute bin, spikes.

All three walk the pings of each person in time order, so they are one pass over a
(person, time) ordering — feeds usually arrive in that order already, and then no
sort happens at all. Rows get a code: 0 kept, or one of ``CHECKS``' reasons.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from outbreak.ingest.schema import BIN_S, Reason
from outbreak.jit import kernel

Ints = NDArray[np.int64]
CHECKS = (Reason.DUPLICATE, Reason.SAME_BIN, Reason.IMPOSSIBLE_SPEED)  # codes 1, 2, 3
MAX_SPEED_MS = 250 / 3.6
SPIKE_MIN_M = 1000.0  # a jump shorter than this is GPS noise, never a spike


@kernel
def _grouped(codes: Ints, t: Ints, idx: Ints) -> bool:  # pragma: no cover - compiled
    """Whether rows ``idx`` come person by person, each in time order."""
    seen = np.zeros(codes.max() + 2 if len(codes) else 1, dtype=np.bool_)
    for k in range(1, len(idx)):
        a, b = idx[k - 1], idx[k]
        if codes[b] != codes[a]:
            seen[codes[a]] = True
            if seen[codes[b]]:
                return False
        elif t[b] < t[a]:
            return False
    return True


@kernel
def _bins(  # pragma: no cover - compiled
    order: Ints, codes: Ints, t: Ints, acc: Ints, out: NDArray[np.int8]
) -> None:
    """Exact duplicates (code 1), then the earliest most accurate fix per bin (2)."""
    m, i = len(order), 0
    while i < m:
        c, b = codes[order[i]], t[order[i]] // BIN_S
        j = i + 1
        while j < m and codes[order[j]] == c and t[order[j]] // BIN_S == b:
            j += 1
        best = 1 << 62
        for k in range(i, j):
            if k > i and t[order[k]] == t[order[k - 1]]:
                out[order[k]] = 1
            elif acc[order[k]] < best:
                best = acc[order[k]]
        kept = False
        for k in range(i, j):
            if out[order[k]] == 0:
                if acc[order[k]] == best and not kept:
                    kept = True
                else:
                    out[order[k]] = 2
        i = j


@kernel
def _spikes(  # pragma: no cover - compiled
    order: Ints, codes: Ints, t: Ints, x: Ints, y: Ints, out: NDArray[np.int8]
) -> None:
    """A fix impossible to reach *and* to leave (> 250 km/h, > 1 km) is a spike (3).

    A person's first or last fix has one neighbour: it is a spike when that step is
    out of reach while the step beyond it is not.
    """
    s = np.empty(len(order), dtype=np.int64)
    n = 0
    for k in range(len(order)):
        if out[order[k]] == 0:
            s[n] = order[k]
            n += 1
    jump = np.zeros(max(n - 1, 0), dtype=np.bool_)
    same = np.zeros(max(n - 1, 0), dtype=np.bool_)
    for k in range(n - 1):
        a, b = s[k], s[k + 1]
        same[k] = codes[a] == codes[b]
        dist_m = math.hypot(x[b] - x[a], y[b] - y[a]) / 10
        speed = dist_m / max(t[b] - t[a], 1)
        jump[k] = same[k] and speed > MAX_SPEED_MS and dist_m > SPIKE_MIN_M
    for i in range(n):
        into = i >= 1 and jump[i - 1]
        leave = i <= n - 2 and jump[i]
        first = i == 0 or not same[i - 1]
        last = i == n - 1 or not same[i]
        calm_after = i + 1 > n - 2 or not jump[i + 1]
        calm_before = i < 2 or not jump[i - 2]
        if (
            (into and leave)
            or (first and leave and calm_after)
            or (last and into and calm_before)
        ):
            out[s[i]] = 3


def ping_checks(
    ok: NDArray[np.bool_],
    codes: Ints,
    t: Ints,
    acc: Ints,
    xy: tuple[Ints, Ints] | None = None,
) -> NDArray[np.int8]:
    """Check the ``ok`` rows; returns 0 (kept) or 1 + index into ``CHECKS`` per row.

    ``codes`` identify persons (equal code, same person); ``xy`` (decimetres), when
    given, adds the spike check.
    """
    idx = np.flatnonzero(ok).astype(np.int64)
    if not _grouped(codes, t, idx):
        idx = idx[np.lexsort((t[idx], codes[idx]))]
    out = np.zeros(len(ok), dtype=np.int8)
    _bins(idx, codes, t, acc, out)
    if xy is not None:
        _spikes(idx, codes, t, xy[0], xy[1], out)
    return out
