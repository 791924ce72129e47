"""The citizen app's reports: stored in one idempotent statement per batch; a report
that breaks a rule raises its alert in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from outbreak.errors import InvalidInput
from outbreak.quarantine.alerts import raise_alert
from outbreak.quarantine.orders import S
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
    ReportKind,
)


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


def _row(order: QuarantineOrderRow, r: Report, now: datetime) -> dict[str, object]:
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
    order: QuarantineOrderRow,
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
    r = QuarantineReportRow
    stmt = (  # one cached statement, the rows as parameters (insertmanyvalues)
        dialect_insert(session)(r)
        .on_conflict_do_nothing(index_elements=["order_id", "kind", "client_id"])
        .returning(r.id, r.kind, r.alerting, r.band_tampered)
    )
    new = session.execute(stmt, rows).all()
    out = Accepted(accepted=len(new), duplicates=len(rows) - len(new))
    if order.state == S.ISSUED:
        order.state = transition(order.state, S.ACTIVE)
        order.activated_at = now
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
        alert = raise_alert(session, order, rule, now, report_id=report_id)
        if alert is not None:
            out.alerts.append(alert)
    session.flush()
    return out
