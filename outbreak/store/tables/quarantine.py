"""Self-quarantine: orders, the app's reports, alerts, and the notification outbox."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps, UTCDateTime, enum_column, utcnow
from outbreak.types import (
    AlertRule,
    AlertState,
    QuarantineSource,
    QuarantineState,
    ReportKind,
)


class QuarantineOrderRow(Timestamps, Base):
    """One person's self-quarantine, followed by one officer."""

    __tablename__ = "quarantine_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    key64: Mapped[int] = mapped_column(sa.BigInteger, index=True)  # pseudonymous
    source: Mapped[QuarantineSource] = mapped_column(
        enum_column(QuarantineSource, "source")
    )
    action_order_id: Mapped[int | None] = mapped_column(  # the investigation's order
        sa.ForeignKey("action_order.id", ondelete="SET NULL"), unique=True
    )
    district_code: Mapped[str] = mapped_column(
        sa.ForeignKey("district.code"), index=True
    )
    address_enc: Mapped[str | None] = mapped_column(sa.Text)  # encrypted
    fence_lat: Mapped[float] = mapped_column(sa.Float)
    fence_lon: Mapped[float] = mapped_column(sa.Float)
    fence_radius_m: Mapped[float] = mapped_column(sa.Float)
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date, index=True)
    officer: Mapped[str] = mapped_column(sa.String(64), index=True)
    state: Mapped[QuarantineState] = mapped_column(
        enum_column(QuarantineState, "state"), index=True
    )
    test_required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    negative_test_on: Mapped[date | None] = mapped_column(sa.Date)
    band_id: Mapped[str | None] = mapped_column(sa.String(40))  # paired, with consent
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_after: Mapped[date] = mapped_column(sa.Date, index=True)

    __table_args__ = (
        sa.CheckConstraint("end_on >= start_on", name="period"),
        sa.CheckConstraint("fence_radius_m > 0", name="radius"),
    )


class QuarantineReportRow(Base):
    """A report from the app; (order, kind, client_id) makes retries idempotent."""

    __tablename__ = "quarantine_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quarantine_order.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "kind"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    t: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    temperature_c: Mapped[float | None] = mapped_column(sa.Float)
    symptoms: Mapped[str] = mapped_column(sa.String(200), default="")
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    inside: Mapped[bool | None] = mapped_column(sa.Boolean)
    band_distance_m: Mapped[float | None] = mapped_column(sa.Float)
    band_tampered: Mapped[bool | None] = mapped_column(sa.Boolean)
    alerting: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    purge_after: Mapped[date] = mapped_column(sa.Date, index=True)

    __table_args__ = (
        sa.UniqueConstraint("order_id", "kind", "client_id"),
        sa.Index("ix_quarantine_report_order_kind_t", "order_id", "kind", "t"),
    )


class QuarantineAlertRow(Base):
    """An alert to the order's officer; at most one open alert per order and rule."""

    __tablename__ = "quarantine_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quarantine_order.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[AlertRule] = mapped_column(enum_column(AlertRule, "rule"))
    state: Mapped[AlertState] = mapped_column(
        enum_column(AlertState, "state"), index=True
    )
    open_rule: Mapped[str | None] = mapped_column(sa.String(24))  # rule while open
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_id: Mapped[int | None] = mapped_column(sa.Integer)  # what set it off
    level: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.UniqueConstraint("order_id", "open_rule"),)


class OutboxRow(Base):
    """A message to send (SMS, push, e-mail); ``dedupe_key`` sends each once."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
