"""Stay-point kernels, shared by one person's route and everyone's day.

A stay is a run of fixes that keep within a radius of the run's running centroid for
at least a dwell time, with no gap longer than a maximum (the centroid variant of Li
et al., "Mining user similarity based on location history", ACM GIS 2008,
doi:10.1145/1463434.1463477). :mod:`outbreak.trace.stays` detects one person's stays
for their route; :mod:`outbreak.ingest.tracks` detects everyone's, once a day, as the
index that finds who dwelt near a case without reading every fix of the city.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.jit import kernel

Ints = NDArray[np.int64]
HALF_BIN_S = 150  # a ping stands for its 5-minute bin: stays extend half a bin


@dataclass(frozen=True)
class StayRule:
    """How long and how still counts as a stay.

    ``StayRule()`` (GPS: 10 min within 50 m), ``StayRule(radius_m=600)`` (base
    stations, whose fixes are hundreds of metres apart), any positive values.
    """

    dwell_min: float = 10
    radius_m: float = 50
    max_gap_min: float = 30

    def __post_init__(self) -> None:
        for name in ("dwell_min", "radius_m", "max_gap_min"):
            if not getattr(self, name) > 0:
                raise InvalidInput(
                    f"{name} must be positive, got {getattr(self, name)}", field=name
                )

    @property
    def kernel_args(self) -> tuple[float, int, int]:
        """(radius in decimetres, dwell and gap in seconds), as the kernels take
        them after the fixes."""
        return self.radius_m * 10, int(self.dwell_min * 60), int(self.max_gap_min * 60)


@kernel
def stay_runs(  # pragma: no cover - compiled; tested through its callers
    t: Ints, x: Ints, y: Ints, radius_dm: float, dwell_s: int, gap_s: int
) -> Ints:
    """(first, last, skipped) ping index of each stay; ``skipped`` = stray fixes.

    One stray fix inside a stay (a GPS glitch) does not split it.
    """
    n = len(t)
    out = np.empty((n, 3), dtype=np.int64)
    k, i = 0, 0
    while i < n:
        cx, cy, m = float(x[i]), float(y[i]), 1.0
        last, j, stray = i, i + 1, 0
        while j < n and t[j] - t[last] <= gap_s:
            if math.hypot(x[j] - cx, y[j] - cy) <= radius_dm:
                m += 1
                cx += (x[j] - cx) / m
                cy += (y[j] - cy) / m
                last = j
            elif (  # one stray fix, the next back inside: a glitch, not a move
                j + 1 < n
                and t[j + 1] - t[last] <= gap_s
                and math.hypot(x[j + 1] - cx, y[j + 1] - cy) <= radius_dm
            ):
                stray += 1
            else:
                break
            j += 1
        if t[last] - t[i] >= dwell_s:
            out[k, 0], out[k, 1], out[k, 2] = i, last, stray
            k += 1
            i = last + 1
        else:
            i += 1
    return out[:k]


@kernel
def run_centre(  # pragma: no cover - compiled; tested through its callers
    x: Ints, y: Ints, radius_dm: float
) -> tuple[float, float, int, float]:
    """A run's centre: the mean of its fixes within ``radius_dm`` of their median
    (so a stray fix does not pull it), how many those are, and their RMS spread."""
    mx, my = np.median(x), np.median(y)
    sx = sy = 0.0
    n = 0
    for i in range(len(x)):
        if math.hypot(x[i] - mx, y[i] - my) <= radius_dm:
            sx += x[i]
            sy += y[i]
            n += 1
    cx, cy = sx / n, sy / n
    sq = 0.0
    for i in range(len(x)):
        if math.hypot(x[i] - mx, y[i] - my) <= radius_dm:
            sq += (x[i] - cx) ** 2 + (y[i] - cy) ** 2
    return cx, cy, n, math.sqrt(sq / n)


@kernel
def everyone_stays(  # pragma: no cover - compiled; tested against detect_stays
    person: Ints, t: Ints, x: Ints, y: Ints, radius_dm: float, dwell_s: int, gap_s: int
) -> tuple[Ints, Ints, Ints, Ints, Ints, Ints]:
    """Every person's stays from fixes sorted by (person, time): person, start, end,
    centre x, centre y, fixes — as one person's stays are found, without merging
    adjacent ones (whoever reads them adds their overlaps up)."""
    n = len(t)
    op, o0, o1 = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    ox, oy, on = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    k, a = 0, 0
    while a < n:
        e = a + 1
        while e < n and person[e] == person[a]:
            e += 1
        runs = stay_runs(t[a:e], x[a:e], y[a:e], radius_dm, dwell_s, gap_s)
        for r in range(len(runs)):
            first, last = a + runs[r, 0], a + runs[r, 1]
            cx, cy, m, _ = run_centre(
                x[first : last + 1], y[first : last + 1], radius_dm
            )
            op[k], o0[k], o1[k] = person[a], t[first] - HALF_BIN_S, t[last] + HALF_BIN_S
            ox[k], oy[k], on[k] = round(cx), round(cy), m
            k += 1
        a = e
    # copies: views would keep the whole input-sized buffers alive
    return (op[:k].copy(), o0[:k].copy(), o1[:k].copy(), ox[:k].copy(), oy[:k].copy(),
            on[:k].copy())  # fmt: skip
