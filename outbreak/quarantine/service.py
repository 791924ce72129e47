"""Self-quarantine on the database: issue orders, take the app's reports, raise and
escalate alerts, act on orders, purge what has served its time.

Officers act through :class:`~outbreak.audit.Access` (role checks, audit entries,
district scope). The citizen app acts with its order's token, which reaches only
that order: :func:`order_for_token` is the one door.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.errors import InvalidInput, InvalidTransition, NotAuthenticated, NotFound
from outbreak.privacy import Keys
from outbreak.quarantine.rules import (
    BAND_MAX_M,
    Geofence,
    Monitoring,
    Observed,
    balanced_officer,
    due_alerts,
    escalation_level,
    release_refusal,
    symptomatic,
    transition,
)
from outbreak.store.tables import (
    OrderRow,
    OutboxRow,
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
    UserRoleRow,
    UserRow,
    UserScopeRow,
)
from outbreak.types import (
    KST,
    AlertRule,
    AlertState,
    OrderKind,
    QuarantineSource,
    QuarantineState,
    ReportKind,
    Role,
)

S = QuarantineState
OPEN_STATES = (S.ISSUED, S.ACTIVE, S.BREACHED)
IMMEDIATE = {  # raised by the report itself, not by the periodic evaluation
    AlertRule.SYMPTOMS,
    AlertRule.GEOFENCE,
    AlertRule.BAND_DISTANCE,
    AlertRule.BAND_TAMPER,
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A new order and its app token (shown once, stored only as a hash)."""

    order: QuarantineOrderRow
    token: str


def _officers(session: Session, district_code: str) -> dict[str, int]:
    """Active quarantine officers covering the district, with their open orders."""
    rows = session.execute(
        sa.select(UserRow.username, UserScopeRow.scope)
        .join(UserRoleRow, UserRoleRow.user_id == UserRow.id)
        .join(UserScopeRow, UserScopeRow.user_id == UserRow.id)
        .where(UserRow.is_active, UserRoleRow.role == Role.QUARANTINE_OFFICER)
    ).all()
    names = {
        name for name, scope in rows if scope == "*" or district_code.startswith(scope)
    }
    load = dict(
        session.execute(
            sa.select(QuarantineOrderRow.officer, sa.func.count())
            .where(
                QuarantineOrderRow.officer.in_(names),
                QuarantineOrderRow.state.in_(OPEN_STATES),
            )
            .group_by(QuarantineOrderRow.officer)
        ).all()
    )
    return {n: int(load.get(n, 0)) for n in names}


def issue_order(
    access: Access,
    keys: Keys,
    *,
    key64: int,
    district_code: str,
    fence: Geofence,
    start_on: date,
    end_on: date,
    source: QuarantineSource,
    action_order_id: int | None = None,
    address: str | None = None,
    test_required: bool = False,
    retention_days: int = 30,
) -> Issued:
    """Order someone into self-quarantine, assigned to the district's least-loaded
    officer; the app token is returned once."""
    access.check(
        Permission.QUARANTINE_WRITE,
        subject_type="quarantine_order",
        subject_id=f"{key64 & (2**64 - 1):016x}",
        district_code=district_code,
        detail=f"issue ({source.value})",
    )
    if end_on < start_on:
        raise InvalidInput("end_on must not be before start_on", field="end_on")
    token = secrets.token_urlsafe(24)
    row = QuarantineOrderRow(
        key64=key64,
        source=source,
        action_order_id=action_order_id,
        district_code=district_code,
        address_enc=keys.cipher.encrypt(address) if address else None,
        fence_lat=fence.lat,
        fence_lon=fence.lon,
        fence_radius_m=fence.radius_m,
        start_on=start_on,
        end_on=end_on,
        officer=balanced_officer(_officers(access.session, district_code)),
        state=S.ISSUED,
        test_required=test_required,
        token_hash=token_hash(token),
        purge_after=end_on + timedelta(days=retention_days),
    )
    access.session.add(row)
    access.session.flush()
    return Issued(row, token)


def issue_from_trace(
    access: Access,
    keys: Keys,
    action_order_id: int,
    *,
    fence: Geofence,
    address: str | None = None,
    retention_days: int = 30,
) -> Issued:
    """A quarantine order for an investigation's quarantine order of a contact (its
    period and district); issuing twice returns the order already issued (no new
    token)."""
    src = access.session.get(OrderRow, action_order_id)
    if src is None or src.kind != OrderKind.QUARANTINE:
        raise NotFound(
            f"No quarantine order {action_order_id} from an investigation",
            field="action_order_id",
        )
    existing = access.session.scalar(
        sa.select(QuarantineOrderRow).where(
            QuarantineOrderRow.action_order_id == action_order_id
        )
    )
    if existing is not None:
        access.check(
            Permission.QUARANTINE_READ,
            subject_type="quarantine_order",
            subject_id=str(existing.id),
            district_code=existing.district_code,
        )
        return Issued(existing, "")
    return issue_order(
        access,
        keys,
        key64=src.key64,
        district_code=src.district_code,
        fence=fence,
        start_on=src.start_on,
        end_on=src.end_on,
        source=QuarantineSource.CONTACT,
        action_order_id=action_order_id,
        address=address,
        retention_days=retention_days,
    )


def order_for_token(session: Session, token: str) -> QuarantineOrderRow:
    """The order a citizen-app token belongs to, if it is still followed."""
    row = session.scalar(
        sa.select(QuarantineOrderRow).where(
            QuarantineOrderRow.token_hash == token_hash(token)
        )
    )
    if row is None or row.state not in OPEN_STATES:
        raise NotAuthenticated("Unknown or expired quarantine token", field="token")
    return row


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
        _insert(session)(r)
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
        started = _aware(activated_at) or datetime.combine(
            start_on, datetime.min.time(), KST
        )
        seen = Observed(
            started=started,
            now=now,
            checks_today=int(n_checks or 0),
            last_heartbeat=_aware(last_beat),
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
            _insert(session)(a)
            .on_conflict_do_nothing(index_elements=["order_id", "open_rule"])
            .returning(a.id, a.order_id, a.rule),
            new,
        ).all()
        for alert_id, order_id, rule in raised:
            out.append(AlertChange(alert_id, order_id, AlertRule(rule), 0))
            messages.append(
                _message(
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
        to = escalation_level(_aware(raised_at) or now, now, rules)
        if to > level:
            ups.append({"id": alert_id, "level": to})
            out.append(AlertChange(alert_id, order_id, AlertRule(rule), to))
            who = "district supervisor" if to == 1 else "field dispatch"
            messages.append(
                _message(
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
    if messages:
        session.execute(
            _insert(session)(OutboxRow).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            ),
            messages,
        )
    session.flush()
    return out


def _message(
    channel: str, recipient: str, body: str, key: str, now: datetime
) -> dict[str, object]:
    return {"channel": channel, "recipient": recipient, "body": body,
            "dedupe_key": key, "state": "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": "", "created_at": now}  # fmt: skip


def _aware(t: datetime | None) -> datetime | None:
    """Aggregates (max over a column) come back naive from SQLite."""
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def checked_order(
    access: Access, order_id: int, write: bool = False
) -> QuarantineOrderRow:
    row = access.session.get(QuarantineOrderRow, order_id)
    if row is None:
        raise NotFound(f"No quarantine order {order_id}", field="order_id")
    access.check(
        Permission.QUARANTINE_WRITE if write else Permission.QUARANTINE_READ,
        subject_type="quarantine_order",
        subject_id=str(order_id),
        district_code=row.district_code,
    )
    return row


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


def change_state(
    access: Access,
    order_id: int,
    target: QuarantineState,
    *,
    negative_test_on: date | None = None,
) -> QuarantineOrderRow:
    """Release, breach, resume or convert an order, by the rules."""
    order = checked_order(access, order_id, write=True)
    if negative_test_on is not None:
        order.negative_test_on = negative_test_on
    if target == S.RELEASED:
        why = release_refusal(
            end_on=order.end_on,
            today=access.today,
            test_required=order.test_required,
            negative_test_on=order.negative_test_on,
        )
        if why:
            raise InvalidTransition(why, field="state")
    order.state = transition(order.state, target)
    if target in (S.RELEASED, S.CONVERTED):
        order.closed_at = datetime.now(UTC)
        for alert in access.session.scalars(
            sa.select(QuarantineAlertRow).where(
                QuarantineAlertRow.order_id == order.id,
                QuarantineAlertRow.state == AlertState.OPEN,
            )
        ):
            alert.state, alert.open_rule = AlertState.ACKNOWLEDGED, None
            alert.note = f"closed with the order ({target.value})"
    access.session.flush()
    return order


def extend(
    access: Access, order_id: int, *, days: int, retention_days: int = 30
) -> QuarantineOrderRow:
    """Lengthen an open order (a new exposure, a late test)."""
    if not 1 <= days <= 30:
        raise InvalidInput("Extend by 1-30 days", field="days")
    order = checked_order(access, order_id, write=True)
    if order.state not in OPEN_STATES:
        raise InvalidTransition(
            f"An order that is {order.state.value} cannot be extended", field="state"
        )
    order.end_on += timedelta(days=days)
    order.purge_after = order.end_on + timedelta(days=retention_days)
    access.session.flush()
    return order


def pair_band(
    access: Access, order_id: int, *, band_id: str, consent: bool
) -> QuarantineOrderRow:
    """Pair a wristband with a violator's order — only with their consent (Korea had
    no legal power to force one; refusal meant a state facility)."""
    if not consent:
        raise InvalidInput("A wristband needs the person's consent", field="consent")
    order = checked_order(access, order_id, write=True)
    if order.state not in OPEN_STATES:
        raise InvalidTransition("Only an open order can get a wristband", field="state")
    order.band_id = band_id
    access.session.flush()
    return order


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


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT (both have ON CONFLICT DO NOTHING … RETURNING)."""
    return (
        pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )


def purge(session: Session, *, today: date) -> tuple[int, int]:
    """Delete reports and closed orders past ``purge_after``: (reports, orders)."""
    reports = session.execute(
        sa.delete(QuarantineReportRow).where(QuarantineReportRow.purge_after < today)
    ).rowcount  # type: ignore[attr-defined]
    orders = session.execute(
        sa.delete(QuarantineOrderRow).where(
            QuarantineOrderRow.purge_after < today,
            QuarantineOrderRow.state.in_([S.RELEASED, S.CONVERTED]),
        )
    ).rowcount  # type: ignore[attr-defined]
    return int(reports or 0), int(orders or 0)


def notify(
    session: Session, *, channel: str, recipient: str, body: str, dedupe_key: str
) -> None:
    """Queue a message once (a second call with the same key does nothing)."""
    session.execute(
        _insert(session)(OutboxRow)
        .values(
            channel=channel,
            recipient=recipient,
            body=body,
            dedupe_key=dedupe_key,
            state="pending",
            attempts=0,
            next_attempt_at=datetime.now(UTC),
            last_error="",
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


BULK_ACTIONS = ("extend", "release", "convert", "test")


def bulk(
    access: Access,
    order_ids: list[int],
    action: str,
    *,
    days: int = 7,
    retention_days: int = 30,
) -> dict[int, str]:
    """One action on many orders; each succeeds or fails on its own. Returns, per
    order, ``"ok"`` or why it was refused. ``test`` asks the person (through the
    app) to get tested at a screening clinic, once a day at most."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(
            f"action must be one of {', '.join(BULK_ACTIONS)}", field="action"
        )
    out: dict[int, str] = {}
    for order_id in dict.fromkeys(order_ids):
        try:
            with access.session.begin_nested():
                if action == "extend":
                    extend(access, order_id, days=days, retention_days=retention_days)
                elif action in ("release", "convert"):
                    target = S.RELEASED if action == "release" else S.CONVERTED
                    change_state(access, order_id, target)
                else:
                    order = checked_order(access, order_id, write=True)
                    notify(
                        access.session,
                        channel="push",
                        recipient=f"order-{order.id}",
                        body="Please get tested at your nearest screening clinic "
                        "(선별진료소) today.",
                        dedupe_key=f"test-{order.id}-{access.today.isoformat()}",
                    )
            out[order_id] = "ok"
        except (InvalidInput, NotFound) as exc:
            out[order_id] = exc.message
    return out
