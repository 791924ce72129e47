"""Scoring against the city's ground truth: who was truly with whom, and for how long.

Only evaluation code (tests, ``bench/trace.py``) reads the truth; production paths
never do. A true co-presence is two people's true stays within ``distance_m`` of each
other overlapping in time; a true contact has ``min_minutes`` of them in the window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
from numpy.typing import NDArray

from outbreak.synth.city import card_of, phone_of

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Truth:
    """True stays of a window, as columns, sorted by start."""

    pid: Ints
    place_id: Ints
    t_start: Ints
    t_end: Ints
    x_dm: Ints
    y_dm: Ints

    @classmethod
    def load(cls, city_dir: Path, window: tuple[int, int]) -> Truth:
        """The true stays of a city's people overlapping the window."""
        data = ds.dataset(city_dir / "truth" / "stays", partitioning="hive")
        f = (ds.field("t_end") >= window[0]) & (ds.field("t_start") <= window[1])
        t = data.to_table(
            filter=f, columns=["pid", "place_id", "t_start", "t_end", "x_dm", "y_dm"]
        )
        cols = [t[c].to_numpy().astype(np.int64) for c in t.column_names]
        order = np.argsort(cols[2], kind="stable")
        return cls(*(c[order] for c in cols))

    def contacts(
        self,
        pid: int,
        window: tuple[int, int],
        *,
        distance_m: float = 20,
        min_minutes: float = 15,
    ) -> dict[int, float]:
        """Each true contact of ``pid`` in the window, with minutes together."""
        minutes: dict[int, float] = defaultdict(float)
        mine = np.flatnonzero(self.pid == pid)
        for k in mine:
            a, b = max(self.t_start[k], window[0]), min(self.t_end[k], window[1])
            if b <= a:
                continue
            sel = (self.t_start < b) & (self.t_end > a) & (self.pid != pid)
            near = np.hypot(
                self.x_dm[sel] - self.x_dm[k], self.y_dm[sel] - self.y_dm[k]
            )
            idx = np.flatnonzero(sel)[near <= distance_m * 10]
            overlap = np.minimum(self.t_end[idx], b) - np.maximum(self.t_start[idx], a)
            for other, s in zip(self.pid[idx], overlap, strict=True):
                minutes[int(other)] += s / 60
        return {p: m for p, m in minutes.items() if m >= min_minutes}


def identifiers(pids: Ints) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """The phone numbers and card numbers the feeds use for these people."""
    return phone_of(pids), card_of(pids)
