"""Investigation API bodies: what comes in (strict) and what may leave (allowlisted)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from outbreak.types import (
    DataSource,
    ExposureKind,
    InvestigationState,
    OrderKind,
    RequestState,
    RiskLevel,
)
from outbreak.web.schemas.common import Public, Strict


class InvestigationCreate(Strict):
    """Open an investigation; contact-rule values default to the engine's."""

    case_id: int
    distance_m: float | None = Field(None, gt=0, le=1000, examples=[20])
    min_minutes: float | None = Field(None, ge=0, le=1440, examples=[15])
    gps_margin_m: float | None = Field(None, gt=0, le=500)
    venue_buffer_min: float | None = Field(None, ge=0, le=720)
    venue_min_minutes: dict[str, float] | None = Field(
        None, description='Minutes per venue kind, e.g. {"bar_club": 0}.'
    )
    passers_by: bool | None = Field(
        None,
        description="Also people who never stayed put near the case (a market, a "
        "march): every GPS fix near a stay is read instead of everyone's stays; "
        "slower.",
    )


class InvestigationIds(Strict):
    """Several investigations, for bulk runs."""

    investigation_ids: list[int] = Field(min_length=1, max_length=1000)


class InvestigationPublic(Public):
    """An investigation (no personal data: the case by id)."""

    id: int
    case_id: int
    district_code: str
    state: InvestigationState
    window_start: datetime
    window_end: datetime
    window_basis: str
    opened_by: str


class IdentifierCreate(Strict):
    """A phone or card of the case, from the interview; only its key is kept."""

    kind: Literal["phone", "card"]
    value: str = Field(min_length=4, max_length=40, examples=["010-1234-5678"])


class IdentifierPublic(Public):
    id: int
    kind: str
    label: str  # masked


class DataRequestCreate(Strict):
    """Ask to read one source; the window defaults to the investigation's."""

    source: DataSource
    reason: str = Field(min_length=10, max_length=2000)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    contact_ids: list[int] = Field(
        default_factory=list,
        max_length=10_000,
        description="First-degree contacts whose movements are requested (source "
        "gps or place_devices), for contact-of-contact tracing; empty: the case's.",
    )


class DataRequestPublic(Public):
    id: int
    investigation_id: int
    source: DataSource
    window_start: datetime
    window_end: datetime
    reason: str
    state: RequestState
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    contact_ids: list[int]

    @field_validator("contact_ids", mode="before")
    @classmethod
    def _stored_as_json(cls, v: object) -> object:
        return json.loads(v) if isinstance(v, str) else v


class Decision(Strict):
    approve: bool
    note: str = Field("", max_length=2000)


class NoteCreate(Strict):
    """An interview note; with place_id, start and end, a self-reported stay."""

    text: str = Field(min_length=1, max_length=4000)
    place_id: int | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class NotePublic(Public):
    id: int
    text: str
    place_id: int | None
    t_start: datetime | None
    t_end: datetime | None
    created_by: str


class StayPublic(BaseModel):
    """One stay of the route, with its place and evidence."""

    t_start: datetime
    t_end: datetime
    lat: float
    lon: float
    place_id: int | None
    place_name: str | None
    place_kind: str | None
    sources: list[str]
    confidence: float
    n_pings: int


class ContactPublic(Public):
    """A close contact, known by a pseudonymous key until resolved."""

    id: int
    key: str = Field(description="The contact's pseudonymous key (16 hex digits).")
    kind: ExposureKind
    t_start: datetime
    t_end: datetime
    minutes: float
    distance_m: float | None
    risk: RiskLevel
    place_id: int | None
    sources: list[str]
    degree: int = Field(description="1: met the case; 2: met a contact of the case.")
    via_contact_id: int | None = Field(
        description="For a second-degree contact, the first-degree contact met."
    )


class OrderCreate(Strict):
    contact_ids: list[int] = Field(min_length=1, max_length=10_000)
    kind: OrderKind


class OrderPublic(Public):
    id: int
    contact_id: int
    kind: OrderKind
    start_on: date
    end_on: date
    district_code: str
    issued_by: str


class LinkPublic(BaseModel):
    infector: int
    infectee: int
    probability: float
    kind: str
    place_id: int | None


class ClusterSuggestion(BaseModel):
    case_ids: list[int]
    place_id: int | None
    kind: str


class NetworkPublic(BaseModel):
    """Transmission chains, suggested clusters and hot spots (case ids only)."""

    cases: int
    links: list[LinkPublic]
    clusters: list[ClusterSuggestion]
    hotspots: list[dict[str, int]]
    districts: list[dict[str, str | int]]
