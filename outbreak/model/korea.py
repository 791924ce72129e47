"""Korea's real daily counts (2020-2023) as :class:`Incidence` — data: Coronaboard.

National series: cumulative confirmed, differenced; cases found at airport
quarantine (검역) are *imported*, the rest *local*. (Imported cases found after entry
are reported within the provinces, so ``imported`` is a lower bound.) Provincial
series use the 2-digit KOSTAT province codes of ``outbreak.geo``.
"""

from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from datetime import date
from importlib import resources

import numpy as np

from outbreak.errors import DataQualityWarning
from outbreak.model.incidence import Incidence

ATTRIBUTION = "Coronaboard (coronaboard.kr)"
PROVINCE_CODES = {
    "서울": "11", "부산": "21", "대구": "22", "인천": "23", "광주": "24", "대전": "25",
    "울산": "26", "세종": "29", "경기": "31", "강원": "32", "충북": "33", "충남": "34",
    "전북": "35", "전남": "36", "경북": "37", "경남": "38", "제주": "39",
}  # fmt: skip
QUARANTINE = "검역"


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("outbreak.model").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def _in_range(day: str, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start.isoformat()) and (
        end is None or day <= end.isoformat()
    )


def _daily(series: dict[str, int], region: str) -> tuple[list[str], np.ndarray]:
    days = sorted(series)
    inc = Incidence.from_cumulative([series[d] for d in days], days, region=region)
    return [str(d) for d in inc.dates], inc.total[0]


def korea_regional(*, start: date | None = None, end: date | None = None) -> Incidence:
    """Daily confirmed cases per province (17 regions), local only.

    ``start``/``end`` cut the cumulative series before differencing, so the first
    day's count is the cumulative total at ``start`` (booked as imported, as EpiEstim
    does with the first day).
    """
    by_region: dict[str, dict[str, int]] = defaultdict(dict)
    for row in _rows("kr_regional_daily.csv"):
        day = _iso(row["date"])
        if row["region"] in PROVINCE_CODES and _in_range(day, start, end):
            by_region[PROVINCE_CODES[row["region"]]][day] = int(row["confirmed"])
    codes = sorted(by_region)
    series = [_daily(by_region[c], c) for c in codes]
    counts = np.array([s[1] for s in series])
    return Incidence.from_counts(counts, dates=series[0][0], regions=codes)


def korea_national(*, start: date | None = None, end: date | None = None) -> Incidence:
    """Daily national cases, airport-quarantine cases counted as imported."""
    national = {
        _iso(r["date"]): int(r["confirmed"])
        for r in _rows("kr_daily.csv")
        if _in_range(_iso(r["date"]), start, end)
    }
    quarantine = {
        _iso(r["date"]): int(r["confirmed"])
        for r in _rows("kr_regional_daily.csv")
        if r["region"] == QUARANTINE and _in_range(_iso(r["date"]), start, end)
    }
    days, total = _daily(national, "KR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        q_days, q_daily = _daily(quarantine, "KR quarantine")
    imported = np.zeros_like(total)
    offset = {d: i for i, d in enumerate(days)}
    for d, n in zip(q_days, q_daily, strict=True):
        if d in offset:
            imported[offset[d]] = min(n, total[offset[d]])
    local = total - imported
    return Incidence.from_counts(local, imported=imported, dates=days, regions=("KR",))
