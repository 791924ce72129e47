"""Districts: provinces and municipalities with their outlines."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base


class DistrictRow(Base):
    """A province (sido) or municipality (si-gun-gu) by its KOSTAT code."""

    __tablename__ = "district"

    code: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    name_ko: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60))
    level: Mapped[str] = mapped_column(sa.String(8))
    parent_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    geometry: Mapped[str] = mapped_column(sa.Text)  # GeoJSON geometry, WGS84

    __table_args__ = (sa.CheckConstraint("level IN ('sido', 'sigungu')", name="level"),)
