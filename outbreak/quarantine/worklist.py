"""What officers read: the riskiest-first worklist and an order's timeline (a
location is only in or out of the fence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.quarantine.orders import OPEN_STATES, S, checked_order
from outbreak.store.tables import (
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
)
from outbreak.types import (
    KST,
    AlertState,
    ReportKind,
)


@dataclass(frozen=True)
class WorkItem:
    """A row of an officer's worklist."""

    order: QuarantineOrderRow
    alerts: list[QuarantineAlertRow]
    checks_today: int
    last_inside: bool | None  # the latest location report: in the fence?
    risk: int  # sort key: higher first


def worklist(access: Access, *, officer: str | None = None) -> list[WorkItem]:
    """Open orders (the officer's, or all in the caller's districts), riskiest first:
    open alerts by level, then missed self-checks, then the rest by end date."""
    access.check(
        Permission.QUARANTINE_READ,
        subject_type="quarantine_worklist",
        subject_id=officer or "all",
    )
    query = sa.select(QuarantineOrderRow).where(
        QuarantineOrderRow.state.in_(OPEN_STATES)
    )
    if officer is not None:
        query = query.where(QuarantineOrderRow.officer == officer)
    orders = [
        o
        for o in access.session.scalars(query)
        if access.principal.covers(o.district_code)
    ]
    ids = [o.id for o in orders]
    alerts: dict[int, list[QuarantineAlertRow]] = {i: [] for i in ids}
    for a in access.session.scalars(
        sa.select(QuarantineAlertRow).where(
            QuarantineAlertRow.order_id.in_(ids),
            QuarantineAlertRow.state == AlertState.OPEN,
        )
    ):
        alerts[a.order_id].append(a)
    day_start = datetime.combine(access.today, datetime.min.time(), KST)
    checks = dict(
        access.session.execute(
            sa.select(QuarantineReportRow.order_id, sa.func.count())
            .where(
                QuarantineReportRow.order_id.in_(ids),
                QuarantineReportRow.kind == ReportKind.CHECK,
                QuarantineReportRow.t >= day_start,
            )
            .group_by(QuarantineReportRow.order_id)
        ).all()
    )
    latest = (
        sa.select(
            QuarantineReportRow.order_id,
            sa.func.max(QuarantineReportRow.id).label("id"),
        )
        .where(
            QuarantineReportRow.order_id.in_(ids),
            QuarantineReportRow.kind == ReportKind.LOCATION,
        )
        .group_by(QuarantineReportRow.order_id)
        .subquery()
    )
    inside = dict(
        access.session.execute(
            sa.select(QuarantineReportRow.order_id, QuarantineReportRow.inside).join(
                latest, latest.c.id == QuarantineReportRow.id
            )
        ).all()
    )
    items = []
    for o in orders:
        mine = sorted(alerts[o.id], key=lambda a: (-a.level, a.raised_at))
        risk = sum(10 + 10 * a.level for a in mine) + (
            5 if o.state == S.BREACHED else 0
        )
        items.append(
            WorkItem(o, mine, int(checks.get(o.id, 0)), inside.get(o.id), risk)
        )
    return sorted(items, key=lambda w: (-w.risk, w.order.end_on, w.order.id))


def timeline(access: Access, order_id: int) -> list[QuarantineReportRow]:
    """An order's reports, newest first (positions are not returned: in/out only)."""
    checked_order(access, order_id)
    return list(
        access.session.scalars(
            sa.select(QuarantineReportRow)
            .where(QuarantineReportRow.order_id == order_id)
            .order_by(QuarantineReportRow.t.desc(), QuarantineReportRow.id.desc())
        )
    )


def open_alerts(access: Access, order_id: int) -> list[QuarantineAlertRow]:
    """An order's open alerts, the most escalated first."""
    checked_order(access, order_id)
    return list(
        access.session.scalars(
            sa.select(QuarantineAlertRow)
            .where(
                QuarantineAlertRow.order_id == order_id,
                QuarantineAlertRow.state == AlertState.OPEN,
            )
            .order_by(QuarantineAlertRow.level.desc(), QuarantineAlertRow.raised_at)
        )
    )
