"""Confirmed cases, their state history, clusters and contacts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps, UTCDateTime, enum_column, utcnow
from outbreak.types import (
    CaseState,
    ClusterKind,
    ExposureKind,
    InfectionSource,
    RiskLevel,
)


class CaseRow(Timestamps, Base):
    """A confirmed case."""

    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.ForeignKey("person.key"), index=True)
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    confirmed_on: Mapped[date] = mapped_column(sa.Date, index=True)
    sample_on: Mapped[date] = mapped_column(sa.Date)
    onset_on: Mapped[date | None] = mapped_column(sa.Date)
    source: Mapped[InfectionSource] = mapped_column(
        enum_column(InfectionSource, "source")
    )
    state: Mapped[CaseState] = mapped_column(
        enum_column(CaseState, "state"), index=True
    )
    state_on: Mapped[date] = mapped_column(sa.Date)


class CaseEventRow(Base):
    """One state change of a case: the case's history, append-only."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState, "state"))
    on: Mapped[date] = mapped_column(sa.Date)
    by_user: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClusterRow(Timestamps, Base):
    """A named outbreak, such as the cases linked to one venue."""

    __tablename__ = "cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[ClusterKind] = mapped_column(enum_column(ClusterKind, "kind"))
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")


class ClusterCaseRow(Base):
    """Membership of a case in a cluster."""

    __tablename__ = "cluster_case"

    cluster_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ContactRow(Timestamps, Base):
    """A person exposed to an index case."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    index_case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(sa.ForeignKey("person.key"), index=True)
    kind: Mapped[ExposureKind] = mapped_column(enum_column(ExposureKind, "kind"))
    exposure_start: Mapped[datetime] = mapped_column(UTCDateTime)
    exposure_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    risk: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk"))

    __table_args__ = (
        sa.UniqueConstraint("index_case_id", "person_key", "kind", "exposure_start"),
        sa.CheckConstraint("exposure_end >= exposure_start", name="window"),
    )
