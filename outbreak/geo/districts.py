"""Korea's districts from the packaged KOSTAT 2013 boundaries (pure reads).

Two levels: 17 provinces (*sido*, 2-digit codes such as ``11`` Seoul) and 251
municipalities (*si-gun-gu*, 5-digit codes such as ``11230`` Gangnam-gu). A
municipality's first two digits are its province. Seoul's 25 gu use the finer
outlines of the Seoul file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

SEOUL_CODE = "11"
_FILES = {
    "sido": "skorea_provinces_2013_geo_simple.json",
    "sigungu": "skorea_municipalities_2013_geo_simple.json",
}
_SEOUL_FILE = "seoul_municipalities_geo_simple.json"
_SEOUL_DONG_FILE = "seoul_submunicipalities_geo_simple.json"


@dataclass(frozen=True)
class District:
    """A province or municipality with its official code, names and outline."""

    code: str
    name_ko: str
    name_en: str
    level: str  # "sido" or "sigungu"
    parent_code: str | None
    geometry: dict[str, Any]

    def name(self, lang: str) -> str:
        """The name in ``lang`` ("ko" or "en")."""
        return self.name_ko if lang == "ko" else self.name_en


def _features(filename: str) -> list[dict[str, Any]]:
    text = resources.files("outbreak.geo").joinpath("data", filename).read_text("utf-8")
    features: list[dict[str, Any]] = json.loads(text)["features"]
    return features


@lru_cache(maxsize=1)
def load_districts() -> tuple[District, ...]:
    """All 268 districts (17 provinces, then 251 municipalities), sorted by code."""
    seoul = {f["properties"]["code"]: f["geometry"] for f in _features(_SEOUL_FILE)}
    districts = []
    for level, filename in _FILES.items():
        for feature in _features(filename):
            props = feature["properties"]
            code = props["code"]
            districts.append(
                District(
                    code=code,
                    name_ko=props["name"],
                    name_en=props["name_eng"],
                    level=level,
                    parent_code=code[:2] if level == "sigungu" else None,
                    geometry=seoul.get(code, feature["geometry"]),
                )
            )
    return tuple(sorted(districts, key=lambda d: d.code))


def dong_features() -> list[dict[str, Any]]:
    """Seoul's 423 dong as GeoJSON features (``code``, ``name``, ``name_eng``)."""
    return _features(_SEOUL_DONG_FILE)
