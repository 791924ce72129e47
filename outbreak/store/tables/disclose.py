"""Disclosure: exposure places proposed from investigations, reviewed and published."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps, UTCDateTime, enum_column
from outbreak.types import DisclosureState


class DisclosureRow(Timestamps, Base):
    """One stay of a case at a registered place, as a candidate exposure place.

    The link to the investigation is internal: it never leaves the system. What is
    published is built from the allowlisted public schema (``outbreak.disclose``),
    keyed by ``public_id``, a random token that says nothing about the case.
    """

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True)
    place_id: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(24))
    name: Mapped[str] = mapped_column(sa.String(200))  # as registered
    address: Mapped[str] = mapped_column(sa.String(300))  # as registered
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    district_known: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    t_start: Mapped[datetime] = mapped_column(UTCDateTime)  # exposure window,
    t_end: Mapped[datetime] = mapped_column(UTCDateTime)  # rounded and clipped
    state: Mapped[DisclosureState] = mapped_column(
        enum_column(DisclosureState, "state"), index=True
    )
    withheld_by: Mapped[str] = mapped_column(sa.String(200), default="")  # rule codes
    contacts_identified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    public_risk: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    public_risk_reason: Mapped[str] = mapped_column(sa.Text, default="")
    name_public: Mapped[str | None] = mapped_column(sa.String(200))  # edited wording
    address_public: Mapped[str | None] = mapped_column(sa.String(300))
    disinfected: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(sa.Text, default="")
    published_by: Mapped[str | None] = mapped_column(sa.String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        sa.UniqueConstraint("investigation_id", "place_id", "t_start"),
        sa.CheckConstraint("t_end > t_start", name="window"),
        sa.CheckConstraint("expires_at > t_end", name="expiry"),
    )
