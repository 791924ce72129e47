"""Investigations: data requests and approvals, notes, routes, contacts, orders."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps, UTCDateTime, enum_column, utcnow
from outbreak.types import (
    DataSource,
    ExposureKind,
    IdentifierKind,
    InvestigationState,
    OrderKind,
    RequestState,
    RiskLevel,
)


class InvestigationRow(Timestamps, Base):
    """An epidemiological investigation of one confirmed case."""

    __tablename__ = "investigation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("district.code"))
    state: Mapped[InvestigationState] = mapped_column(
        enum_column(InvestigationState, "state")
    )
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    window_basis: Mapped[str] = mapped_column(sa.String(12))
    rule: Mapped[str] = mapped_column(sa.Text, default="{}")  # ContactRule as JSON
    opened_by: Mapped[str] = mapped_column(sa.String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvestigationKeyRow(Base):
    """A pseudonymised identifier of the case (their phone, their cards)."""

    __tablename__ = "investigation_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IdentifierKind] = mapped_column(enum_column(IdentifierKind, "kind"))
    key64: Mapped[int] = mapped_column(sa.BigInteger)
    label: Mapped[str] = mapped_column(sa.String(24))  # masked: ******5678

    __table_args__ = (sa.UniqueConstraint("investigation_id", "key64"),)


class DataRequestRow(Base):
    """A request to read one source for an investigation; a data approver decides."""

    __tablename__ = "data_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[DataSource] = mapped_column(enum_column(DataSource, "source"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState, "state"))
    requested_by: Mapped[str] = mapped_column(sa.String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    # the case's keys when approved (JSON); keys added later need a new request
    approved_keys: Mapped[str] = mapped_column(sa.Text, default="[]")
    # contact ids (JSON) when the request is for first-degree contacts' movements
    # (contact-of-contact tracing) rather than the case's; their keys are approved
    contact_ids: Mapped[str] = mapped_column(sa.Text, default="[]")

    __table_args__ = (sa.CheckConstraint("window_end >= window_start", name="window"),)


class InvestigationNoteRow(Base):
    """An interview note, or a place the case reported themselves."""

    __tablename__ = "investigation_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    place_id: Mapped[int | None] = mapped_column(sa.Integer)
    t_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    t_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RouteStayRow(Base):
    """One stay of the case's route as the engine (or the interview) rebuilt it."""

    __tablename__ = "route_stay"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    t_start: Mapped[datetime] = mapped_column(UTCDateTime)
    t_end: Mapped[datetime] = mapped_column(UTCDateTime)
    x_dm: Mapped[int] = mapped_column(sa.Integer)
    y_dm: Mapped[int] = mapped_column(sa.Integer)
    place_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    sources: Mapped[str] = mapped_column(sa.String(80))  # comma-separated
    confidence: Mapped[float] = mapped_column(sa.Float)
    n_pings: Mapped[int] = mapped_column(sa.Integer, default=0)


class TraceContactRow(Base):
    """A close contact the engine found, known by a pseudonymous key until resolved."""

    __tablename__ = "trace_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    key64: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    kind: Mapped[ExposureKind] = mapped_column(enum_column(ExposureKind, "kind"))
    t_start: Mapped[datetime] = mapped_column(UTCDateTime)
    t_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    minutes: Mapped[float] = mapped_column(sa.Float)
    distance_m: Mapped[float | None] = mapped_column(sa.Float)
    risk: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk"))
    place_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    sources: Mapped[str] = mapped_column(sa.String(80))
    purge_after: Mapped[date] = mapped_column(sa.Date, index=True)
    degree: Mapped[int] = mapped_column(sa.SmallInteger, default=1)  # 2: of a contact
    via_contact_id: Mapped[int | None] = mapped_column(  # the contact met, degree 2
        sa.ForeignKey("trace_contact.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        sa.UniqueConstraint("investigation_id", "key64", "kind", "degree"),
        sa.CheckConstraint("degree IN (1, 2)", name="degree"),
        sa.CheckConstraint("t_end >= t_start", name="window"),
    )


class OrderRow(Timestamps, Base):
    """A test or quarantine order issued to a contact."""

    __tablename__ = "action_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trace_contact.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[OrderKind] = mapped_column(enum_column(OrderKind, "kind"))
    key64: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("district.code"))
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)
    issued_by: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("contact_id", "kind"),
        sa.CheckConstraint("end_on >= start_on", name="window"),
    )
