"""Stay-point detection: where a person stayed, from their time-ordered pings.

A stay is a run of pings that keep within ``radius_m`` of the run's running centroid
for at least ``dwell_min`` minutes, with no gap longer than ``max_gap_min`` (the
kernels are :mod:`outbreak.staypoints`). One stray fix inside a stay (a GPS glitch)
does not split it, and consecutive stays at the same spot are merged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.staypoints import HALF_BIN_S, StayRule, run_centre, stay_runs

Ints = NDArray[np.int64]
__all__ = ["HALF_BIN_S", "StayRule", "Stays", "detect_stays"]


@dataclass(frozen=True)
class Stays:
    """Stays as columns: times in Unix seconds, centroid in EPSG:5179 decimetres."""

    t_start: Ints
    t_end: Ints
    x_dm: Ints
    y_dm: Ints
    n: Ints  # pings in the stay
    spread_m: NDArray[np.float64]  # RMS distance of the pings from the centroid

    def __len__(self) -> int:
        return len(self.t_start)


def detect_stays(
    t: Ints, x_dm: Ints, y_dm: Ints, rule: StayRule | None = None
) -> Stays:
    """The stays in one person's pings, which must be sorted by time."""
    rule = rule or StayRule()
    t, x, y = (np.ascontiguousarray(a, dtype=np.int64) for a in (t, x_dm, y_dm))
    if len(t) > 1 and (np.diff(t) < 0).any():
        raise InvalidInput("pings must be sorted by time", field="t")
    runs = stay_runs(t, x, y, *rule.kernel_args)
    rows = []
    for first, last, _ in runs:
        cx, cy, n, spread = run_centre(
            x[first : last + 1], y[first : last + 1], rule.radius_m * 10
        )
        rows.append(
            [
                t[first] - HALF_BIN_S,
                t[last] + HALF_BIN_S,
                round(cx),
                round(cy),
                n,
                spread / 10,
            ]
        )
    rows = _merge_adjacent(rows, rule)
    a = np.array(rows, dtype=np.float64).reshape(-1, 6)
    i = a[:, :5].astype(np.int64)
    return Stays(i[:, 0], i[:, 1], i[:, 2], i[:, 3], i[:, 4], a[:, 5])


def _merge_adjacent(rows: list[list[float]], rule: StayRule) -> list[list[float]]:
    """Join consecutive stays at one spot split by a gap or a burst of bad fixes."""
    out: list[list[float]] = []
    for row in rows:
        if out:
            prev = out[-1]
            near = math.hypot(row[2] - prev[2], row[3] - prev[3]) <= rule.radius_m * 10
            if near and row[0] - prev[1] <= rule.max_gap_min * 60:
                w = prev[4] + row[4]
                prev[2] = round((prev[2] * prev[4] + row[2] * row[4]) / w)
                prev[3] = round((prev[3] * prev[4] + row[3] * row[4]) / w)
                prev[1], prev[4], prev[5] = row[1], w, max(prev[5], row[5])
                continue
        out.append(list(row))
    return out
