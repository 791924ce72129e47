"""Exposure-key export files, ``index.txt``, retention and the signing key (see
:mod:`outbreak.disclose.keyserver`)."""

from __future__ import annotations

import logging
import os
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from outbreak.config import Settings
from outbreak.disclose.gaen import (
    RETENTION_DAYS,
    DiagnosisKey,
    interval_number,
    interval_start,
)
from outbreak.disclose.gaen_export import (
    MAX_KEYS_PER_FILE,
    Export,
    SignatureInfo,
    public_key_pem,
    split,
    write_export,
)
from outbreak.errors import ConfigError
from outbreak.files import write_atomic
from outbreak.store.tables import DiagnosisKeyRow, EnExportRow, EnVerificationCodeRow

log = logging.getLogger(__name__)
EXPORT_DIR = "en"  # under the public directory
INDEX = "index.txt"
PUBLIC_KEY = "signing-key.pem"


def _key(row: DiagnosisKeyRow) -> DiagnosisKey:
    return DiagnosisKey(
        key_data=row.key_data,
        rolling_start_interval_number=row.rolling_start,
        rolling_period=row.rolling_period,
        transmission_risk=row.transmission_risk,
        days_since_onset=row.days_since_onset,
    )


# --- exports ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportConfig:
    """Where and how exports are written: region, directory, signature info."""

    region: str
    directory: Path
    info: SignatureInfo
    max_keys_per_file: int = MAX_KEYS_PER_FILE

    @classmethod
    def from_settings(cls, settings: Settings) -> ExportConfig:
        """The configuration in force: ``<public_dir>/en``, region and key id."""
        return cls(
            region=settings.en_region,
            directory=settings.public_path / EXPORT_DIR,
            info=SignatureInfo(settings.en_key_id, settings.en_key_version),
        )


def export_batch(
    session: Session,
    config: ExportConfig,
    /,
    *,
    now: datetime,
    signing_key: ec.EllipticCurvePrivateKey,
) -> list[EnExportRow]:
    """Write signed export files of the keys whose validity has ended.

    The window runs from the previous export's end to ``now`` (rounded down to the
    10-minute interval). A key still valid at the window's end waits for a later
    export: publishing it earlier would let anyone broadcast it. The window's keys
    go into one file (or more, above ``max_keys_per_file``) per UTC day on which
    their validity ended, so that a file's keys expire together and :func:`purge`
    can delete it when they do. ``index.txt`` and the public key are rewritten
    every time.

    Returns
    -------
    list of EnExportRow
        The new files (none when no key is due).
    """
    end = interval_start(interval_number(now))
    last = session.scalar(
        sa.select(sa.func.max(EnExportRow.end_at)).filter_by(region=config.region)
    )
    rows = (
        _due(session, config.region, end=end, now=now) if not last or last < end else []
    )
    written: list[EnExportRow] = []
    if rows:
        start = last or min(min(r.received_at for r in rows), end)
        written = _write_batches(session, config, rows, (start, end), signing_key)
    write_atomic(config.directory / PUBLIC_KEY, public_key_pem(signing_key))
    write_index(session, config)
    return written


def _due(
    session: Session, region: str, *, end: datetime, now: datetime
) -> list[DiagnosisKeyRow]:
    k = DiagnosisKeyRow
    return list(
        session.scalars(
            sa.select(k)
            .where(
                k.region == region,
                k.export_id.is_(None),
                k.rolling_start + k.rolling_period
                <= sa.literal(interval_number(end), sa.Integer),
                k.purge_after > now,
            )
            .with_for_update()  # a concurrent run waits, then finds them exported
        )
    )


def _write_batches(
    session: Session,
    config: ExportConfig,
    rows: list[DiagnosisKeyRow],
    window: tuple[datetime, datetime],
    signing_key: ec.EllipticCurvePrivateKey,
) -> list[EnExportRow]:
    start, end = window
    by_data = {r.key_data: r for r in rows}
    batches = [
        batch
        for day in _by_end_day(rows)
        for batch in split((_key(r) for r in day), max_keys=config.max_keys_per_file)
    ]
    written = []
    for num, keys in enumerate(batches, start=1):  # numbered across the window
        export = Export(config.region, start, end, keys, num, len(batches))
        name = f"{int(start.timestamp())}-{int(end.timestamp())}-{num:05d}.zip"
        data = write_export(export, signing_key=signing_key, info=config.info)
        write_atomic(config.directory / name, data)
        row = EnExportRow(
            region=config.region,
            start_at=start,
            end_at=end,
            batch_num=num,
            batch_size=len(batches),
            file_name=name,
            key_count=len(keys),
            purge_after=min(by_data[k.key_data].purge_after for k in keys),
        )
        session.add(row)
        session.flush()
        for key in keys:
            by_data[key.key_data].export_id = row.id
        written.append(row)
    session.flush()
    return written


def _by_end_day(rows: list[DiagnosisKeyRow]) -> list[list[DiagnosisKeyRow]]:
    """The keys grouped by the UTC day their validity ended, oldest day first."""
    days: defaultdict[date, list[DiagnosisKeyRow]] = defaultdict(list)
    for r in rows:
        days[interval_start(r.rolling_start + r.rolling_period).date()].append(r)
    return [days[d] for d in sorted(days)]


def write_index(session: Session, config: ExportConfig) -> Path:
    """Rewrite ``index.txt``: one ``en/<file>.zip`` per current export, newest
    last (the paths are relative to the public directory, as Google's server
    lists them relative to its bucket)."""
    names = session.scalars(
        sa.select(EnExportRow.file_name)
        .filter_by(region=config.region)
        .order_by(EnExportRow.end_at, EnExportRow.batch_num)
    )
    text = "".join(f"{EXPORT_DIR}/{name}\n" for name in names)
    path = config.directory / INDEX
    write_atomic(path, text.encode())
    return path


# --- retention --------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    """What :func:`purge` deleted."""

    keys: int
    exports: int
    codes: int


def purge(session: Session, config: ExportConfig, /, *, now: datetime) -> Purged:
    """Delete what can no longer be matched: keys 14 days after their last
    interval; an export file (file, row and ``index.txt`` entry) once its first key
    is due, with all its keys, so that no file outlives a key it holds; and
    verification codes 14 days past their expiry.

    The other keys of a file are due less than a day later (a file holds keys that
    ended on one UTC day); deleting them with their file keeps them from being
    exported again.
    """
    cutoff = now - timedelta(days=RETENTION_DAYS)
    old = list(
        session.scalars(sa.select(EnExportRow).where(EnExportRow.purge_after <= now))
    )
    keys = session.execute(
        sa.delete(DiagnosisKeyRow).where(
            sa.or_(
                DiagnosisKeyRow.purge_after <= now,
                DiagnosisKeyRow.export_id.in_([r.id for r in old]),
            )
        )
    )
    for row in old:
        (config.directory / row.file_name).unlink(missing_ok=True)
        session.delete(row)
    codes = session.execute(
        sa.delete(EnVerificationCodeRow).where(
            EnVerificationCodeRow.expires_at <= cutoff
        )
    )
    session.flush()
    write_index(session, config)
    return Purged(
        keys=cast(Any, keys).rowcount, exports=len(old), codes=cast(Any, codes).rowcount
    )


# --- the signing key ------------------------------------------------------------


def load_signing_key(path: Path, *, create: bool) -> ec.EllipticCurvePrivateKey:
    """The P-256 export signing key from a PEM file, created there if allowed.

    Raises
    ------
    ConfigError
        The file is missing (and ``create`` is false) or holds no P-256 key.
    """
    if not path.exists():
        if not create:
            raise ConfigError(
                f"No export signing key at {path}; set OUTBREAK_EN_SIGNING_KEY_FILE "
                "to the PEM of the P-256 key whose public half is registered with "
                "Apple and Google"
            )
        _create_key(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise ConfigError(
            f"OUTBREAK_EN_SIGNING_KEY_FILE {path} is not an unencrypted PEM private key"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise ConfigError(
            f"OUTBREAK_EN_SIGNING_KEY_FILE {path} is not an ECDSA P-256 key"
        )
    return key


def _create_key(path: Path) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        # not write_atomic: a link never replaces a key another process just created
        os.link(tmp, path)
        log.warning("Created export signing key %s; register its public key", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def signing_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The configured signing key; created at first use unless ``env=prod``."""
    return load_signing_key(settings.en_signing_key_path, create=settings.env != "prod")
