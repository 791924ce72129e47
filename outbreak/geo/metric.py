"""Districts in metres: projected outlines, point-in-district, sampling, lat/lon.

Everything in the synthetic city lives in EPSG:5179 (Korea 2000 / Unified CS, metres),
the national grid Korean agencies use; only the raw GPS and venue feeds carry WGS84
latitude/longitude, as real feeds do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from outbreak.geo.districts import SEOUL_CODE, dong_features, load_districts

Floats = NDArray[np.float64]


@lru_cache(maxsize=2)
def _transformer(to_metres: bool) -> Transformer:
    if to_metres:
        return Transformer.from_crs(4326, 5179, always_xy=True)
    return Transformer.from_crs(5179, 4326, always_xy=True)


def to_metres(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """WGS84 degrees → EPSG:5179 metres (x east, y north)."""
    x, y = _transformer(True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def to_degrees(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    """EPSG:5179 metres → WGS84 (lon, lat)."""
    lon, lat = _transformer(False).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


@dataclass(frozen=True)
class Outline:
    """An administrative area (a gu, a dong) outlined in metres."""

    code: str
    name_ko: str
    rings: tuple[Floats, ...]  # each (n, 2): x, y
    bbox: tuple[float, float, float, float]

    def contains(self, x: Floats, y: Floats) -> NDArray[np.bool_]:
        """Even-odd ray casting over every ring (holes included)."""
        inside = np.zeros(len(x), dtype=bool)
        for ring in self.rings:
            xs, ys = ring[:, 0], ring[:, 1]
            xj, yj = np.roll(xs, 1), np.roll(ys, 1)
            for x1, y1, x2, y2 in zip(xs, ys, xj, yj, strict=True):
                crosses = (y1 > y) != (y2 > y)
                with np.errstate(divide="ignore", invalid="ignore"):
                    at = (x2 - x1) * (y - y1) / (y2 - y1) + x1
                inside ^= crosses & (x < at)
        return inside

    def sample(self, rng: np.random.Generator, n: int) -> tuple[Floats, Floats]:
        """``n`` points uniform inside the district (rejection from its bbox)."""
        xs, ys = np.empty(0), np.empty(0)
        x0, y0, x1, y1 = self.bbox
        while len(xs) < n:
            k = max(64, int((n - len(xs)) * 1.8))
            cx, cy = rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)
            keep = self.contains(cx, cy)
            xs, ys = np.concatenate([xs, cx[keep]]), np.concatenate([ys, cy[keep]])
        return xs[:n], ys[:n]


def _outline(code: str, name_ko: str, geometry: dict[str, Any]) -> Outline:
    polygons = (
        geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else [geometry["coordinates"]]
    )
    rings = []
    for polygon in polygons:
        for ring in polygon:
            arr = np.asarray(ring, dtype=np.float64)
            x, y = to_metres(arr[:, 0], arr[:, 1])
            rings.append(np.column_stack([x, y]))
    allpts = np.vstack(rings)
    bbox = (
        allpts[:, 0].min(),
        allpts[:, 1].min(),
        allpts[:, 0].max(),
        allpts[:, 1].max(),
    )
    return Outline(code, name_ko, tuple(rings), bbox)


@lru_cache(maxsize=1)
def seoul_gu() -> tuple[Outline, ...]:
    """Seoul's 25 gu with outlines projected to metres, by code."""
    return tuple(
        _outline(d.code, d.name_ko, d.geometry)
        for d in load_districts()
        if d.parent_code == SEOUL_CODE
    )


@lru_cache(maxsize=1)
def seoul_dong() -> tuple[Outline, ...]:
    """Seoul's 423 dong (eup/myeon/dong level, KOSTAT 2013; 7-digit codes whose
    first five are not the gu codes of :func:`seoul_gu`), outlined in metres."""
    return tuple(
        _outline(f["properties"]["code"], f["properties"]["name"], f["geometry"])
        for f in dong_features()
    )


def _containing(areas: tuple[Outline, ...], x: Floats, y: Floats) -> NDArray[np.int64]:
    out = np.full(len(x), -1, dtype=np.int64)
    for i, area in enumerate(areas):
        x0, y0, x1, y1 = area.bbox
        near = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if len(near):
            out[near[area.contains(x[near], y[near])]] = i
    return out


def dong_of(x: Floats, y: Floats) -> list[str]:
    """The name of the Seoul dong containing each point, or "" outside them all."""
    dongs = seoul_dong()
    return [dongs[i].name_ko if i >= 0 else "" for i in _containing(dongs, x, y)]


@dataclass(frozen=True)
class FastDegrees:
    """EPSG:5179 metres → WGS84 by a cubic polynomial fitted to PROJ over Seoul.

    PROJ runs at ~3.5 M points/s here; the polynomial at ~60 M/s, and over Seoul's
    bounding box (plus 5 km) it stays within 1 cm of PROJ (tests check 5 cm), far
    below GPS noise.
    """

    lon_coef: Floats
    lat_coef: Floats
    origin: tuple[float, float]

    @staticmethod
    def _terms(u: Floats, v: Floats) -> Floats:
        return np.column_stack(
            [
                np.ones_like(u),
                u,
                v,
                u * u,
                u * v,
                v * v,
                u**3,
                u * u * v,
                u * v * v,
                v**3,
            ]
        )

    def __call__(self, x: Floats, y: Floats) -> tuple[Floats, Floats]:
        u, v = (x - self.origin[0]) / 1e4, (y - self.origin[1]) / 1e4

        def poly(c: Floats) -> Floats:
            # c0 + c1 u + c2 v + c3 u² + c4 uv + c5 v² + c6 u³ + c7 u²v + c8 uv² + c9 v³
            return np.asarray(
                c[0]
                + u * (c[1] + u * (c[3] + u * c[6] + v * c[7]) + v * (c[4] + v * c[8]))
                + v * (c[2] + v * (c[5] + v * c[9]))
            )

        return poly(self.lon_coef), poly(self.lat_coef)


@lru_cache(maxsize=1)
def fast_degrees() -> FastDegrees:
    """The fitted Seoul polynomial (see :class:`FastDegrees`)."""
    boxes = np.array([g.bbox for g in seoul_gu()])
    x0, y0 = boxes[:, 0].min() - 5000, boxes[:, 1].min() - 5000
    x1, y1 = boxes[:, 2].max() + 5000, boxes[:, 3].max() + 5000
    gx, gy = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
    lon, lat = to_degrees(gx.ravel(), gy.ravel())
    origin = ((x0 + x1) / 2, (y0 + y1) / 2)
    terms = FastDegrees._terms(
        (gx.ravel() - origin[0]) / 1e4, (gy.ravel() - origin[1]) / 1e4
    )
    lon_coef = np.linalg.lstsq(terms, lon, rcond=None)[0]
    lat_coef = np.linalg.lstsq(terms, lat, rcond=None)[0]
    return FastDegrees(
        np.asarray(lon_coef, dtype=np.float64),
        np.asarray(lat_coef, dtype=np.float64),
        origin,
    )


def gu_of(x: Floats, y: Floats, *, snap_m: float = 0.0) -> NDArray[np.int64]:
    """Index into :func:`seoul_gu` of the district containing each point, or -1.

    With ``snap_m``, a point outside every outline (the outlines are simplified) goes
    to the district whose vertices come within that distance.
    """
    gus = seoul_gu()
    out = _containing(gus, x, y)
    if snap_m > 0 and (out < 0).any():
        lost = np.flatnonzero(out < 0)
        best = np.full(len(lost), np.inf)
        for i, gu in enumerate(gus):
            pts = np.vstack(gu.rings)
            d = np.min(
                np.hypot(
                    x[lost, None] - pts[None, :, 0], y[lost, None] - pts[None, :, 1]
                ),
                axis=1,
            )
            closer = (d < best) & (d <= snap_m)
            out[lost[closer]], best[closer] = i, d[closer]
    return out
