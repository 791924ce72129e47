"""API schemas for users, tokens, audit entries and districts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from outbreak.types import Role
from outbreak.web.schemas.common import Public, Strict


class Token(Public):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class UserCreate(Strict):
    """A user to create."""

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=10, max_length=200)
    display_name: str = Field("", max_length=120)
    roles: set[Role] = Field(min_length=1)
    scopes: set[str] = Field(
        min_length=1, description="District-code prefixes ('11', '11230') or '*'."
    )


class UserPublic(Public):
    """A user, without any secret."""

    username: str
    roles: list[Role]
    scopes: list[str]


class ApiKeyCreate(Strict):
    """An API key to issue."""

    name: str = Field(min_length=2, max_length=80)


class ApiKeyIssued(Public):
    """A new API key, shown once."""

    name: str
    key: str


class AuditEntryPublic(Public):
    """One audit entry."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str
    outcome: str
    detail: str
    hash: str


class AuditVerifyPublic(Public):
    """The result of verifying the audit chain."""

    ok: bool
    count: int
    head_hash: str | None
    problems: list[str]


class DistrictPublic(Public):
    """A district (province or municipality)."""

    code: str
    name_ko: str
    name_en: str
    level: str
    parent_code: str | None


class DistrictCount(Public):
    """Active cases in one district (an aggregate)."""

    code: str
    name_ko: str
    name_en: str
    active_cases: int


class Health(Public):
    """Service health."""

    status: str
    database: str
    schema_revision: str | None
    version: str
