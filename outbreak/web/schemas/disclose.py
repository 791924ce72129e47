"""Disclosure: the communicator's entries, and what the public sees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from outbreak.types import DisclosureState
from outbreak.web.schemas.common import Public, Strict


class ExposurePublic(BaseModel):
    """One published exposure place: the whole allowlist (no case, no person)."""

    id: str = Field(description="Random id; stable while the entry is public.")
    district_code: str = Field(examples=["11230"])
    district: str = Field(examples=["강남구"])
    district_en: str = Field(examples=["Gangnam-gu"])
    province: str = Field(examples=["서울특별시"])
    province_en: str = Field(examples=["Seoul"])
    kind: str = Field(examples=["restaurant"])
    name: str
    address: str
    lat: float
    lon: float
    exposure_start: datetime = Field(description="KST, rounded to 10 minutes.")
    exposure_end: datetime
    disinfected: bool


class ExposuresPage(BaseModel):
    data: list[ExposurePublic]
    count: int
    limit: int
    offset: int
    generated_at: datetime = Field(description="When the snapshot was published.")


class ClinicPublic(BaseModel):
    name: str
    address: str
    phone: str
    district_code: str
    lat: float
    lon: float


Bucket = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


class SelfCheckIn(Strict):
    """Coarse hashed space-time buckets of the app's own locations."""

    buckets: list[Bucket] = Field(max_length=20_000)


class SelfCheckOut(BaseModel):
    matches: list[ExposurePublic]
    buckets_matched: int


class DisclosurePublic(Public):
    """A disclosure entry as the communicator reviews it (staff only)."""

    id: int
    investigation_id: int
    public_id: str
    state: DisclosureState
    withheld_by: list[str]
    place_id: int
    kind: str
    name: str
    address: str
    name_public: str | None
    address_public: str | None
    district_code: str
    t_start: datetime
    t_end: datetime
    expires_at: datetime
    contacts_identified: bool
    public_risk: bool
    public_risk_reason: str
    disinfected: bool
    hidden_reason: str
    published_at: datetime | None
    published_by: str | None

    @field_validator("withheld_by", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        """Stored as comma-separated rule codes."""
        return [c for c in value.split(",") if c] if isinstance(value, str) else value


class DeriveIn(Strict):
    investigation_ids: list[int] | None = Field(
        None, description="Only these investigations (default: every one in scope)."
    )


class DeriveOut(BaseModel):
    investigations: int
    created: int
    withdrawn: list[int]
    changed: list[int]
    removed: int
    withheld: dict[str, int]


class DisclosureEdit(Strict):
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    disinfected: bool | None = None


class Reason(Strict):
    reason: str = Field(min_length=10, max_length=500)


class Identified(Strict):
    identified: bool = True


class PublishIn(Strict):
    entry_ids: list[int] = Field(min_length=1, max_length=10_000)


class RulePublic(BaseModel):
    code: str
    description: str
