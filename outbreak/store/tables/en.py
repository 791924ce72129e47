"""Exposure notification key server: verification codes, diagnosis keys, exports.

A diagnosis key has no link to the code it came with, nor to any case or person:
the server must not know whose keys it publishes. Its id is random and its times
are kept to the day, so that neither ties it to the code's use closer than the day
("Privacy" in docs/exposure-notification.md says what can still be linked).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, UTCDateTime, utcnow


class EnVerificationCodeRow(Base):
    """A single-use code that lets a confirmed case's app upload its keys.

    Only a SHA-256 of the code is stored; the code itself is shown once.
    """

    __tablename__ = "en_verification_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    issued_by: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the UTC day


class EnExportRow(Base):
    """One signed export file: batch ``batch_num`` of ``batch_size`` of a window.

    Its keys all ended on one UTC day; ``purge_after`` is the earliest of their
    ``purge_after``, when the file is deleted.
    """

    __tablename__ = "en_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(2))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    batch_num: Mapped[int] = mapped_column(sa.Integer)
    batch_size: Mapped[int] = mapped_column(sa.Integer)
    file_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    key_count: Mapped[int] = mapped_column(sa.Integer)
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("end_at >= start_at", name="window"),
        sa.CheckConstraint("batch_num BETWEEN 1 AND batch_size", name="batch"),
    )


def _random_id() -> int:
    return secrets.randbits(62)  # positive in a signed 64-bit column


class DiagnosisKeyRow(Base):
    """A temporary exposure key uploaded after a diagnosis (no link to anyone)."""

    __tablename__ = "en_diagnosis_key"

    # Random, not a sequence: the keys of one upload must not get consecutive ids.
    # On SQLite an INTEGER primary key is the rowid, so rows are stored in id order
    # too; a BIGINT one would keep a hidden rowid in insertion order.
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
        default=_random_id,
    )
    key_data: Mapped[bytes] = mapped_column(sa.LargeBinary(16), unique=True)
    rolling_start: Mapped[int] = mapped_column(sa.Integer)  # ENIntervalNumber
    rolling_period: Mapped[int] = mapped_column(sa.SmallInteger)
    transmission_risk: Mapped[int] = mapped_column(sa.SmallInteger)
    days_since_onset: Mapped[int | None] = mapped_column(sa.SmallInteger)
    region: Mapped[str] = mapped_column(sa.String(2), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # to the UTC day
    export_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("en_export.id", ondelete="SET NULL"), index=True
    )
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        sa.CheckConstraint("rolling_period BETWEEN 1 AND 144", name="period"),
        sa.CheckConstraint("transmission_risk BETWEEN 0 AND 8", name="risk"),
    )
