"""Alerts to officers: raised by a report or by the periodic pass (missed self-checks,
silent phones), escalated while unacknowledged, acknowledged with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.errors import InvalidTransition, NotFound
from outbreak.quarantine.notify import message, notify, queue
from outbreak.quarantine.orders import S, checked_order
from outbreak.quarantine.rules import (
    Monitoring,
    Observed,
    due_alerts,
    escalation_level,
)
from outbreak.store.db import dialect_insert
from outbreak.store.tables import (
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
)
from outbreak.types import (
    KST,
    AlertRule,
    AlertState,
    ReportKind,
)

IMMEDIATE = {  # raised by the report itself, not by the periodic evaluation
    AlertRule.SYMPTOMS,
    AlertRule.GEOFENCE,
    AlertRule.BAND_DISTANCE,
    AlertRule.BAND_TAMPER,
}


def raise_alert(
    session: Session,
    order: QuarantineOrderRow,
    rule: AlertRule,
    now: datetime,
    *,
    report_id: int | None = None,
) -> QuarantineAlertRow | None:
    """Open an alert for the order's officer, unless one for the rule is open."""
    exists = session.scalar(
        sa.select(QuarantineAlertRow.id).where(
            QuarantineAlertRow.order_id == order.id,
            QuarantineAlertRow.open_rule == rule.value,
        )
    )
    if exists is not None:
        return None
    alert = QuarantineAlertRow(
        order_id=order.id,
        rule=rule,
        state=AlertState.OPEN,
        open_rule=rule.value,
        raised_at=now,
        report_id=report_id,
        level=0,
    )
    session.add(alert)
    session.flush()
    notify(
        session,
        channel="push",
        recipient=order.officer,
        body=f"Quarantine order {order.id}: {rule.value}",
        dedupe_key=f"alert-{alert.id}-level-0",
    )
    return alert


@dataclass(frozen=True)
class AlertChange:
    """An alert the periodic pass raised or escalated."""

    id: int
    order_id: int
    rule: AlertRule
    level: int


def evaluate(
    session: Session, *, now: datetime | None = None, rules: Monitoring | None = None
) -> list[AlertChange]:
    """The periodic pass: missed self-checks and silent phones raise alerts;
    unacknowledged alerts escalate. Set-based — a few statements whatever the number
    of orders — so it stays current at a national peak. Returns what changed."""
    now = now or datetime.now(UTC)
    rules = rules or Monitoring()
    day_start = datetime.combine(now.astimezone(KST).date(), datetime.min.time(), KST)
    r, o, a = QuarantineReportRow, QuarantineOrderRow, QuarantineAlertRow
    checks = (
        sa.select(r.order_id, sa.func.count().label("n"))
        .where(r.kind == ReportKind.CHECK, r.t >= day_start)
        .group_by(r.order_id)
        .subquery()
    )
    beats = (
        sa.select(r.order_id, sa.func.max(r.t).label("t"))
        .where(r.kind != ReportKind.CHECK)
        .group_by(r.order_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(o.id, o.activated_at, o.start_on, o.officer, checks.c.n, beats.c.t)
        .outerjoin(checks, checks.c.order_id == o.id)
        .outerjoin(beats, beats.c.order_id == o.id)
        .where(o.state == S.ACTIVE)
    ).all()
    held: dict[int, set[str]] = {}
    for order_id, rule in session.execute(
        sa.select(a.order_id, a.rule).where(
            (a.state == AlertState.OPEN)
            | (
                (a.state == AlertState.ACKNOWLEDGED)
                & (a.acknowledged_at > now - timedelta(minutes=rules.snooze_min))
            )
        )
    ).all():
        held.setdefault(order_id, set()).add(AlertRule(rule).value)
    officer_of: dict[int, str] = {}
    new: list[dict[str, object]] = []
    for order_id, activated_at, start_on, officer, n_checks, last_beat in rows:
        started = activated_at or datetime.combine(start_on, datetime.min.time(), KST)
        seen = Observed(
            started=started,
            now=now,
            checks_today=int(n_checks or 0),
            last_heartbeat=last_beat,
            rules=rules,
        )
        officer_of[order_id] = officer
        for rule in sorted(due_alerts(seen) - IMMEDIATE):
            if rule.value not in held.get(order_id, set()):
                new.append(
                    {
                        "order_id": order_id,
                        "rule": rule,
                        "state": AlertState.OPEN,
                        "open_rule": rule.value,
                        "raised_at": now,
                        "level": 0,
                        "note": "",
                    }  # fmt: skip
                )
    out: list[AlertChange] = []
    messages: list[dict[str, object]] = []
    if new:
        raised = session.execute(
            dialect_insert(session)(a)
            .on_conflict_do_nothing(index_elements=["order_id", "open_rule"])
            .returning(a.id, a.order_id, a.rule),
            new,
        ).all()
        for alert_id, order_id, rule in raised:
            out.append(AlertChange(alert_id, order_id, AlertRule(rule), 0))
            messages.append(
                message(
                    "push",
                    officer_of[order_id],
                    f"Quarantine order {order_id}: {AlertRule(rule).value}",
                    f"alert-{alert_id}-level-0",
                    now,
                )  # fmt: skip
            )
    ups: list[dict[str, object]] = []
    for alert_id, order_id, rule, raised_at, level, officer in session.execute(
        sa.select(a.id, a.order_id, a.rule, a.raised_at, a.level, o.officer)
        .join(o, o.id == a.order_id)
        .where(a.state == AlertState.OPEN)
    ).all():
        to = escalation_level(raised_at, now, rules)
        if to > level:
            ups.append({"id": alert_id, "level": to})
            out.append(AlertChange(alert_id, order_id, AlertRule(rule), to))
            who = "district supervisor" if to == 1 else "field dispatch"
            messages.append(
                message(
                    "sms",
                    f"{who} for {officer}",
                    f"Unacknowledged quarantine alert {alert_id} "
                    f"({AlertRule(rule).value})",
                    f"alert-{alert_id}-level-{to}",
                    now,
                )  # fmt: skip
            )
    if ups:
        session.execute(sa.update(a), ups)
    queue(session, messages)
    session.flush()
    return out


def acknowledge(
    access: Access, alert_id: int, *, note: str = "", now: datetime | None = None
) -> QuarantineAlertRow:
    """The officer has seen the alert (and says what they did)."""
    alert = access.session.get(QuarantineAlertRow, alert_id)
    if alert is None:
        raise NotFound(f"No alert {alert_id}", field="alert_id")
    checked_order(access, alert.order_id, write=True)
    if alert.state != AlertState.OPEN:
        raise InvalidTransition(
            f"Alert {alert_id} is already acknowledged", field="state"
        )
    alert.state, alert.open_rule = AlertState.ACKNOWLEDGED, None
    alert.acknowledged_by = access.principal.username
    alert.acknowledged_at = now or datetime.now(UTC)
    alert.note = note
    access.session.flush()
    return alert
