"""Retention of movement data: whole date partitions past their period go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from outbreak.audit import AuditFields
from outbreak.ingest.store import MovementStore
from outbreak.store.queries.audit import append_entry


@dataclass(frozen=True)
class Expired:
    """A partition past its retention period."""

    table: str
    day: date
    bytes: int


def apply_retention(
    session: Session,
    store: MovementStore,
    *,
    today: date,
    visits_days: int,
    pings_days: int,
    dry_run: bool = False,
) -> list[Expired]:
    """Delete (or with ``dry_run`` list) partitions older than their period.

    Check-ins and other visits are kept ``visits_days`` (KDCA: 4 weeks); pings
    ``pings_days``. Each deleted partition gets an audit entry.
    """
    limits = {
        "visits": visits_days,
        "qr_identity": visits_days,
        "pings": pings_days,
        "presence": pings_days,
        "tracks": pings_days,
        "rejects": visits_days,
    }
    gone = []
    for table, days in limits.items():
        cutoff = today - timedelta(days=days)
        for day, directory in store.partitions(table):
            if day >= cutoff:
                continue
            size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
            if not dry_run:
                store.drop_partition(directory)
                append_entry(
                    session=session,
                    fields=AuditFields(
                        "system",
                        "retention",
                        "movement.purge",
                        table,
                        day.isoformat(),
                        f"retention period of {days} days ended",
                        "allowed",
                        f"{size} bytes",
                    ),
                )
            gone.append(Expired(table, day, size))
    session.commit()
    return gone
