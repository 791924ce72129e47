"""Quarantine orders on a real database (SQLite and PostgreSQL): issue, the app's
reports, alerts and escalation, transitions, scoping, retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.errors import (
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    PermissionDenied,
)
from outbreak.privacy import Keys
from outbreak.quarantine import Geofence, Monitoring
from outbreak.quarantine import service as q
from outbreak.quarantine.notify import Delivery, Recorder, deliver
from outbreak.store.tables import OutboxRow, QuarantineReportRow
from outbreak.types import (
    KST,
    AlertRule,
    AlertState,
    QuarantineSource,
    QuarantineState,
    ReportKind,
    Role,
)

HOME = Geofence(37.4979, 127.0276, radius_m=100)  # Gangnam station
START = date(2020, 5, 4)
NOW = datetime(2020, 5, 5, 12, 0, tzinfo=KST)


@pytest.fixture
def officers(
    make_user: Callable[..., Principal], access_for: Callable[..., Access]
) -> dict[str, Access]:
    return {
        name: access_for(make_user(name, Role.QUARANTINE_OFFICER, scopes=scopes))
        for name, scopes in (
            ("gangnam1", ("11230",)),
            ("gangnam2", ("11230",)),
            ("songpa", ("11240",)),
        )
    }


def _issue(access: Access, keys: Keys, key64: int = 42, **kw: object) -> q.Issued:
    args: dict[str, object] = {
        "key64": key64,
        "district_code": "11230",
        "fence": HOME,
        "start_on": START,
        "end_on": START + timedelta(days=14),
        "source": QuarantineSource.ARRIVAL,
        "address": "서울 강남구 테헤란로 1",
    }
    issued = q.issue_order(access, keys, **{**args, **kw})  # type: ignore[arg-type]
    access.session.commit()
    return issued


def _check(cid: str, t: datetime, temp: float = 36.5, *symptoms: str) -> q.Report:
    return q.Report(
        ReportKind.CHECK, cid, t, temperature_c=temp, symptoms=frozenset(symptoms)
    )


def test_orders_are_balanced_across_the_districts_officers(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    issued = [_issue(officers["gangnam1"], keys, key64=k) for k in range(4)]
    assert sorted(i.order.officer for i in issued) == [
        "gangnam1",
        "gangnam1",
        "gangnam2",
        "gangnam2",
    ]
    assert all(len(i.token) >= 30 for i in issued)
    assert issued[0].order.address_enc and "테헤란" not in issued[0].order.address_enc
    assert keys.cipher.decrypt(issued[0].order.address_enc) == "서울 강남구 테헤란로 1"
    # Songpa's officer cannot issue or read Gangnam's orders
    with pytest.raises(PermissionDenied):
        _issue(officers["songpa"], keys)
    with pytest.raises(PermissionDenied):
        q.checked_order(officers["songpa"], issued[0].order.id)
    assert q.worklist(officers["songpa"]) == []


def test_a_token_reaches_only_its_own_order(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    a, b = _issue(officers["gangnam1"], keys, 1), _issue(officers["gangnam1"], keys, 2)
    assert q.order_for_token(session, a.token).id == a.order.id
    assert q.order_for_token(session, b.token).id == b.order.id
    with pytest.raises(NotAuthenticated):
        q.order_for_token(session, a.token + "x")
    q.take_reports(
        session, q.order_for_token(session, a.token), [_check("c1", NOW)], now=NOW
    )
    assert [r.order_id for r in session.scalars(sa.select(QuarantineReportRow))] == [
        a.order.id
    ]


def test_retried_reports_are_stored_once_and_activate_the_order(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    order = _issue(officers["gangnam1"], keys).order
    batch = [
        _check("c1", NOW - timedelta(hours=2)),
        q.Report(
            ReportKind.LOCATION, "l1", NOW, lat=HOME.lat, lon=HOME.lon, accuracy_m=10
        ),
        q.Report(ReportKind.HEARTBEAT, "h1", NOW),
    ]
    first = q.take_reports(session, order, batch, now=NOW)
    again = q.take_reports(session, order, batch, now=NOW)
    session.commit()
    assert (first.accepted, first.duplicates) == (3, 0)
    assert (again.accepted, again.duplicates) == (0, 3)
    assert order.state == QuarantineState.ACTIVE and first.alerts == []
    n = session.scalar(sa.select(sa.func.count()).select_from(QuarantineReportRow))
    assert n == 3
    with pytest.raises(InvalidInput) as bad:
        q.take_reports(session, order, [_check("c2", NOW, 51.0)], now=NOW)
    assert bad.value.field == "temperature_c"


def test_breaking_reports_alert_at_once_and_only_once(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    order = _issue(officers["gangnam1"], keys).order
    out = HOME.lat + 300 / 111_195
    got = q.take_reports(
        session,
        order,
        [
            q.Report(
                ReportKind.LOCATION, "l1", NOW, lat=out, lon=HOME.lon, accuracy_m=10
            ),
            q.Report(
                ReportKind.LOCATION, "l2", NOW, lat=out, lon=HOME.lon, accuracy_m=10
            ),
            _check("c1", NOW, 38.1, "cough"),
        ],
        now=NOW,
    )
    assert sorted(a.rule for a in got.alerts) == [
        AlertRule.GEOFENCE,
        AlertRule.SYMPTOMS,
    ]
    # a band report without a band is refused; with consent a band is paired
    band = q.Report(ReportKind.BAND, "b1", NOW, band_distance_m=35.0)
    with pytest.raises(InvalidInput):
        q.take_reports(session, order, [band], now=NOW)
    with pytest.raises(InvalidInput) as no_consent:
        q.pair_band(officers["gangnam1"], order.id, band_id="BAND-1", consent=False)
    assert no_consent.value.field == "consent"
    q.pair_band(officers["gangnam1"], order.id, band_id="BAND-1", consent=True)
    assert [a.rule for a in q.take_reports(session, order, [band], now=NOW).alerts] == [
        AlertRule.BAND_DISTANCE
    ]
    outbox = session.scalars(sa.select(OutboxRow.dedupe_key)).all()
    assert len(outbox) == 3 and len(set(outbox)) == 3


def test_missed_checks_and_silence_alert_then_escalate_until_acknowledged(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    officer = officers[_issue(officers["gangnam1"], keys).order.officer]
    order = q.worklist(officer)[0].order
    q.take_reports(
        session,
        order,
        [q.Report(ReportKind.HEARTBEAT, "h1", NOW - timedelta(hours=1))],
        now=NOW,
    )
    order.activated_at = NOW - timedelta(days=1)
    rules = Monitoring(heartbeat_timeout_min=120, escalate_after_min=30)

    def at(minutes: int) -> list[tuple[AlertRule, int]]:
        when = NOW + timedelta(minutes=minutes)
        return sorted(
            (a.rule, a.level) for a in q.evaluate(session, now=when, rules=rules)
        )

    # 12:00: the 10:00 self-check is an hour overdue
    assert at(0) == [(AlertRule.MISSED_CHECKIN, 0)]
    assert at(0) == []  # raised once
    assert at(31) == [(AlertRule.MISSED_CHECKIN, 1)]  # to the supervisor
    # 13:01: no heartbeat since 11:00
    assert at(61) == [(AlertRule.MISSED_CHECKIN, 2), (AlertRule.NO_HEARTBEAT, 0)]
    top = q.worklist(officer)[0]
    assert top.order.id == order.id and len(top.alerts) == 2 and top.risk > 0
    assert top.alerts[0].rule == AlertRule.MISSED_CHECKIN  # the most escalated first
    q.acknowledge(
        officer,
        top.alerts[0].id,
        note="called: phone was charging",
        now=NOW + timedelta(minutes=62),
    )
    with pytest.raises(InvalidTransition):
        q.acknowledge(officer, top.alerts[0].id)
    assert at(92) == [(AlertRule.NO_HEARTBEAT, 1)]
    sms = session.scalars(sa.select(OutboxRow).where(OutboxRow.channel == "sms")).all()
    assert (
        len(sms) == 3
    )  # missed check to supervisor then dispatch; silence to supervisor


def test_release_conversion_and_refused_transitions(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    boss = Access(
        officers["gangnam1"].session,
        officers["gangnam1"].principal,
        "quarantine",
        today=START + timedelta(1),
    )
    order = _issue(boss, keys, test_required=True).order
    q.take_reports(session, order, [_check("c1", NOW)], now=NOW)
    with pytest.raises(InvalidTransition) as early:
        q.change_state(boss, order.id, QuarantineState.RELEASED)
    assert early.value.field == "state" and "runs until" in early.value.message
    after = Access(
        session, boss.principal, "release check", today=order.end_on + timedelta(1)
    )
    with pytest.raises(InvalidTransition) as untested:
        q.change_state(after, order.id, QuarantineState.RELEASED)
    assert "negative test" in untested.value.message
    q.extend(boss, order.id, days=2)
    assert order.end_on == START + timedelta(days=16)
    released = q.change_state(
        Access(
            session, boss.principal, "release check", today=order.end_on + timedelta(1)
        ),
        order.id,
        QuarantineState.RELEASED,
        negative_test_on=order.end_on,
    )
    assert released.state == QuarantineState.RELEASED and released.closed_at
    with pytest.raises(InvalidTransition):
        q.change_state(boss, order.id, QuarantineState.ACTIVE)
    with pytest.raises(NotAuthenticated):  # a closed order's token no longer works
        session.flush()
        q.order_for_token(session, "anything")
    other = _issue(boss, keys, key64=7).order
    q.take_reports(session, other, [_check("c1", NOW, 38.0)], now=NOW)
    q.change_state(boss, other.id, QuarantineState.CONVERTED)
    assert all(
        a.state == AlertState.ACKNOWLEDGED for a in q.worklist(boss) for a in a.alerts
    )


def test_retention_deletes_reports_and_closed_orders(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    boss = officers["gangnam1"]
    order = _issue(boss, keys, retention_days=10).order
    q.take_reports(session, order, [_check("c1", NOW)], now=NOW)
    q.change_state(boss, order.id, QuarantineState.CONVERTED)
    session.commit()
    assert q.purge(session, today=order.purge_after) == (0, 0)
    assert q.purge(session, today=order.purge_after + timedelta(1)) == (1, 1)
    session.commit()
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(QuarantineReportRow)) == 0
    )


def test_notifications_retry_with_back_off_and_never_twice(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    order = _issue(officers["gangnam1"], keys).order
    out = HOME.lat + 300 / 111_195
    leave = q.Report(ReportKind.LOCATION, "l1", NOW, lat=out, lon=HOME.lon)
    q.take_reports(session, order, [leave], now=NOW)
    q.notify(
        session,
        channel="push",
        recipient="x",
        body="again",
        dedupe_key="alert-1-level-0",
    )
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == 1

    class Flaky:
        def __init__(self) -> None:
            self.calls = 0
            self.sent: list[str] = []

        def send(self, recipient: str, body: str) -> None:
            self.calls += 1
            if self.calls <= 2:
                raise ConnectionError("gateway down")
            self.sent.append(f"{recipient}: {body}")

    push = Flaky()
    t = datetime.now(UTC)
    assert deliver(session, {"push": push}, now=t) == Delivery(0, 1, 0)
    assert deliver(session, {"push": push}, now=t + timedelta(seconds=30)) == Delivery(
        0, 0, 0
    )
    assert deliver(session, {"push": push}, now=t + timedelta(minutes=1)) == Delivery(
        0, 1, 0
    )
    msg = session.scalars(sa.select(OutboxRow)).one()
    assert (
        msg.next_attempt_at == t + timedelta(minutes=3)
        and "gateway down" in msg.last_error
    )
    assert deliver(session, {"push": push}, now=t + timedelta(minutes=3)) == Delivery(
        1, 0, 0
    )
    assert deliver(session, {"push": push}, now=t + timedelta(hours=1)) == Delivery(
        0, 0, 0
    )
    assert len(push.sent) == 1 and "geofence" in push.sent[0]
    # a channel nobody configured fails after the last attempt, loudly
    q.notify(session, channel="sms", recipient="y", body="z", dedupe_key="k")
    later = t + timedelta(hours=2)
    for k in range(5):
        got = deliver(session, {"push": Recorder()}, now=later, max_attempts=5)
        later += timedelta(minutes=2**k)
    assert got == Delivery(0, 0, 1)


def test_bulk_actions_succeed_or_fail_one_by_one(
    officers: dict[str, Access], keys: Keys, session: Session
) -> None:
    boss = officers["gangnam1"]
    a, b = _issue(boss, keys, 1).order, _issue(boss, keys, 2).order
    extended = q.bulk(boss, [a.id, b.id, 999], "extend", days=3)
    assert extended[a.id] == extended[b.id] == "ok" and "999" in extended[999]
    assert a.end_on == START + timedelta(days=17)
    early = Access(session, boss.principal, "quarantine", today=START + timedelta(3))
    refused = q.bulk(early, [a.id], "release")
    assert "runs until" in refused[a.id] and a.state == QuarantineState.ISSUED
    q.bulk(boss, [a.id, b.id], "test")
    q.bulk(boss, [a.id], "test")  # once a day
    tests = session.scalars(
        sa.select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.like("test-%"))
    ).all()
    assert len(tests) == 2
    with pytest.raises(InvalidInput) as bad:
        q.bulk(boss, [a.id], "teleport")
    assert bad.value.field == "action"
