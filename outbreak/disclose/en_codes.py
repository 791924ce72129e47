"""Exposure-notification verification codes and key uploads (see
:mod:`outbreak.disclose.keyserver`)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.cases.lifecycle import ACTIVE_STATES
from outbreak.cases.service import checked_case
from outbreak.disclose.gaen import (
    UPLOAD_FIELD,
    DiagnosisKey,
    KeyJson,
    expires_at,
    parse_upload,
)
from outbreak.errors import Conflict, InvalidInput, PermissionDenied
from outbreak.store.tables import DiagnosisKeyRow, EnVerificationCodeRow

CODE_DIGITS = 12  # ~40 bits: typed by hand, single use, expires
CODE_FIELD = "verificationPayload"


# --- verification codes ---------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """A verification code, shown once; only its hash is stored."""

    code: str
    case_id: int
    expires_at: datetime


def code_hash(code: str) -> str:
    """SHA-256 of a code, ignoring spaces and hyphens people type between groups."""
    normal = "".join(code.split()).replace("-", "")
    return hashlib.sha256(normal.encode()).hexdigest()


def issue_code(
    access: Access, case_id: int, *, now: datetime, lifetime_min: int
) -> IssuedCode:
    """Issue a single-use upload code for a confirmed case in isolation or hospital.

    Raises
    ------
    NotFound
        No such case.
    PermissionDenied
        The caller lacks ``en.code.issue`` over the case's district (audited).
    Conflict
        The case is released or deceased.
    """
    case = checked_case(
        access,
        case_id,
        Permission.EN_CODE_ISSUE,
        detail="exposure-notification verification code",
    )
    if case.state not in ACTIVE_STATES:
        raise Conflict(
            f"Case {case_id} is {case.state.value}; verification codes are issued "
            "only for a confirmed case in isolation or in hospital",
            field="case_id",
        )
    session = access.session
    while True:  # a clash among 10^12 codes is rare; draw again
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        digest = code_hash(code)
        taken = sa.select(EnVerificationCodeRow.id).filter_by(code_hash=digest)
        if session.scalar(taken) is None:
            break
    row = EnVerificationCodeRow(
        code_hash=digest,
        case_id=case_id,
        issued_by=access.principal.username,
        issued_at=now,
        expires_at=now + timedelta(minutes=lifetime_min),
    )
    session.add(row)
    session.flush()
    return IssuedCode(code=code, case_id=case_id, expires_at=row.expires_at)


# --- uploads ----------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A publish request: the code and the keys in the API's JSON form."""

    verification_code: str
    keys: Sequence[KeyJson]
    regions: Sequence[str] = ()
    symptom_onset_interval: int | None = None


def _day(t: datetime) -> datetime:
    # The code's use and the keys' arrival are kept to the UTC day only, so that
    # they line up no closer than "the same day" ("Privacy" in
    # docs/exposure-notification.md); exports need no finer time.
    return t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _usable_code(
    session: Session, code: str, *, now: datetime
) -> EnVerificationCodeRow:
    row = session.scalar(
        sa.select(EnVerificationCodeRow)
        .filter_by(code_hash=code_hash(code))
        .with_for_update()
    )
    if row is None:
        raise PermissionDenied(
            "Unknown verification code; check the digits, or ask the health "
            "authority for a new code",
            field=CODE_FIELD,
        )
    if row.used_at is not None:
        raise Conflict(
            "This verification code was already used; each code uploads once. Ask "
            "the health authority for a new code",
            field=CODE_FIELD,
        )
    if row.expires_at <= now:
        raise PermissionDenied(
            f"This verification code expired at {row.expires_at.isoformat()}; ask "
            "the health authority for a new code",
            field=CODE_FIELD,
        )
    return row


def publish_keys(
    session: Session, upload: Upload, /, *, now: datetime, region: str
) -> int:
    """Store an upload's diagnosis keys and use up its code, all or nothing.

    Everything is checked before anything is written, so a bad key stores nothing
    and leaves the code unused (the caller's transaction rolls back on error).

    Returns
    -------
    int
        How many keys were stored.

    Raises
    ------
    PermissionDenied
        Unknown or expired code (``field="verificationPayload"``).
    Conflict
        The code was already used, or a key was already published.
    InvalidInput
        A bad key (see :func:`outbreak.disclose.gaen.check_keys`) or a region this
        server does not publish.
    """
    code = _usable_code(session, upload.verification_code, now=now)
    if upload.regions and region not in upload.regions:
        raise InvalidInput(
            f"This server publishes keys for region {region}; got "
            f"{list(upload.regions)}",
            field="regions",
        )
    keys = parse_upload(
        upload.keys, now=now, symptom_onset_interval=upload.symptom_onset_interval
    )
    _refuse_known(session, keys)
    received = _day(now)
    used = session.execute(
        sa.update(EnVerificationCodeRow)
        .where(
            EnVerificationCodeRow.id == code.id,
            EnVerificationCodeRow.used_at.is_(None),
        )
        .values(used_at=received)
        .execution_options(synchronize_session="fetch")
    )
    if cast(Any, used).rowcount != 1:  # another upload with the code won the race
        raise Conflict("This verification code was already used", field=CODE_FIELD)
    rows = [_row(key, region=region, received=received) for key in keys]
    secrets.SystemRandom().shuffle(rows)  # stored in no order that shows the upload's
    session.add_all(rows)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            "A key of this upload was published at the same moment by another "
            "upload; nothing was stored",
            field=UPLOAD_FIELD,
        ) from None
    return len(keys)


def _refuse_known(session: Session, keys: Sequence[DiagnosisKey]) -> None:
    datas = [k.key_data for k in keys]
    known = set(
        session.scalars(
            sa.select(DiagnosisKeyRow.key_data).where(
                DiagnosisKeyRow.key_data.in_(datas)
            )
        )
    )
    for i, data in enumerate(datas):
        if data in known:
            raise Conflict(
                f"Key {i} was already published; nothing of this upload was stored",
                field=f"{UPLOAD_FIELD}[{i}].key",
            )


def _row(key: DiagnosisKey, *, region: str, received: datetime) -> DiagnosisKeyRow:
    return DiagnosisKeyRow(
        key_data=key.key_data,
        rolling_start=key.rolling_start_interval_number,
        rolling_period=key.rolling_period,
        transmission_risk=key.transmission_risk,
        days_since_onset=key.days_since_onset,
        region=region,
        received_at=received,
        purge_after=expires_at(key),
    )
