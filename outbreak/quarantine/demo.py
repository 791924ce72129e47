"""Demo quarantine: orders from the demo investigations, a day of the app's reports.

Each quarantine order the demo investigations issued becomes a self-quarantine
order followed by one of two Seoul officers; the fence is a point in the order's
district (the demo has no street addresses). Then a day of reports arrives: most
people check in and stay home, one leaves, one reports a fever, one's phone goes
silent — so the worklist has alerts to act on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak import auth
from outbreak.audit import Access
from outbreak.demo import ensure_user
from outbreak.geo.metric import seoul_gu, to_degrees
from outbreak.privacy import Keys
from outbreak.quarantine import Geofence
from outbreak.quarantine import service as q
from outbreak.store.tables import OrderRow, QuarantineOrderRow
from outbreak.types import OrderKind, ReportKind, Role

OFFICERS = {"officer": {"11"}, "officer2": {"11"}}


def load_quarantine(
    session: Session, keys: Keys, *, now: datetime | None = None
) -> int:
    """Issue and exercise the demo orders once; returns how many were issued."""
    if session.scalar(sa.select(sa.func.count()).select_from(QuarantineOrderRow)):
        return 0
    for name, scopes in OFFICERS.items():
        ensure_user(
            session,
            name,
            {Role.QUARANTINE_OFFICER},
            scopes,
            f"quarantine officer ({name})",
        )
    session.commit()
    access = Access(session, auth.principal_for(session, "officer"), "demo quarantine")
    now = now or datetime.now(UTC)
    rng = np.random.default_rng(5)
    gus = {g.code: g for g in seoul_gu()}
    orders = session.scalars(
        sa.select(OrderRow)
        .where(OrderRow.kind == OrderKind.QUARANTINE)
        .order_by(OrderRow.id)
    ).all()
    issued = []
    for o in orders:
        gu = gus.get(o.district_code)
        if gu is None:
            continue
        x, y = gu.sample(rng, 1)
        lon, lat = to_degrees(x, y)
        issued.append(
            q.issue_from_trace(
                access, keys, o.id, fence=Geofence(float(lat[0]), float(lon[0]), 100)
            ).order
        )
    session.commit()
    for i, order in enumerate(issued):
        home = (order.fence_lat, order.fence_lon)
        reports = [
            q.Report(ReportKind.CHECK, "morning", now - timedelta(hours=5), 36.5),
            q.Report(ReportKind.HEARTBEAT, "beat-1", now - timedelta(minutes=20)),
            q.Report(
                ReportKind.LOCATION,
                "loc-1",
                now - timedelta(minutes=15),
                lat=home[0],
                lon=home[1],
                accuracy_m=15,
            ),
        ]
        if i == 0:  # left home
            reports.append(
                q.Report(
                    ReportKind.LOCATION,
                    "loc-2",
                    now - timedelta(minutes=5),
                    lat=home[0] + 0.004,
                    lon=home[1],
                    accuracy_m=10,
                )
            )
        elif i == 1:  # a fever
            reports.append(
                q.Report(
                    ReportKind.CHECK,
                    "afternoon",
                    now - timedelta(minutes=30),
                    38.2,
                    frozenset({"cough"}),
                )
            )
        elif i == 2:  # silent since the morning
            reports = reports[:1]
        q.take_reports(session, order, reports, now=now)
        if i == 2:
            order.activated_at = now - timedelta(hours=6)
    q.evaluate(session, now=now)
    session.commit()
    return len(issued)
