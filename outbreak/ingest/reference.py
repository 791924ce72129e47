"""Reference data for adapters: base-station and place registries (files → lookups)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from pyproj import Transformer

from outbreak.errors import InvalidInput
from outbreak.ingest.adapters import Reference


def _xy_dm(lon: list[float], lat: list[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = Transformer.from_crs(4326, 5179, always_xy=True).transform(lon, lat)
    return np.round(np.asarray(x) * 10).astype(np.int64), np.round(
        np.asarray(y) * 10
    ).astype(np.int64)


def load_reference(towers: Path | None = None, places: Path | None = None) -> Reference:
    """Towers (``cell_id, lat, lon``) and places (``place_id, phone, lat, lon``)."""
    ref = Reference()
    if towers is not None:
        t = pq.read_table(towers).to_pydict()
        missing = {"cell_id", "lat", "lon"} - set(t)
        if missing:
            raise InvalidInput(f"{towers.name} lacks {sorted(missing)}", field="towers")
        x, y = _xy_dm(t["lon"], t["lat"])
        ref.towers = {
            int(c): (int(a), int(b)) for c, a, b in zip(t["cell_id"], x, y, strict=True)
        }
    if places is not None:
        p = pq.read_table(places).to_pydict()
        missing = {"place_id", "lat", "lon"} - set(p)
        if missing:
            raise InvalidInput(f"{places.name} lacks {sorted(missing)}", field="places")
        x, y = _xy_dm(p["lon"], p["lat"])
        ids = [int(i) for i in p["place_id"]]
        ref.places = {i: (int(a), int(b)) for i, a, b in zip(ids, x, y, strict=True)}
        ref.place_by_phone = {
            str(ph): i for ph, i in zip(p.get("phone", []), ids, strict=False) if ph
        }
    return ref


def city_reference(city_dir: Path) -> Reference:
    """The registries of a synthetic city made by ``outbreak synth city``."""
    return load_reference(
        city_dir / "city" / "towers.parquet", city_dir / "city" / "places.parquet"
    )
