"""The citizen app's reports: stored in one idempotent statement per batch; a report
that breaks a rule raises its alert in the same transaction.

This is the hot path (100,000 phones reporting every 10 minutes): the order is read
as the few columns a report is checked against (:class:`AppOrder`, one indexed
lookup) and the reports go in through a Core INSERT; the full order is loaded only
when something must change on it — its first report, or an alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.errors import InvalidInput, NotAuthenticated
from outbreak.quarantine.alerts import raise_alert
from outbreak.quarantine.orders import OPEN_STATES, S, token_hash
from outbreak.quarantine.rules import (
    BAND_MAX_M,
    Geofence,
    symptomatic,
    transition,
)
from outbreak.store.db import dialect_insert
from outbreak.store.tables import (
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
)
from outbreak.types import (
    AlertRule,
    QuarantineState,
    ReportKind,
)

Q = QuarantineOrderRow


@dataclass(frozen=True)
class AppOrder:
    """What a report is checked against: an order's id, state, fence, band and
    retention (a full :class:`QuarantineOrderRow` has the same attributes)."""

    id: int
    state: QuarantineState
    fence_lat: float
    fence_lon: float
    fence_radius_m: float
    band_id: str | None
    purge_after: date


_APP_ORDER = sa.select(
    Q.id, Q.state, Q.fence_lat, Q.fence_lon, Q.fence_radius_m, Q.band_id, Q.purge_after
)


def app_order(session: Session, token: str) -> AppOrder:
    """The order an app token belongs to, if it is still followed (one lookup)."""
    row = session.execute(_APP_ORDER.where(Q.token_hash == token_hash(token))).first()
    if row is None or row.state not in OPEN_STATES:
        raise NotAuthenticated("Unknown or expired quarantine token", field="token")
    return AppOrder(*row)


@dataclass(frozen=True)
class Report:
    """One report from the app; ``client_id`` is the app's own id for it."""

    kind: ReportKind
    client_id: str
    t: datetime
    temperature_c: float | None = None
    symptoms: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    band_distance_m: float | None = None
    band_tampered: bool | None = None


@dataclass
class Accepted:
    """What a batch of reports did."""

    accepted: int = 0
    duplicates: int = 0
    alerts: list[QuarantineAlertRow] = field(default_factory=list)


def _row(
    order: AppOrder | QuarantineOrderRow, r: Report, now: datetime
) -> dict[str, object]:
    """A report as a row, with what it means for the alerts."""
    if r.t.tzinfo is None:
        raise InvalidInput("Report times need a UTC offset", field="t")
    if r.t > now + timedelta(minutes=5):
        raise InvalidInput("A report cannot come from the future", field="t")
    inside = alerting = None
    if r.kind == ReportKind.CHECK:
        if r.temperature_c is not None and not 30 <= r.temperature_c <= 45:
            raise InvalidInput("temperature_c must be 30-45 °C", field="temperature_c")
        alerting = symptomatic(r.temperature_c, r.symptoms)
    elif r.kind == ReportKind.LOCATION:
        if r.lat is None or r.lon is None:
            raise InvalidInput("A location report needs lat and lon", field="lat")
        fence = Geofence(order.fence_lat, order.fence_lon, order.fence_radius_m)
        inside = fence.contains(r.lat, r.lon, r.accuracy_m or 0.0)
        alerting = not inside
    elif r.kind == ReportKind.BAND:
        if order.band_id is None:
            raise InvalidInput("No wristband is paired with this order", field="kind")
        far = (r.band_distance_m or 0.0) > BAND_MAX_M
        alerting = far or bool(r.band_tampered)
    return {
        "order_id": order.id,
        "kind": r.kind,
        "client_id": r.client_id,
        "t": r.t.astimezone(UTC),
        "received_at": now,
        "temperature_c": r.temperature_c,
        "symptoms": ",".join(sorted(r.symptoms)),
        "lat": r.lat,
        "lon": r.lon,
        "accuracy_m": r.accuracy_m,
        "inside": inside,
        "band_distance_m": r.band_distance_m,
        "band_tampered": r.band_tampered,
        "alerting": bool(alerting),
        "purge_after": order.purge_after,
    }


def take_reports(
    session: Session,
    order: AppOrder | QuarantineOrderRow,
    reports: Iterable[Report],
    *,
    now: datetime | None = None,
) -> Accepted:
    """Store a batch of the app's reports in one statement; a report already stored
    (same kind and ``client_id``) is skipped, so a retried request changes nothing.
    The first report activates an issued order; a report that breaks a rule raises
    its alert at once."""
    now = now or datetime.now(UTC)
    rows = [_row(order, r, now) for r in reports]
    if not rows:
        return Accepted()
    t = QuarantineReportRow.__table__
    stmt = (  # one cached Core statement, the rows as parameters (insertmanyvalues)
        dialect_insert(session)(t)
        .on_conflict_do_nothing(index_elements=["order_id", "kind", "client_id"])
        .returning(t.c.id, t.c.kind, t.c.alerting, t.c.band_tampered)
    )
    new = session.execute(stmt, rows).all()
    out = Accepted(accepted=len(new), duplicates=len(rows) - len(new))
    if order.state != S.ISSUED and not any(alerting for _, _, alerting, _ in new):
        return out
    full = session.get(QuarantineOrderRow, order.id)  # something changes on it
    assert full is not None
    if full.state == S.ISSUED:
        full.state = transition(full.state, S.ACTIVE)
        full.activated_at = now
    for report_id, kind, alerting, tampered in new:
        if not alerting:
            continue
        rule = {
            ReportKind.CHECK: AlertRule.SYMPTOMS,
            ReportKind.LOCATION: AlertRule.GEOFENCE,
            ReportKind.BAND: AlertRule.BAND_TAMPER
            if tampered
            else AlertRule.BAND_DISTANCE,
        }[ReportKind(kind)]
        alert = raise_alert(session, full, rule, now, report_id=report_id)
        if alert is not None:
            out.alerts.append(alert)
    session.flush()
    return out
