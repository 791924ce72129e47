"""The public snapshot: what the public site serves, written on every publication.

The public site never touches the investigation database (the volunteer maps of
2020 fell over under load; the public-mask API took 9.6 million calls an hour). A
publication writes one JSON file — the published entries in their allowlisted
form, the withdrawn ids, the screening clinics — atomically (a temporary file,
fsync, rename), and the site serves it from memory. Copy the directory to a CDN or
another host and the public pages need nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.config import Settings
from outbreak.disclose.public import PublishedItem, public_exposure, visible
from outbreak.disclose.rules import Candidate, DisclosurePolicy
from outbreak.disclose.service import purge
from outbreak.errors import InvalidInput
from outbreak.files import write_atomic
from outbreak.geo import load_districts
from outbreak.store.tables import DisclosureRow, InvestigationRow
from outbreak.types import KST, DisclosureState

FORMAT = "outbreak-exposures/1"
SNAPSHOT_LOCK = 0x6F75_7462_7265_616B % 2**63  # "outbreak": one writer at a time
FILENAME = "exposures.json"


@dataclass(frozen=True)
class Snapshot:
    """A parsed snapshot."""

    generated_at: datetime
    items: tuple[PublishedItem, ...]
    withdrawn: tuple[str, ...]  # public ids
    clinics: tuple[dict[str, object], ...]
    etag: str


@lru_cache(maxsize=1)
def _names() -> dict[str, tuple[str, str]]:
    return {d.code: (d.name_ko, d.name_en) for d in load_districts()}


def district_names(code: str) -> tuple[str, str, str, str]:
    """(district ko, en, province ko, en) of a district code ("" when unknown)."""
    names = _names()
    d, p = names.get(code, ("", "")), names.get(code[:2], ("", ""))
    return d[0], d[1], p[0], p[1]


def published_items(
    session: Session, *, now: datetime, policy: DisclosurePolicy
) -> list[PublishedItem]:
    """Every published entry that is still public, in its allowlisted form; places
    become tokens that mean nothing outside this snapshot."""
    salt = secrets.token_bytes(16)
    rows = session.execute(
        sa.select(DisclosureRow, InvestigationRow)
        .join(InvestigationRow, InvestigationRow.id == DisclosureRow.investigation_id)
        .where(
            DisclosureRow.state == DisclosureState.PUBLISHED,
            DisclosureRow.expires_at > now,
        )
    ).all()
    return [item_of(row, inv, policy, salt=salt) for row, inv in rows]


def item_of(
    row: DisclosureRow,
    inv: InvestigationRow,
    policy: DisclosurePolicy,
    *,
    salt: bytes = b"",
) -> PublishedItem:
    """One entry's public form: its window rounded and clipped by the policy, its
    place a keyed token, its expiry rounded down to the policy's minutes (so it
    says no more than the window does, and an entry goes early, never late)."""
    start, end = policy.exposure_window(
        Candidate(
            place_id=row.place_id,
            kind=row.kind,
            t_start=row.t_start,
            t_end=row.t_end,
            window_start=inv.window_start,
            window_end=inv.window_end,
        )
    )
    exposure = public_exposure(
        public_id=row.public_id,
        district_code=row.district_code,
        names=district_names(row.district_code),
        kind=row.kind,
        name=row.name_public or row.name,
        address=row.address_public or row.address,
        lat=row.lat,
        lon=row.lon,
        start=start,
        end=end,
        disinfected=row.disinfected,
        residence_kinds=policy.residence_kinds,
    )
    place = hmac.new(salt, str(row.place_id).encode(), hashlib.sha256).hexdigest()
    step = timedelta(minutes=policy.round_min)
    since = row.expires_at - datetime.min.replace(tzinfo=row.expires_at.tzinfo)
    expires = row.expires_at - since % step
    return PublishedItem(exposure, place[:16], expires)


def withdrawn_ids(session: Session, *, now: datetime) -> list[str]:
    """Ids that were public and are no more (feeds tell their readers), kept only
    while the exposure itself could have been public; no date (one day shared by
    one case's withdrawals would link them)."""
    rows = session.scalars(
        sa.select(DisclosureRow.public_id).where(
            DisclosureRow.published_at.is_not(None),
            DisclosureRow.state.in_(
                [DisclosureState.WITHDRAWN, DisclosureState.HIDDEN]
            ),
            DisclosureRow.expires_at > now,
        )
    ).all()
    return sorted(rows)


def clinics_of(registry: Path) -> list[dict[str, object]]:
    """Screening clinics from the place registry (``places.parquet``), if any."""
    path = registry / "places.parquet"
    if not path.exists():
        return []
    t = pq.read_table(path).to_pylist()
    return [
        {
            "name": r.get("name", ""),
            "address": r.get("address", ""),
            "phone": r.get("phone", ""),
            "district_code": r.get("district_code", ""),
            "lat": round(float(r["lat"]), 5),
            "lon": round(float(r["lon"]), 5),
        }
        for r in t
        if r["kind"] == "screening_clinic"
    ]


def build(
    items: list[PublishedItem],
    withdrawn: list[str],
    clinics: list[dict[str, object]],
    *,
    now: datetime,
) -> bytes:
    """The snapshot document, as bytes (items in public order, not by case)."""
    doc = {
        "format": FORMAT,
        "generated_at": now.astimezone(KST).isoformat(),
        "items": [
            i.as_json()
            for i in sorted(
                items, key=lambda i: (i.exposure.district_code, i.exposure.id)
            )
        ],
        "withdrawn": withdrawn,
        "clinics": clinics,
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def write(directory: Path, data: bytes) -> Path:
    """Replace the snapshot in ``directory`` atomically."""
    path = directory / FILENAME
    write_atomic(path, data)
    return path


def publish_snapshot(
    session: Session,
    directory: Path,
    *,
    now: datetime,
    policy: DisclosurePolicy,
    registry: Path | None = None,
) -> Path:
    """Write what is public now (after committing the change that caused it)."""
    clinics = clinics_of(registry) if registry is not None else []
    data = build(
        published_items(session, now=now, policy=policy),
        withdrawn_ids(session, now=now),
        clinics,
        now=now,
    )
    return write(directory, data)


def policy_for(settings: Settings) -> DisclosurePolicy:
    """The disclosure policy of a deployment."""
    return DisclosurePolicy(retention_days=settings.retention_disclosure_days)


def refresh(session: Session, settings: Settings, *, now: datetime) -> Path:
    """After a change that can alter what is public: commit, delete what has
    expired, and rewrite the snapshot from what is committed.

    Writers take turns (a PostgreSQL advisory lock; SQLite's write lock), each
    reading after the previous one wrote: two publications at once cannot leave
    the older state in the file. If writing fails after the commit, the error
    reaches the caller and the next refresh (or ``outbreak disclose snapshot``)
    writes the state again.
    """
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(SNAPSHOT_LOCK)))
    purge(session, now=now)
    path = publish_snapshot(
        session,
        settings.public_path,
        now=now,
        policy=policy_for(settings),
        registry=settings.registry_path,
    )
    session.commit()  # releases the lock
    return path


def parse(data: bytes) -> Snapshot:
    """Read a snapshot; refuses another format or fields outside the allowlist."""
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise InvalidInput(
                f"Not an exposure snapshot (format {doc.get('format')!r}, "
                f"expected {FORMAT!r})",
                field="snapshot",
            )
        return Snapshot(
            generated_at=datetime.fromisoformat(doc["generated_at"]),
            items=tuple(PublishedItem.from_json(d) for d in doc["items"]),
            withdrawn=tuple(str(w) for w in doc["withdrawn"]),
            clinics=tuple(doc["clinics"]),
            etag=hashlib.sha256(data).hexdigest()[:20],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            f"Malformed exposure snapshot: {exc}", field="snapshot"
        ) from None


def empty(now: datetime) -> Snapshot:
    """What the site serves before anything was published."""
    return Snapshot(now, (), (), (), "empty")


def next_change(items: tuple[PublishedItem, ...], *, now: datetime) -> datetime:
    """When the public list next changes by itself (an item expires), or a day on."""
    live = visible(items, now=now)
    later = now + timedelta(days=1)
    return min((i.expires_at for i in live), default=later)
