"""Choropleth maps as inline SVG, drawn from district outlines (pure).

The dashboard ships no map tiles and no JavaScript map library: outlines are
projected here (equirectangular, x scaled by cos of the mean latitude, which is
accurate to well under 1% across a city or Korea) and emitted as SVG paths.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from outbreak.geo.districts import District

# Sequential palette (ColorBrewer "Reds", 6 classes) and the bin edges it colours.
PALETTE = ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15")
EMPTY_COLOUR = "#f4f4f4"


@dataclass(frozen=True)
class MapShape:
    """One district drawn on the map."""

    code: str
    name: str
    path: str  # SVG path data
    value: int
    colour: str


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    polygons = (
        geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else [geometry["coordinates"]]
    )
    for polygon in polygons:
        yield from polygon


def colour_bins(max_value: int) -> list[int]:
    """Upper bin edges for the palette, rounded to whole numbers (at least 1 apart).

    Examples
    --------
    >>> colour_bins(0)
    []
    >>> colour_bins(12)
    [2, 4, 6, 8, 10, 12]
    """
    if max_value <= 0:
        return []
    step = max(1, math.ceil(max_value / len(PALETTE)))
    return [step * (i + 1) for i in range(len(PALETTE))]


# Diverging palette for Rt (ColorBrewer "RdBu", reversed): blue below 1, red above.
RT_PALETTE = (
    (0.6, "#2166ac"), (0.8, "#67a9cf"), (0.95, "#d1e5f0"), (1.05, "#f7f7f7"),
    (1.2, "#fddbc7"), (1.5, "#ef8a62"), (float("inf"), "#b2182b"),
)  # fmt: skip


def rt_colour(rt: float) -> str:
    """Colour of an Rt value on the diverging scale (grey when unknown).

    Examples
    --------
    >>> rt_colour(0.5), rt_colour(1.0), rt_colour(3.0)
    ('#2166ac', '#f7f7f7', '#b2182b')
    """
    if rt != rt:  # NaN
        return EMPTY_COLOUR
    return next(colour for edge, colour in RT_PALETTE if rt < edge)


def colour_for(value: int, bins: Sequence[int]) -> str:
    """Palette colour of ``value`` given ``colour_bins``; zero is grey."""
    if value <= 0 or not bins:
        return EMPTY_COLOUR
    for edge, colour in zip(bins, PALETTE, strict=True):
        if value <= edge:
            return colour
    return PALETTE[-1]


@dataclass(frozen=True)
class Frame:
    """The projection of a map: lon/lat to SVG x/y (equirectangular, see above)."""

    min_lon: float
    max_lat: float
    kx: float  # cos of the mean latitude
    scale: float  # pixels per degree of latitude
    width: int
    height: int

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point."""
        return (
            10 + (lon - self.min_lon) * self.kx * self.scale,
            10 + (self.max_lat - lat) * self.scale,
        )


def frame_for(districts: Sequence[District], *, width: int = 640) -> Frame | None:
    """The frame that fits ``districts`` into ``width`` pixels (None: no outline)."""
    points = [pt for d in districts for ring in _rings(d.geometry) for pt in ring]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x, span_y = (max(lons) - min(lons)) * kx, max(lats) - min(lats)
    scale = (width - 20) / span_x
    return Frame(min(lons), max(lats), kx, scale, width, int(span_y * scale) + 20)


def draw_map(
    districts: Sequence[District],
    values: dict[str, int],
    *,
    lang: str = "ko",
    width: int = 640,
    colours: dict[str, str] | None = None,
) -> tuple[list[MapShape], int, list[int]]:
    """Project ``districts`` to SVG paths coloured by ``values`` (code → count).

    ``colours`` (code → CSS colour) overrides the count scale, e.g. for Rt.
    Returns the shapes, the height that keeps the aspect ratio for ``width``, and
    the colour bins (for the legend).
    """
    frame = frame_for(districts, width=width)
    if frame is None:
        return [], 0, []

    def xy(pt: Sequence[float]) -> str:
        x, y = frame.xy(pt[0], pt[1])
        return f"{x:.1f},{y:.1f}"

    bins = colour_bins(max(values.values(), default=0))
    shapes = []
    for d in districts:
        path = "".join(
            "M" + "L".join(xy(pt) for pt in ring) + "Z" for ring in _rings(d.geometry)
        )
        value = values.get(d.code, 0)
        colour = (colours or {}).get(d.code) or colour_for(value, bins)
        shapes.append(MapShape(d.code, d.name(lang), path, value, colour))
    return shapes, frame.height, bins
