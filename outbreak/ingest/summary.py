"""What the movement store holds: rows per source and per district (an aggregate)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from outbreak.geo.metric import gu_of, seoul_gu
from outbreak.ingest.schema import TILE_DM
from outbreak.ingest.store import MovementStore

OUTSIDE = "other"


@dataclass(frozen=True)
class StoreSummary:
    """Rows per source, and per (district code, source); dates covered."""

    by_source: dict[str, int]
    by_district: dict[str, dict[str, int]]
    first_day: str | None
    last_day: str | None


def summarise(store: MovementStore) -> StoreSummary:
    """Count rows per source and per Seoul gu (by 2 km tile centre; else ``other``)."""
    counts: list[tuple[str, int, int, int]] = []
    days: list[str] = []
    for table in ("pings", "visits"):
        if not store.files(table):
            continue
        con, rel = store.query(table)
        counts += con.execute(
            f"SELECT source, x_dm // {TILE_DM}, y_dm // {TILE_DM}, count(*) "  # noqa: S608
            f"FROM {rel} GROUP BY ALL"
        ).fetchall()
        days += [str(d) for d, _ in store.partitions(table)]
    by_source: dict[str, int] = {}
    by_district: dict[str, dict[str, int]] = {}
    if counts:
        tx = np.array([c[1] for c in counts], dtype=np.float64)
        ty = np.array([c[2] for c in counts], dtype=np.float64)
        centre = (TILE_DM / 2) / 10  # tile centre, metres
        where = gu_of(
            tx * TILE_DM / 10 + centre, ty * TILE_DM / 10 + centre, snap_m=1500
        )
        codes = [seoul_gu()[i].code if i >= 0 else OUTSIDE for i in where]
        for (source, _, _, n), code in zip(counts, codes, strict=True):
            by_source[source] = by_source.get(source, 0) + n
            row = by_district.setdefault(code, {})
            row[source] = row.get(source, 0) + n
    return StoreSummary(
        by_source, by_district, min(days, default=None), max(days, default=None)
    )
