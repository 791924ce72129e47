"""Exposure notification: verification codes (staff) and the apps' key uploads.

The upload body follows the GAEN key server's v1 publish JSON (camelCase). Types
are checked here; ranges, lengths and the 14-day window are the domain's rules
(``outbreak.disclose.gaen``), whose errors name the key, e.g.
``temporaryExposureKeys[2].rollingStartNumber``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from outbreak.web.schemas.common import Strict

Region = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["KR"])]


class CodeRequest(Strict):
    """Which confirmed case gets an upload code."""

    case_id: int = Field(gt=0)


class CodeIssued(BaseModel):
    """A verification code, shown once: give it to the person for their app."""

    code: str = Field(description="12 digits; single use; stored only as a hash.")
    case_id: int
    expires_at: datetime


class _Camel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ExposureKeyIn(_Camel):
    """One temporary exposure key from the app."""

    key: str = Field(max_length=64, description="Base64 (RFC 4648) of the 16-byte key.")
    rolling_start_number: int = Field(
        alias="rollingStartNumber",
        description="ENIntervalNumber (10-minute intervals since the epoch) at "
        "which the key became valid.",
    )
    rolling_period: int = Field(
        144, alias="rollingPeriod", description="Intervals the key was valid, 1–144."
    )
    transmission_risk: int = Field(
        0, alias="transmissionRisk", description="0 (unknown) to 8."
    )
    days_since_onset_of_symptoms: int | None = Field(
        None, alias="daysSinceOnsetOfSymptoms", description="−14 to 14, if known."
    )


class PublishRequest(_Camel):
    """An upload of diagnosis keys; ``verificationPayload`` carries the code.

    ``healthAuthorityID``, ``hmacKey``, ``revisionToken``, ``traveler``,
    ``platform`` and ``deviceVerificationPayload`` are fields of the GAEN
    server's publish API that this server accepts for compatibility but does not
    use (no verification certificates, no revisions).
    """

    temporary_exposure_keys: list[ExposureKeyIn] = Field(
        alias="temporaryExposureKeys", max_length=64
    )
    verification_payload: str = Field(
        alias="verificationPayload",
        min_length=1,
        max_length=64,
        description="The verification code the health authority issued.",
    )
    regions: list[Region] = Field(default_factory=list, max_length=8)
    app_package_name: str | None = Field(None, alias="appPackageName", max_length=256)
    padding: str = Field(
        "", max_length=65536, description="Random data to hide the request size."
    )
    health_authority_id: str | None = Field(
        None, alias="healthAuthorityID", max_length=256
    )
    hmac_key: str | None = Field(None, alias="hmacKey", max_length=256)
    symptom_onset_interval: int | None = Field(None, alias="symptomOnsetInterval")
    traveler: bool = False
    revision_token: str | None = Field(None, alias="revisionToken", max_length=4096)
    platform: str | None = Field(None, max_length=16)
    device_verification_payload: str | None = Field(
        None, alias="deviceVerificationPayload", max_length=8192
    )


class PublishResponse(_Camel):
    """How many keys were stored (all of the upload)."""

    inserted_exposures: int = Field(alias="insertedExposures")
