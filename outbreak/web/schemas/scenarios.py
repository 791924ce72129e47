"""API schemas for agent-based model runs (the study itself is
:class:`outbreak.model.abm.scenario.Study`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from outbreak.types import RunState
from outbreak.web.schemas.common import Public


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


class RunPublic(Public):
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
        None,
        validation_alias="summary",
        description="When done: every scenario's outcomes versus the baseline.",
    )

    @field_validator("comparison", mode="before")
    @classmethod
    def _parse(cls, summary: Any) -> Any:
        """The row keeps the comparison as JSON text."""
        return json.loads(summary) if isinstance(summary, str) and summary else None


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
