"""The catalog of ingested files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, UTCDateTime, utcnow


class IngestBatchRow(Base):
    """One ingested file: what, when, by whom, how many rows went where."""

    __tablename__ = "ingest_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    file_name: Mapped[str] = mapped_column(sa.String(500))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(12))  # committing, done, failed
    rows_in: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    detail: Mapped[str] = mapped_column(
        sa.Text, default="{}"
    )  # JSON: counts per reason
    # (a compaction: the file names it replaces)
    actor: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_ingest_batch_source_sha256", "source", "sha256"),
        sa.CheckConstraint("state IN ('committing', 'done', 'failed')", name="state"),
    )
