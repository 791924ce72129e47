"""API schemas for people, cases, clusters and contacts (the allowlists)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from outbreak.types import (
    CaseState,
    ClusterKind,
    ExposureKind,
    IdentifierKind,
    InfectionSource,
    RiskLevel,
)
from outbreak.web.schemas.common import DistrictCode, PersonKey, Public, Strict


class PersonCreate(Strict):
    """A person to register. The identifier is pseudonymised and never stored."""

    identifier: str = Field(
        min_length=6, max_length=32, description="National ID, phone or passport no."
    )
    identifier_kind: IdentifierKind
    district_code: DistrictCode = Field(description="District of residence.")
    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    birth_year: int | None = Field(None, ge=1880, le=2100)
    sex: Literal["F", "M", "X"] | None = None


class PersonRef(Public):
    """The key a registered person is known by."""

    key: str
    district_code: str


class PersonPublic(Public):
    """A person's details, for an authorised and audited caller."""

    key: str
    district_code: str
    birth_year: int | None
    sex: str | None
    name: str | None
    phone: str | None
    address: str | None


class CaseCreate(Strict):
    """A confirmed case to open."""

    person_key: PersonKey
    district_code: DistrictCode = Field(description="District managing the case.")
    confirmed_on: date = Field(description="Date the positive result confirmed it.")
    sample_on: date = Field(description="Date the sample was taken.")
    onset_on: date | None = Field(
        None, description="Symptom onset; none if asymptomatic."
    )
    source: InfectionSource = InfectionSource.UNKNOWN


class CaseUpdate(Strict):
    """Corrections to a case; state changes go through transitions."""

    onset_on: date | None = None
    sample_on: date | None = None
    source: InfectionSource | None = None
    clear_onset: bool = Field(False, description="Set true to mark asymptomatic.")


class CaseTransition(Strict):
    """A state change of a case."""

    state: CaseState
    on: date


class CasePublic(Public):
    """A confirmed case."""

    id: int
    person_key: str
    district_code: str
    confirmed_on: date
    sample_on: date
    onset_on: date | None
    source: InfectionSource
    state: CaseState
    state_on: date
    created_at: datetime
    updated_at: datetime


class CaseEventPublic(Public):
    """One state change in a case's history."""

    state: CaseState
    on: date
    by_user: str
    at: datetime


class ClusterCreate(Strict):
    """A cluster to name."""

    name: str = Field(min_length=2, max_length=120)
    kind: ClusterKind
    district_code: DistrictCode
    description: str = Field("", max_length=2000)


class ClusterPublic(Public):
    """A cluster and its size."""

    id: int
    name: str
    kind: ClusterKind
    district_code: str
    description: str
    size: int = 0
    case_ids: list[int] | None = None


class ClusterLink(Strict):
    """A case to add to a cluster."""

    case_id: int = Field(ge=1)


class ContactCreate(Strict):
    """An exposure of a registered person to an index case."""

    person_key: PersonKey
    kind: ExposureKind
    exposure_start: AwareDatetime = Field(description="ISO 8601 with a UTC offset.")
    exposure_end: AwareDatetime
    risk: RiskLevel = RiskLevel.MEDIUM


class ContactPublic(Public):
    """A contact of an index case."""

    id: int
    index_case_id: int
    person_key: str
    kind: ExposureKind
    exposure_start: datetime
    exposure_end: datetime
    risk: RiskLevel


class ContactUpdate(Strict):
    """Changes to a contact; give the whole window when changing it."""

    risk: RiskLevel | None = None
    exposure_start: AwareDatetime | None = None
    exposure_end: AwareDatetime | None = None


class ClusterUpdate(Strict):
    """Changes to a cluster."""

    name: str | None = Field(None, min_length=2, max_length=120)
    kind: ClusterKind | None = None
    district_code: DistrictCode | None = None
    description: str | None = Field(None, max_length=2000)
