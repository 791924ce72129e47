"""API schemas for agent-based model runs (the study itself is
:class:`outbreak.model.abm.scenario.Study`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from outbreak.types import RunState


class Outcome(BaseModel):
    """One scenario's outcome across seeds, and what it averts versus the
    baseline (paired by seed)."""

    scenario: str
    outcome: str = Field(description="infections, confirmed, deaths, peak_hospital, …")
    low: float = Field(description="5th percentile across seeds.")
    median: float
    high: float = Field(description="95th percentile across seeds.")
    averted_low: float
    averted_median: float
    averted_high: float


class RunPublic(BaseModel):
    """A submitted model run."""

    id: int
    name: str
    state: RunState
    runs_done: int
    runs_total: int
    agent_days: int
    error: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    comparison: list[Outcome] | None = Field(
        None, description="When done: every scenario's outcomes versus the baseline."
    )

    @classmethod
    def from_row(cls, row: Any) -> RunPublic:
        return cls(
            id=row.id, name=row.name, state=row.state, runs_done=row.runs_done,
            runs_total=row.runs_total, agent_days=row.agent_days, error=row.error,
            created_by=row.created_by, created_at=row.created_at,
            started_at=row.started_at, finished_at=row.finished_at,
            comparison=json.loads(row.summary) if row.summary else None,
        )  # fmt: skip


class DistancingLevel(BaseModel):
    """A level of the Nov 2020 scheme as contact multipliers."""

    level: str
    household: float
    school: float
    work: float
    community: float
    venues: dict[str, float] = Field(
        description="Multipliers by venue kind on top of the community one "
        "(0: closed), in the city population."
    )
