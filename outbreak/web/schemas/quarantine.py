"""Self-quarantine: officers' orders and alerts, the citizen app's reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from outbreak.quarantine.rules import SYMPTOMS
from outbreak.types import (
    AlertRule,
    AlertState,
    QuarantineSource,
    QuarantineState,
    ReportKind,
)
from outbreak.web.schemas.common import Public, Strict


class FenceIn(Strict):
    lat: float = Field(ge=33, le=39, examples=[37.4979])
    lon: float = Field(ge=124, le=132, examples=[127.0276])
    radius_m: float = Field(100, ge=10, le=5000)


class QuarantineCreate(Strict):
    """Either ``action_order_id`` (a contact's quarantine order from an
    investigation) or ``person_key`` with a period (an arrival from abroad)."""

    fence: FenceIn
    action_order_id: int | None = None
    person_key: str | None = Field(None, min_length=32, max_length=32)
    district_code: str | None = Field(None, min_length=5, max_length=5)
    start_on: date | None = None
    end_on: date | None = None
    address: str | None = Field(None, max_length=200)
    test_required: bool = False


class QuarantineIssued(BaseModel):
    order: QuarantineOrderPublic
    token: str = Field(
        description="The citizen app's token for this order, shown once; empty when "
        "the order already existed."
    )


class AlertPublic(Public):
    id: int
    order_id: int
    rule: AlertRule
    state: AlertState
    raised_at: datetime
    level: int
    acknowledged_by: str | None
    note: str


class QuarantineOrderPublic(Public):
    """An order as officers see it (the address stays encrypted at rest)."""

    id: int
    key: str = Field(description="The person's pseudonymous key (16 hex digits).")
    source: QuarantineSource
    district_code: str
    start_on: date
    end_on: date
    officer: str
    state: QuarantineState
    test_required: bool
    negative_test_on: date | None
    band_paired: bool


class WorkItemPublic(BaseModel):
    order: QuarantineOrderPublic
    alerts: list[AlertPublic]
    checks_today: int
    last_inside: bool | None = Field(description="The latest location: in the fence?")
    risk: int


class StateChange(Strict):
    state: Literal["active", "released", "breached", "converted"]
    negative_test_on: date | None = None


class Extension(Strict):
    days: int = Field(ge=1, le=30)


class BandPairing(Strict):
    band_id: str = Field(min_length=3, max_length=40)
    consent: bool


class BulkAction(Strict):
    order_ids: list[int] = Field(min_length=1, max_length=1000)
    action: Literal["extend", "release", "convert", "test"]
    days: int = Field(7, ge=1, le=30, description="For extend.")


class Acknowledgement(Strict):
    note: str = Field("", max_length=2000)


class TimelineEntry(Public):
    """A report as the officer sees it: a location is only in or out of the fence."""

    id: int
    kind: ReportKind
    t: datetime
    temperature_c: float | None
    symptoms: str
    inside: bool | None
    band_distance_m: float | None
    band_tampered: bool | None
    alerting: bool


class ReportIn(Strict):
    kind: ReportKind
    client_id: str = Field(
        min_length=1,
        max_length=64,
        description="The app's id for "
        "this report; a retry with the same id is stored once.",
    )
    t: AwareDatetime
    temperature_c: float | None = Field(None, ge=30, le=45)
    symptoms: list[Literal[tuple(sorted(SYMPTOMS))]] = Field(default_factory=list)  # type: ignore[valid-type]
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=10_000)
    band_distance_m: float | None = Field(None, ge=0, le=1000)
    band_tampered: bool | None = None


class ReportBatch(Strict):
    reports: list[ReportIn] = Field(min_length=1, max_length=500)


class ReportsAccepted(BaseModel):
    accepted: int
    duplicates: int
    alerts: int = Field(description="Alerts the batch raised for the officer.")


class AppOrder(BaseModel):
    """What the app shows its user about their own order."""

    state: QuarantineState
    start_on: date
    end_on: date
    fence_lat: float
    fence_lon: float
    fence_radius_m: float
    band_paired: bool


QuarantineIssued.model_rebuild()
