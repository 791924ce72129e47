"""The investigation workflow on a real database (SQLite and PostgreSQL): approvals
gate every read, refusals are audited, results are stored and ordered on."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from outbreak.store.tables import AuditRow, InvestigationRow, RouteStayRow
from outbreak.synth.city import phone_of
from outbreak.synth.truth import Truth
from outbreak.trace import investigate as run
from outbreak.trace import service as inv
from outbreak.trace.contacts import ContactRule
from outbreak.trace.network import network
from outbreak.trace.score import CityScorer
from outbreak.trace.service import TraceContext
from outbreak.trace.window import kst_midnight
from outbreak.types import (
    KST,
    DataSource,
    ExposureKind,
    IdentifierKind,
    OrderKind,
    RequestState,
    Role,
)
from tests.trace.conftest import DAY, City

PID = 1  # a city resident with a household, work and venues
REASON = "confirmed case, route for the 2-day window"


def approved(people: dict[str, Access], inv_id: int, *sources: DataSource) -> None:
    for source in sources:
        r = inv.request_data(people["kim"], inv_id, source=source, reason=REASON)
        inv.decide_request(people["lee"], r.id, approve=True, note="ok")


def denied_entries(session: Session) -> list[AuditRow]:
    return list(
        session.scalars(sa.select(AuditRow).where(AuditRow.outcome == "denied"))
    )


def test_no_approval_no_read_and_the_refusal_is_audited(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim = people["kim"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    session.commit()
    assert i.window_basis == "sample"
    assert i.window_start.astimezone(KST).date().isoformat() == "2020-05-03"
    with pytest.raises(PermissionDenied) as refused:
        run.rebuild_route(kim, ctx, i.id)
    assert refused.value.field == "source"
    entry = denied_entries(session)[-1]
    assert entry.actor == "kim" and "No approved data request" in entry.detail
    # a pending or rejected request does not open the door either
    r = inv.request_data(kim, i.id, source=DataSource.GPS, reason=REASON)
    inv.decide_request(people["lee"], r.id, approve=False, note="not needed")
    session.commit()
    with pytest.raises(PermissionDenied):
        run.rebuild_route(kim, ctx, i.id)


def test_requests_need_another_person_with_the_approver_role(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
    make_user: Callable[..., object],
    access_for: Callable[..., Access],
) -> None:
    kim = people["kim"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    r = inv.request_data(kim, i.id, source=DataSource.TELECOM, reason=REASON)
    session.commit()
    with pytest.raises(PermissionDenied):  # investigators cannot approve
        inv.decide_request(kim, r.id, approve=True)
    both = access_for(make_user("choi", Role.INVESTIGATOR, Role.DATA_APPROVER))
    mine = inv.request_data(both, i.id, source=DataSource.CARD, reason=REASON)
    session.commit()
    with pytest.raises(PermissionDenied) as own:  # four eyes: not your own request
        inv.decide_request(both, mine.id, approve=True)
    assert own.value.field == "request_id"
    assert [e.action for e in denied_entries(session)] == [
        "data.approve",
        "data.approve",
    ]
    decided = inv.decide_request(people["lee"], r.id, approve=True)
    assert decided.state == RequestState.APPROVED and decided.decided_by == "lee"
    with pytest.raises(Conflict):
        inv.decide_request(people["lee"], r.id, approve=False)
    assert [q.id for q in inv.pending_requests(people["lee"])] == [mine.id]


def test_other_districts_cannot_open_or_read(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim, park = people["kim"], people["park"]
    case_id = case_of(kim, PID)
    session.commit()  # a refusal rolls back the caller's transaction
    with pytest.raises(PermissionDenied):
        inv.open_investigation(park, ctx.keys, case_id)
    i = inv.open_investigation(kim, ctx.keys, case_id)
    session.commit()
    with pytest.raises(Conflict):
        inv.open_investigation(kim, ctx.keys, case_id)
    with pytest.raises(PermissionDenied):
        inv.get_investigation(park, i.id)
    assert inv.list_investigations(park) == []


def test_route_contacts_and_orders_end_to_end(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim = people["kim"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    # without place-device approval only the household is found
    approved(people, i.id, DataSource.GPS, DataSource.CHECKINS, DataSource.CARD)
    stays = run.rebuild_route(kim, ctx, i.id)
    session.commit()
    assert len(stays) >= 3 and all(s.t_end > s.t_start for s in stays)
    assert any(s.place_id is not None and "gps" in s.sources for s in stays)
    home_only = run.trace_contacts(kim, ctx, i.id)
    assert home_only and {c.kind for c in home_only} == {ExposureKind.HOUSEHOLD}
    approved(people, i.id, DataSource.PLACE_DEVICES)
    found = run.trace_contacts(kim, ctx, i.id)
    session.commit()
    kinds = {c.kind for c in found}
    assert ExposureKind.CO_LOCATION in kinds and ExposureKind.HOUSEHOLD in kinds
    assert len(found) > len(home_only)
    reads = session.scalars(
        sa.select(AuditRow).where(AuditRow.action == "movement.read")
    )
    details = " ".join(r.detail for r in reads)
    assert "read gps" in details and "read place_devices" in details
    # orders: quarantine runs 14 days after the last exposure; issuing twice is a no-op
    ids = [c.id for c in found[:3]]
    orders = run.issue_orders(
        kim, ctx, i.id, contact_ids=ids, kind=OrderKind.QUARANTINE
    )
    session.commit()
    for o, c in zip(orders, found[:3], strict=True):
        assert o.end_on == run.last_exposure_on(c) + timedelta(days=14)
    again = run.issue_orders(kim, ctx, i.id, contact_ids=ids, kind=OrderKind.QUARANTINE)
    assert [o.id for o in again] == [o.id for o in orders]
    # re-running the engine keeps contacts with orders, replaces the rest
    rerun = run.trace_contacts(kim, ctx, i.id)
    assert {c.id for c in rerun} == {c.id for c in found}  # ids stay stable
    assert len(run.orders_of(kim, i.id)) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(RouteStayRow)) == len(
        stays
    )


def test_a_narrower_approval_reads_only_its_window(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim = people["kim"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    full = inv.window_of(i)
    half = type(full)(full.end - timedelta(hours=12), full.end)
    r = inv.request_data(kim, i.id, source=DataSource.GPS, reason=REASON, window=half)
    inv.decide_request(people["lee"], r.id, approve=True)
    stays = run.rebuild_route(kim, ctx, i.id)
    assert stays and all(s.t_start >= half.start - timedelta(minutes=5) for s in stays)


def test_household_cases_form_a_chain_and_a_cluster(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
    city: City,
) -> None:
    kim = people["kim"]
    households = pq.read_table(city.root / "city" / "people").to_pydict()
    home = households["household"][PID]
    mate = next(
        p
        for p, h in zip(households["pid"], households["household"], strict=True)
        if h == home and p != PID
    )
    ids = []
    for pid in (PID, mate):
        i = inv.open_investigation(kim, ctx.keys, case_of(kim, pid))
        approved(people, i.id, DataSource.GPS, DataSource.PLACE_DEVICES)
        run.rebuild_route(kim, ctx, i.id)
        run.trace_contacts(kim, ctx, i.id)
        ids.append(i.case_id)
    session.commit()
    net = network(kim, ctx.places)
    assert {(k.infector, k.infectee) for k in net.links} <= {
        tuple(ids),
        tuple(ids[::-1]),
    }
    assert net.links and all(0 < k.probability < 1 for k in net.links)
    assert any(set(ids) <= group for group, _, _ in net.clusters)
    assert net.hotspots and net.hotspots[0][1] >= 1
    assert '"links"' in net.graph_json() and "<graphml" in net.graphml()
    assert network(people["park"], ctx.places).cases == []  # Busan sees none of it


def test_bulk_contacts_equal_one_by_one(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    """…also when one of them reads every fix (``passers_by``) and the others
    everyone's stays: two reads in one bulk run, each answer its own."""
    kim = people["kim"]
    ids = []
    for pid in (1, 5, 9):
        rule = ContactRule(passers_by=pid == 5)
        i = inv.open_investigation(kim, ctx.keys, case_of(kim, pid), rule=rule)
        assert inv.contact_rule(i).passers_by is (pid == 5)  # kept with it
        approved(
            people, i.id, DataSource.GPS, DataSource.CHECKINS, DataSource.PLACE_DEVICES
        )
        run.rebuild_route(kim, ctx, i.id)
        ids.append(i.id)
    session.commit()

    def summary(rows):  # type: ignore[no-untyped-def]
        return sorted((r.key64, r.kind, r.risk, r.minutes) for r in rows)

    singles = {i: summary(run.trace_contacts(kim, ctx, i)) for i in ids}
    bulk = run.trace_contacts_many(kim, ctx, ids)
    assert {i: summary(rows) for i, rows in bulk.items()} == singles
    assert all(singles[i] for i in ids)


def test_reads_keep_to_each_approved_window_and_key(
    people: dict[str, Access],
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim, lee = people["kim"], people["lee"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    w = inv.window_of(i)
    first = type(w)(w.start + timedelta(days=1), w.start + timedelta(days=1, hours=6))
    last = type(w)(w.end - timedelta(hours=6), w.end)
    for part in (first, last):
        r = inv.request_data(
            kim, i.id, source=DataSource.GPS, reason=REASON, window=part
        )
        inv.decide_request(lee, r.id, approve=True)
    stays = run.rebuild_route(kim, ctx, i.id)
    assert stays
    for s in stays:  # nothing from the 12+ unapproved hours between the two windows
        inside = [
            p
            for p in (first, last)
            if s.t_start >= p.start - timedelta(minutes=5)
            and s.t_end <= p.end + timedelta(minutes=5)
        ]
        assert inside, (s.t_start, s.t_end)
    # a phone added after the approval is not read under it
    before = [(s.t_start, s.t_end, s.x_dm) for s in stays]
    other = str(phone_of(np.array([PID + 1]))[0])
    inv.add_identifier(kim, ctx.keys, i.id, kind=IdentifierKind.PHONE, raw=other)
    after = [(s.t_start, s.t_end, s.x_dm) for s in run.rebuild_route(kim, ctx, i.id)]
    assert after == before
    inv.close_investigation(kim, i.id)
    with pytest.raises(Conflict):
        run.rebuild_route(kim, ctx, i.id)


def test_contacts_of_contacts_need_their_own_approval(
    people: dict[str, Access],
    city: City,
    ctx: TraceContext,
    case_of: Callable[..., int],
    session: Session,
) -> None:
    kim, lee = people["kim"], people["lee"]
    i = inv.open_investigation(kim, ctx.keys, case_of(kim, PID))
    approved(people, i.id, *DataSource)
    run.rebuild_route(kim, ctx, i.id)
    first = run.trace_contacts(kim, ctx, i.id)
    session.commit()
    # the case's approvals do not cover the contacts' movements
    with pytest.raises(PermissionDenied) as refused:
        run.trace_contacts_of_contacts(kim, ctx, i.id)
    assert refused.value.field == "source"
    assert "naming the contacts" in denied_entries(session)[-1].detail
    with pytest.raises(NotFound) as unknown:
        inv.request_data(
            kim, i.id, source=DataSource.GPS, reason=REASON, contact_ids=[10**9]
        )
    assert unknown.value.field == "contact_ids"
    with pytest.raises(InvalidInput) as wrong:
        inv.request_data(
            kim, i.id, source=DataSource.CARD, reason=REASON, contact_ids=[first[0].id]
        )
    assert wrong.value.field == "source"
    chosen = [c for c in first if c.kind == ExposureKind.CO_LOCATION][:6]
    for source in (DataSource.GPS, DataSource.PLACE_DEVICES):
        r = inv.request_data(
            kim, i.id, source=source, reason=REASON, contact_ids=[c.id for c in chosen]
        )
        inv.decide_request(lee, r.id, approve=True)
        assert json.loads(r.approved_keys) == sorted({c.key64 for c in chosen})
    second = run.trace_contacts_of_contacts(kim, ctx, i.id)
    session.commit()
    assert second and {c.degree for c in second} == {2}
    rows = {c.id: c for c in run.contacts_of(kim, i.id)}
    via_keys = {rows[c.via_contact_id].key64 for c in second if c.via_contact_id}
    assert via_keys <= {c.key64 for c in chosen}
    listed = {c.key64 for c in first} | inv.all_keys(
        kim, session.get(InvestigationRow, i.id)
    )
    assert not {c.key64 for c in second} & listed  # nobody twice
    # each second-degree contact was truly with the contact it came through
    scorer = CityScorer(city.root, city.store, city.keys.pseudonymiser)
    t0 = int(kst_midnight(DAY).timestamp())
    truth = Truth.load(city.root, (t0, t0 + 2 * 86_400))
    true = 0
    colocated = [c for c in second if c.kind == ExposureKind.CO_LOCATION]
    for c in colocated:
        assert c.via_contact_id is not None
        via = rows[c.via_contact_id]
        met = truth.contacts(
            scorer.pid_of[via.key64],
            (int(via.t_start.timestamp()), t0 + 2 * 86_400),
            distance_m=45,
            min_minutes=5,
        )
        true += scorer.pid_of[c.key64] in met
    assert colocated and true >= 0.8 * len(colocated)
    # the contacts' reads are audited as such; first-degree results are untouched
    reads = " ".join(
        r.detail
        for r in session.scalars(
            sa.select(AuditRow).where(AuditRow.action == "movement.read")
        )
    )
    assert "first-degree contacts' own fixes" in reads
    assert [c.id for c in run.contacts_of(kim, i.id) if c.degree == 1] == [
        c.id for c in first
    ]
    # a new first-degree run drops second-degree contacts of contacts no longer found
    again = run.trace_contacts_of_contacts(kim, ctx, i.id)
    assert {c.id for c in again} == {c.id for c in second}
