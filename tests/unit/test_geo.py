from __future__ import annotations

import re

from outbreak.geo import SEOUL_CODE, colour_bins, draw_map, load_districts
from outbreak.geo.svgmap import EMPTY_COLOUR, PALETTE, colour_for


def test_real_boundaries_are_complete() -> None:
    districts = load_districts()
    levels = [d.level for d in districts]
    assert levels.count("sido") == 17
    assert levels.count("sigungu") == 251
    assert len({d.code for d in districts}) == 268


def test_seoul_has_its_25_gu_with_official_codes() -> None:
    seoul = {d.code: d for d in load_districts() if d.parent_code == SEOUL_CODE}
    assert len(seoul) == 25
    assert seoul["11230"].name_en == "Gangnam-gu"
    assert seoul["11230"].name_ko == "강남구"
    assert seoul["11010"].name("ko") == "종로구"


def test_every_municipality_belongs_to_a_province() -> None:
    districts = load_districts()
    provinces = {d.code for d in districts if d.level == "sido"}
    for d in districts:
        if d.level == "sigungu":
            assert d.parent_code in provinces, d.code


def test_map_draws_every_district_inside_the_viewbox() -> None:
    seoul = [d for d in load_districts() if d.parent_code == SEOUL_CODE]
    shapes, height, bins = draw_map(seoul, {"11230": 12, "11240": 3}, width=640)
    assert len(shapes) == 25
    assert 400 < height < 800  # Seoul is a little wider than tall
    for shape in shapes:
        coords = [float(v) for v in re.findall(r"-?\d+\.\d", shape.path)]
        assert coords and min(coords) >= 0 and max(coords) <= 640
    by_code = {s.code: s for s in shapes}
    assert by_code["11230"].colour == PALETTE[-1]
    assert by_code["11240"].colour == PALETTE[1]
    assert by_code["11010"].colour == EMPTY_COLOUR
    assert bins[-1] >= 12


def test_colour_scale_is_monotonic() -> None:
    bins = colour_bins(100)
    colours = [colour_for(v, bins) for v in range(1, 101)]
    indexes = [PALETTE.index(c) for c in colours]
    assert indexes == sorted(indexes)
    assert colour_for(0, bins) == EMPTY_COLOUR
