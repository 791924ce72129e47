"""Audit log queries: append (chained), read back, page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit.chain import GENESIS_HASH, AuditFields, ChainedEntry, entry_hash
from outbreak.store.base import utcnow
from outbreak.store.tables import AuditRow

# Any constant works: it names the one advisory lock that serialises audit appends
# on PostgreSQL, so concurrent transactions cannot both chain to the same head.
_PG_AUDIT_LOCK = 0x0A0D17


def append_entry(*, session: Session, fields: AuditFields) -> AuditRow:
    """Add ``fields`` as the next entry of the chain (committed with the session)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_AUDIT_LOCK)))
    head = session.execute(
        sa.select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS_HASH)
    at = utcnow()
    row = AuditRow(
        seq=seq,
        at=at,
        prev_hash=prev_hash,
        hash=entry_hash(seq, at, fields, prev_hash),
        **fields.__dict__,
    )
    session.add(row)
    session.flush()
    return row


def to_chained(row: AuditRow) -> ChainedEntry:
    """The pure chain view of a stored row."""
    fields = AuditFields(
        actor=row.actor,
        role=row.role,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        purpose=row.purpose,
        outcome=row.outcome,
        detail=row.detail,
    )
    return ChainedEntry(row.seq, row.at, fields, row.prev_hash, row.hash)


def iter_entries(*, session: Session, batch: int = 5000) -> Iterator[ChainedEntry]:
    """Every entry in chain order, read in batches (the log can be large)."""
    last = 0
    while True:
        rows = session.scalars(
            sa.select(AuditRow)
            .where(AuditRow.seq > last)
            .order_by(AuditRow.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield to_chained(row)
        last = rows[-1].seq


def list_entries(
    *,
    session: Session,
    actor: str | None = None,
    subject_id: str | None = None,
    since: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AuditRow], int]:
    """A page of entries, newest first, with the total count."""
    query = sa.select(AuditRow)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if subject_id:
        query = query.where(AuditRow.subject_id == subject_id)
    if since:
        query = query.where(AuditRow.at >= since)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(AuditRow.seq.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total or 0
