"""District queries."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.geo import District
from outbreak.store.tables import DistrictRow


def upsert_districts(*, session: Session, districts: Iterable[District]) -> int:
    """Insert districts that are missing and refresh the rest; returns how many new."""
    existing = set(session.scalars(sa.select(DistrictRow.code)))
    added = 0
    for d in sorted(districts, key=lambda d: (d.level != "sido", d.code)):
        row = DistrictRow(
            code=d.code,
            name_ko=d.name_ko,
            name_en=d.name_en,
            level=d.level,
            parent_code=d.parent_code,
            geometry=json.dumps(d.geometry, separators=(",", ":")),
        )
        added += d.code not in existing
        session.merge(row)
    session.flush()
    return added


def get_district(*, session: Session, code: str) -> DistrictRow | None:
    """The district with ``code``, or None."""
    return session.get(DistrictRow, code)


def list_districts(
    *, session: Session, level: str | None = None, parent_code: str | None = None
) -> list[DistrictRow]:
    """Districts by code, optionally of one level or under one province."""
    query = sa.select(DistrictRow).order_by(DistrictRow.code)
    if level:
        query = query.where(DistrictRow.level == level)
    if parent_code:
        query = query.where(DistrictRow.parent_code == parent_code)
    return list(session.scalars(query))


def to_district(row: DistrictRow) -> District:
    """The pure district value of a row."""
    return District(
        code=row.code,
        name_ko=row.name_ko,
        name_en=row.name_en,
        level=row.level,
        parent_code=row.parent_code,
        geometry=json.loads(row.geometry),
    )
