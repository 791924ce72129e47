"""Exposure notification key server: codes for staff, uploads from the apps, and
the public export files.

``router`` needs the database; ``public_router`` serves files only (no database
dependency at all), so that it can also run in a public-only app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from outbreak.disclose import keyserver
from outbreak.disclose.gaen import KeyJson
from outbreak.errors import NotFound
from outbreak.web.deps import AccessDep, SessionDep, SettingsDep
from outbreak.web.schemas.en import (
    CodeIssued,
    CodeRequest,
    PublishRequest,
    PublishResponse,
)

router = APIRouter(prefix="/api/v1/en", tags=["exposure notification"])
public_router = APIRouter(prefix="/public/en", tags=["exposure notification files"])
EXPORT_NAME = r"^\d{10}-\d{10}-\d{5}$"  # <start>-<end>-<batch>, as export_batch names
EXPORT_MAX_AGE_S = 3600  # how long a cached export may outlive its deletion


@router.post(
    "/verification-codes",
    status_code=status.HTTP_201_CREATED,
    response_model=CodeIssued,
)
def issue_code(body: CodeRequest, access: AccessDep, settings: SettingsDep) -> object:
    """Issue a single-use upload code for a confirmed case (audited); the code is
    shown once."""
    issued = keyserver.issue_code(
        access,
        body.case_id,
        now=datetime.now(UTC),
        lifetime_min=settings.en_code_lifetime_min,
    )
    return CodeIssued(
        code=issued.code, case_id=issued.case_id, expires_at=issued.expires_at
    )


@router.post("/publish", response_model=PublishResponse)
def publish(body: PublishRequest, session: SessionDep, settings: SettingsDep) -> object:
    """Upload diagnosis keys with a verification code (no login: the code is the
    credential). All keys are stored or none; the code is then used up."""
    keys = [
        KeyJson(
            key=k.key,
            rollingStartNumber=k.rolling_start_number,
            rollingPeriod=k.rolling_period,
            transmissionRisk=k.transmission_risk,
            daysSinceOnsetOfSymptoms=k.days_since_onset_of_symptoms,
        )
        for k in body.temporary_exposure_keys
    ]
    upload = keyserver.Upload(
        verification_code=body.verification_payload,
        keys=keys,
        regions=body.regions,
        symptom_onset_interval=body.symptom_onset_interval,
    )
    inserted = keyserver.publish_keys(
        session, upload, now=datetime.now(UTC), region=settings.en_region
    )
    return PublishResponse(inserted_exposures=inserted)


def _serve(directory: Path, name: str, media_type: str, max_age: int) -> FileResponse:
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()) or not path.is_file():
        raise NotFound(f"No exposure-key file {name!r}", field="name")
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": f"public, max-age={max_age}"},
    )


@public_router.get("/index.txt", response_class=FileResponse)
def index(settings: SettingsDep) -> FileResponse:
    """The current export files, one path (relative to ``/public/``) per line,
    newest last."""
    directory = settings.public_path / keyserver.EXPORT_DIR
    return _serve(directory, keyserver.INDEX, "text/plain; charset=utf-8", 300)


@public_router.get("/signing-key.pem", response_class=FileResponse)
def signing_key(settings: SettingsDep) -> FileResponse:
    """The public key that verifies the exports' signatures."""
    directory = settings.public_path / keyserver.EXPORT_DIR
    return _serve(directory, keyserver.PUBLIC_KEY, "application/x-pem-file", 3600)


@public_router.get("/{name}.zip", response_class=FileResponse)
def export_file(
    name: Annotated[str, PathParam(pattern=EXPORT_NAME)], settings: SettingsDep
) -> FileResponse:
    """A signed export (``export.bin`` and ``export.sig``); never changes."""
    directory = settings.public_path / keyserver.EXPORT_DIR
    # The file never changes, but purge deletes it when its keys are 14 days past
    # their end; a cached copy must not go on serving them much longer than that.
    return _serve(directory, f"{name}.zip", "application/zip", EXPORT_MAX_AGE_S)
