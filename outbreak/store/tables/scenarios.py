"""Model runs: a study (scenarios × seeds) submitted, run and its results' place."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from outbreak.store.base import Base, Timestamps, UTCDateTime, enum_column
from outbreak.types import RunState


class ScenarioRunRow(Timestamps, Base):
    """One submitted study. Aggregates only: no personal data in or out.

    The results are Parquet files under ``<data_dir>/scenarios/<id>/``, written
    whole before ``state`` becomes ``done``; ``summary`` keeps the comparison table
    (small) for lists and pages.
    """

    __tablename__ = "scenario_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    spec: Mapped[str] = mapped_column(sa.Text)  # the Study, as JSON
    state: Mapped[RunState] = mapped_column(enum_column(RunState, "state"), index=True)
    runs_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    runs_total: Mapped[int] = mapped_column(sa.Integer)
    agent_days: Mapped[int] = mapped_column(sa.BigInteger)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")  # comparison, JSON
    created_by: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("runs_done BETWEEN 0 AND runs_total", name="progress"),
    )
