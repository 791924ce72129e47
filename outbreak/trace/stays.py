"""Stay-point detection: where a person stayed, from their time-ordered pings.

A stay is a run of pings that keep within ``radius_m`` of the run's running centroid
for at least ``dwell_min`` minutes, with no gap longer than ``max_gap_min`` (the
centroid variant of Li et al., "Mining user similarity based on location history",
ACM GIS 2008, doi:10.1145/1463434.1463477). One stray fix inside a stay (a GPS
glitch) does not split it, and consecutive stays at the same spot are merged.
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


@kernel
def _detect(  # pragma: no cover - compiled; tested through detect_stays
    t: Ints, x: Ints, y: Ints, radius_dm: float, dwell_s: int, gap_s: int
) -> Ints:
    """(first, last, skipped) ping index of each stay; ``skipped`` = stray fixes."""
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


def detect_stays(
    t: Ints, x_dm: Ints, y_dm: Ints, rule: StayRule | None = None
) -> Stays:
    """The stays in one person's pings, which must be sorted by time."""
    rule = rule or StayRule()
    t, x, y = (np.ascontiguousarray(a, dtype=np.int64) for a in (t, x_dm, y_dm))
    if len(t) > 1 and (np.diff(t) < 0).any():
        raise InvalidInput("pings must be sorted by time", field="t")
    runs = _detect(
        t,
        x,
        y,
        rule.radius_m * 10,
        int(rule.dwell_min * 60),
        int(rule.max_gap_min * 60),
    )
    rows = []
    for first, last, _ in runs:
        sx, sy = x[first : last + 1], y[first : last + 1]
        mx, my = np.median(sx), np.median(sy)
        inside = np.hypot(sx - mx, sy - my) <= rule.radius_m * 10
        cx, cy = float(np.mean(sx[inside])), float(np.mean(sy[inside]))
        spread = float(
            np.sqrt(np.mean((sx[inside] - cx) ** 2 + (sy[inside] - cy) ** 2))
        )
        rows.append(
            [
                t[first] - HALF_BIN_S,
                t[last] + HALF_BIN_S,
                round(cx),
                round(cy),
                int(inside.sum()),
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
