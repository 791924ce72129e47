"""Districts and maps: the real Korean boundaries the system is scoped by."""

from outbreak.geo.districts import SEOUL_CODE, District, load_districts
from outbreak.geo.svgmap import MapShape, colour_bins, draw_map

__all__ = [
    "SEOUL_CODE",
    "District",
    "MapShape",
    "colour_bins",
    "draw_map",
    "load_districts",
]
