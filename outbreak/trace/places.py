"""The place registry that names stays: id, kind, name, district, position."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from outbreak.errors import InvalidInput
from outbreak.geo.tm import to_5179_dm

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Place:
    """One registered place (a venue, workplace, school, clinic…)."""

    id: int
    kind: str
    name: str
    district_code: str
    x_dm: int
    y_dm: int
    address: str = ""


@dataclass
class Places:
    """Places as columns, with a k-d tree for 'which place is this stay at'."""

    ids: Ints
    kinds: NDArray[np.str_]
    names: NDArray[np.str_]
    districts: NDArray[np.str_]
    x_dm: Ints
    y_dm: Ints
    addresses: NDArray[np.str_] | None = None  # road-name (or gu + dong) addresses
    _tree: cKDTree | None = field(default=None, repr=False)
    _row: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._row = {int(i): k for k, i in enumerate(self.ids)}
        if len(self.ids):
            self._tree = cKDTree(np.column_stack([self.x_dm, self.y_dm]) / 10)

    @classmethod
    def from_parquet(cls, path: Path) -> Places:
        """``place_id, kind, name, district_code, address, lat, lon`` (a city's
        places file; name, district_code and address may be absent)."""
        t = pq.read_table(path)
        missing = {"place_id", "kind", "lat", "lon"} - set(t.column_names)
        if missing:
            raise InvalidInput(f"{path.name} lacks {sorted(missing)}", field="places")
        d = {c: t[c].to_pylist() for c in t.column_names}
        x, y = to_5179_dm(np.array(d["lon"], float), np.array(d["lat"], float))
        n = t.num_rows
        return cls(
            np.array(d["place_id"], dtype=np.int64),
            np.array(d["kind"], dtype=str),
            np.array(d.get("name", [""] * n), dtype=str),
            np.array(d.get("district_code", [""] * n), dtype=str),
            x,
            y,
            np.array(d.get("address", [""] * n), dtype=str),
        )

    @classmethod
    def empty(cls) -> Places:
        """No registry: stays stay unnamed."""
        e = np.empty(0, dtype=np.int64)
        s = np.empty(0, dtype=str)
        return cls(e, s, s, s, e, e)

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, place_id: int) -> Place | None:
        """The place with ``place_id``, or None."""
        k = self._row.get(int(place_id))
        if k is None:
            return None
        return Place(
            int(self.ids[k]),
            str(self.kinds[k]),
            str(self.names[k]),
            str(self.districts[k]),
            int(self.x_dm[k]),
            int(self.y_dm[k]),
            str(self.addresses[k]) if self.addresses is not None else "",
        )

    def nearest(self, x_dm: float, y_dm: float, within_m: float) -> Place | None:
        """The nearest place within ``within_m`` metres, if one is clearly nearest.

        A second place almost as near (within 30% more distance) makes the answer
        ambiguous: None, rather than naming the wrong venue.
        """
        if self._tree is None:
            return None
        dist, idx = self._tree.query(
            [x_dm / 10, y_dm / 10], k=2, distance_upper_bound=within_m
        )
        if not np.isfinite(dist[0]):
            return None
        if np.isfinite(dist[1]) and dist[1] < dist[0] * 1.3 + 5:
            return None
        return self.get(int(self.ids[idx[0]]))
