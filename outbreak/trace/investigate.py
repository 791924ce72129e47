"""Running the engine for an investigation: the route, the contacts, the orders.

Each step reads only what an approved request covers (see :mod:`.service`), stores
its result for the dashboard and the disclosure engine, and replaces what an earlier
run stored — except contacts already given an order, which stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import NoReturn

import numpy as np
import sqlalchemy as sa

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.errors import NotFound
from outbreak.store.tables import (
    InvestigationNoteRow,
    InvestigationRow,
    OrderRow,
    RouteStayRow,
    TraceContactRow,
)
from outbreak.trace.contacts import (
    Contact,
    ContactRule,
    PlaceVisits,
    Presences,
    find_contacts,
)
from outbreak.trace.engine import MovementReader
from outbreak.trace.places import Places
from outbreak.trace.route import RouteStay, Track, Visits, build_route
from outbreak.trace.service import (
    CHECKIN_SOURCES,
    Approval,
    TraceContext,
    all_keys,
    checked_investigation,
    contact_rule,
    keys_of,
    read_approved,
    records_of,
    window_of,
)
from outbreak.trace.window import Window
from outbreak.types import KST, DataSource, ExposureKind, IdentifierKind, OrderKind


def rebuild_route(access: Access, ctx: TraceContext, inv_id: int) -> list[RouteStayRow]:
    """Rebuild the case's route from every approved source and the interview."""
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    phones = keys_of(access, inv, IdentifierKind.PHONE)
    cards = keys_of(access, inv, IdentifierKind.CARD)
    allowed = {
        s: read_approved(access, inv, s, "the case's own records")
        for s in (
            DataSource.GPS,
            DataSource.TELECOM,
            DataSource.CARD,
            DataSource.CHECKINS,
        )
    }
    notes = _reported_stays(access, inv, ctx.places)
    if all(v is None for v in allowed.values()) and not notes:
        _refuse_read(
            access,
            inv,
            "No approved data request covers any source of this case: "
            "request telecom, gps, card or checkins data first",
        )
    reader = MovementReader(ctx.store)
    tracks = {}
    for source, which in ((DataSource.GPS, 0), (DataSource.TELECOM, 1)):
        tracks[source] = _read_track(reader, allowed[source], phones, which)
    visits = [
        _read_visits(reader, allowed[source], phones, cards, kinds)
        for source, kinds in (
            (DataSource.CARD, {"card"}),
            (DataSource.CHECKINS, CHECKIN_SOURCES),
        )
    ]
    merged = Visits(
        np.concatenate([v.t for v in visits]),
        np.concatenate([v.place_id for v in visits]),
        tuple(x for v in visits for x in v.source),
    )
    order = np.argsort(merged.t, kind="stable")
    merged = Visits(
        merged.t[order], merged.place_id[order], tuple(merged.source[i] for i in order)
    )
    route = (
        build_route(
            gps=tracks[DataSource.GPS],
            telecom=tracks[DataSource.TELECOM],
            visits=merged,
            places=ctx.places,
            rule=ctx.route_rule,
        )
        + notes
    )
    route.sort(key=lambda s: s.t_start)
    access.session.execute(
        sa.delete(RouteStayRow).where(RouteStayRow.investigation_id == inv.id)
    )
    rows = [_stay_row(inv.id, s) for s in route]
    access.session.add_all(rows)
    access.session.flush()
    return rows


def _refuse_read(access: Access, inv: InvestigationRow, reason: str) -> NoReturn:
    """Refuse (and audit) a read no approved request covers."""
    access.refuse(
        Permission.MOVEMENT_READ,
        subject_type="investigation",
        subject_id=str(inv.id),
        reason=reason,
        field="source",
    )


def _read_track(
    reader: MovementReader, allowed: Approval | None, phones: list[int], which: int
) -> Track:
    """One source's pings of the approved keys, window by approved window."""
    if allowed is None:
        return Track.empty()
    keys = [k for k in phones if k in allowed.keys]
    parts = [reader.own_pings(keys, span)[which] for span in allowed.spans]
    t = np.concatenate([p.t for p in parts])
    order = np.unique(t, return_index=True)[1]  # windows may overlap: once each
    return Track(
        t[order],
        *(
            np.concatenate([getattr(p, c) for p in parts])[order]
            for c in ("x_dm", "y_dm")
        ),
    )


def _read_visits(
    reader: MovementReader,
    allowed: Approval | None,
    phones: list[int],
    cards: list[int],
    kinds: set[str],
) -> Visits:
    """One source's visits of the approved keys, window by approved window."""
    if allowed is None:
        return Visits.empty()
    p = [k for k in phones if k in allowed.keys]
    c = [k for k in cards if k in allowed.keys]
    seen: dict[tuple[int, int, str], None] = {}
    for span in allowed.spans:
        v = reader.own_visits(phone_keys=p, card_keys=c, window=span, sources=kinds)
        for row in zip(v.t.tolist(), v.place_id.tolist(), v.source, strict=True):
            seen[row] = None
    rows = sorted(seen)
    return Visits(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        tuple(r[2] for r in rows),
    )


def _reported_stays(
    access: Access, inv: InvestigationRow, places: Places
) -> list[RouteStay]:
    notes = access.session.scalars(
        sa.select(InvestigationNoteRow).where(
            InvestigationNoteRow.investigation_id == inv.id,
            InvestigationNoteRow.place_id.is_not(None),
        )
    )
    out = []
    for n in notes:
        place = places.get(n.place_id) if n.place_id is not None else None
        if place is None or n.t_start is None or n.t_end is None:
            continue
        w = Window(n.t_start, n.t_end).epoch
        out.append(
            RouteStay(
                w[0],
                w[1],
                place.x_dm,
                place.y_dm,
                place.id,
                frozenset({"interview"}),
                0.5,
            )
        )
    return out


def _stay_row(inv_id: int, s: RouteStay) -> RouteStayRow:
    return RouteStayRow(
        investigation_id=inv_id,
        t_start=datetime.fromtimestamp(s.t_start, UTC),
        t_end=datetime.fromtimestamp(s.t_end, UTC),
        x_dm=s.x_dm,
        y_dm=s.y_dm,
        place_id=s.place_id,
        sources=",".join(sorted(s.sources)),
        confidence=round(s.confidence, 2),
        n_pings=s.n_pings,
    )


def route_of(access: Access, inv_id: int) -> list[RouteStayRow]:
    """The stored route, in time order."""
    return records_of(access, inv_id, RouteStayRow, RouteStayRow.t_start)


def _as_stays(rows: list[RouteStayRow]) -> list[RouteStay]:
    return [
        RouteStay(
            int(r.t_start.timestamp()),
            int(r.t_end.timestamp()),
            r.x_dm,
            r.y_dm,
            r.place_id,
            frozenset(r.sources.split(",")),
            r.confidence,
            r.n_pings,
        )
        for r in rows
    ]


def trace_contacts(
    access: Access, ctx: TraceContext, inv_id: int
) -> list[TraceContactRow]:
    """Find the close contacts along the stored route (replacing earlier results)."""
    return trace_contacts_many(access, ctx, [inv_id])[inv_id]


def trace_contacts_many(
    access: Access, ctx: TraceContext, inv_ids: list[int]
) -> dict[int, list[TraceContactRow]]:
    """Contacts for many investigations at once (a cluster's cases, say): each is
    checked and audited on its own, and everyone's neighbours are read in one scan."""
    plans = {i: _plan(access, i) for i in dict.fromkeys(inv_ids)}
    reader = MovementReader(ctx.store)
    near: dict[int, Presences] = {}
    for every_fix in (False, True):  # one read for each way of finding people
        routes = {
            i: p.stays
            for i, p in plans.items()
            if p.spans is not None and p.rule.passers_by is every_fix
        }
        if routes:
            near |= reader.presences_many(
                routes,
                search_m={i: plans[i].rule.search_m for i in routes},
                every_fix=every_fix,
            )
    out = {}
    for i, p in plans.items():
        visits = PlaceVisits.empty()
        if p.spans is not None:
            places = sorted({s.place_id for s in p.stays if s.place_id is not None})
            parts = [reader.place_visits(places, w, exclude=p.own) for w in p.spans]
            visits = PlaceVisits.concat(parts)
        found = find_contacts(
            p.stays,
            index=set(p.own),
            presences=near.get(i, Presences.empty()),
            visits=visits,
            household=ctx.households.of(set(p.phones)),
            window=p.window,
            places=ctx.places,
            rule=p.rule,
            route_rule=ctx.route_rule,
        )
        _store_contacts(access, p.inv, found, ctx.retention_contact_days)
        out[i] = contacts_of(access, i)
    return out


def trace_contacts_of_contacts(
    access: Access, ctx: TraceContext, inv_id: int
) -> list[TraceContactRow]:
    """Second-degree contacts: who was with each first-degree contact named in an
    approved ``gps`` and ``place_devices`` request, from the contact's first exposure
    to the end of the approved window (replacing earlier second-degree results).

    Read from the contacts' own GPS fixes and the devices near them; people already
    listed (the case, first-degree contacts) are not repeated. A person met through
    several contacts is listed once, through the longest exposure.
    """
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    own = read_approved(
        access, inv, DataSource.GPS, "first-degree contacts' own fixes", contacts=True
    )
    near = read_approved(
        access,
        inv,
        DataSource.PLACE_DEVICES,
        "devices near first-degree contacts",
        contacts=True,
    )
    if own is None or near is None:
        _refuse_read(
            access,
            inv,
            "Contact-of-contact tracing needs approved gps and place_devices "
            "requests naming the contacts",
        )
    degree1 = [c for c in contacts_of(access, inv_id) if c.degree == 1]
    first = list(  # one row per person: the riskiest exposure
        {
            c.key64: c
            for c in reversed(degree1)
            if c.key64 in own.keys and c.key64 in near.keys
        }.values()
    )
    reader = MovementReader(ctx.store)
    routes: dict[int, list[RouteStay]] = {}
    spans: dict[int, tuple[int, int]] = {}
    for span in own.spans:
        tracks = reader.own_pings_many({c.id: [c.key64] for c in first}, span)
        for c in first:
            start = max(span[0], int(c.t_start.timestamp()))
            if c.id not in tracks or start >= span[1]:
                continue
            gps = tracks[c.id][0]
            keep = (gps.t >= start) & near.clip(gps.t)
            route = build_route(
                gps=Track(gps.t[keep], gps.x_dm[keep], gps.y_dm[keep]),
                telecom=Track.empty(),
                visits=Visits.empty(),
                places=ctx.places,
                rule=ctx.route_rule,
            )
            routes.setdefault(c.id, []).extend(route)
            lo, hi = spans.get(c.id, (start, span[1]))
            spans[c.id] = (min(lo, start), max(hi, span[1]))
    rule = contact_rule(inv)
    presences = reader.presences_many(
        routes, search_m=rule.search_m, every_fix=rule.passers_by
    )
    listed = {c.key64 for c in degree1} | all_keys(access, inv)
    best: dict[tuple[int, ExposureKind], tuple[Contact, int]] = {}
    for c in first:
        found = find_contacts(
            routes.get(c.id, []),
            index={c.key64},
            presences=presences.get(c.id, Presences.empty()),
            visits=PlaceVisits.empty(),
            household=ctx.households.of({c.key64}),
            window=spans.get(c.id, window_of(inv).epoch),
            places=ctx.places,
            rule=rule,
            route_rule=ctx.route_rule,
        )
        for f in found:
            seen = best.get((f.person, f.kind))
            if f.person not in listed and (seen is None or f.minutes > seen[0].minutes):
                best[(f.person, f.kind)] = (f, c.id)
    _store_contacts(
        access,
        inv,
        [f for f, _ in best.values()],
        ctx.retention_contact_days,
        via={key: via for key, (_, via) in best.items()},
    )
    return [c for c in contacts_of(access, inv_id) if c.degree == 2]


@dataclass(frozen=True)
class _Plan:
    """What one investigation lets the engine read."""

    inv: InvestigationRow
    rule: ContactRule
    window: tuple[int, int]
    stays: list[RouteStay]  # the stays inside the approved place-device window
    phones: list[int]
    own: list[int]
    spans: tuple[tuple[int, int], ...] | None  # approved place-device windows


def _plan(access: Access, inv_id: int) -> _Plan:
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    route = _as_stays(route_of(access, inv_id))
    phones = keys_of(access, inv, IdentifierKind.PHONE)
    allowed = read_approved(
        access, inv, DataSource.PLACE_DEVICES, "devices and check-ins near the route"
    )
    spans: tuple[tuple[int, int], ...] | None = None
    if allowed is not None:
        # each stay cut to the approved windows: nobody is read outside them
        route = [
            replace(s, t_start=max(s.t_start, a), t_end=min(s.t_end, b))
            for s in route
            for a, b in allowed.spans
            if s.t_end >= a and s.t_start <= b
        ]
        spans = allowed.spans
    return _Plan(
        inv,
        contact_rule(inv),
        window_of(inv).epoch,
        route,
        phones,
        phones + keys_of(access, inv, IdentifierKind.CARD),
        spans,
    )


def _store_contacts(
    access: Access,
    inv: InvestigationRow,
    found: list[Contact],
    retention_days: int,
    *,
    via: dict[tuple[int, ExposureKind], int] | None = None,
) -> None:
    """Bring an investigation's contacts of one degree up to date, keeping their ids:
    a contact found again is updated in place, a new one added, one no longer found
    removed — unless it has an order, which keeps it as it was. ``via`` ((person,
    kind) → first-degree contact id) marks second-degree contacts."""
    degree = 1 if via is None else 2
    existing = {
        (r.key64, r.kind): r
        for r in access.session.scalars(
            sa.select(TraceContactRow).where(
                TraceContactRow.investigation_id == inv.id,
                TraceContactRow.degree == degree,
            )
        )
    }
    ordered = set(
        access.session.scalars(
            sa.select(OrderRow.contact_id).where(
                OrderRow.contact_id.in_([r.id for r in existing.values()])
            )
        )
    )
    seen = set()
    for c in found:
        fresh = _contact_row(inv.id, c, retention_days)
        if via is not None:
            fresh.degree, fresh.via_contact_id = 2, via[(c.person, c.kind)]
        row = existing.get((c.person, c.kind))
        seen.add((c.person, c.kind))
        if row is None:
            access.session.add(fresh)
        elif row.id not in ordered:
            for column in (
                "t_start",
                "t_end",
                "minutes",
                "distance_m",
                "risk",
                "place_id",
                "sources",
                "purge_after",
                "via_contact_id",
            ):
                setattr(row, column, getattr(fresh, column))
    for key, row in existing.items():
        if key not in seen and row.id not in ordered:
            access.session.delete(row)
    access.session.flush()


def _contact_row(inv_id: int, c: Contact, retention_days: int) -> TraceContactRow:
    end = datetime.fromtimestamp(c.t_end, UTC)
    return TraceContactRow(
        investigation_id=inv_id,
        key64=c.person,
        kind=c.kind,
        t_start=datetime.fromtimestamp(c.t_start, UTC),
        t_end=end,
        minutes=round(c.minutes, 1),
        distance_m=c.distance_m,
        risk=c.risk,
        place_id=c.place_id,
        sources=",".join(sorted(c.sources)),
        purge_after=end.astimezone(KST).date() + timedelta(days=retention_days),
    )


def contacts_of(access: Access, inv_id: int) -> list[TraceContactRow]:
    """The investigation's contacts, highest risk and longest exposure first."""
    checked_investigation(access, inv_id, Permission.INVESTIGATION_READ)
    rows = access.session.scalars(
        sa.select(TraceContactRow).where(TraceContactRow.investigation_id == inv_id)
    )
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(rows, key=lambda r: (r.degree, order[r.risk.value], -r.minutes, r.id))


def issue_orders(
    access: Access,
    ctx: TraceContext,
    inv_id: int,
    *,
    contact_ids: list[int],
    kind: OrderKind,
) -> list[OrderRow]:
    """Test or quarantine orders for contacts, in bulk; quarantine ends
    ``quarantine_days`` after the last exposure. Issuing twice changes nothing."""
    inv = checked_investigation(access, inv_id, Permission.ORDER_WRITE)
    out = []
    for cid in contact_ids:
        c = access.session.get(TraceContactRow, cid)
        if c is None or c.investigation_id != inv.id:
            raise NotFound(
                f"No contact {cid} in investigation {inv_id}", field="contact_ids"
            )
        existing = access.session.scalar(
            sa.select(OrderRow).where(OrderRow.contact_id == cid, OrderRow.kind == kind)
        )
        if existing is not None:
            out.append(existing)
            continue
        last = c.t_end.astimezone(KST).date()
        start = max(access.today, c.t_start.astimezone(KST).date())
        end = (
            last + timedelta(days=ctx.quarantine_days)
            if kind == OrderKind.QUARANTINE
            else start
        )
        row = OrderRow(
            contact_id=cid,
            kind=kind,
            key64=c.key64,
            district_code=inv.district_code,
            start_on=min(start, end),
            end_on=end,
            issued_by=access.principal.username,
        )
        access.session.add(row)
        out.append(row)
    access.session.flush()
    return out


def orders_of(access: Access, inv_id: int) -> list[OrderRow]:
    """The orders issued from an investigation."""
    checked_investigation(access, inv_id, Permission.INVESTIGATION_READ)
    return list(
        access.session.scalars(
            sa.select(OrderRow)
            .join(TraceContactRow, TraceContactRow.id == OrderRow.contact_id)
            .where(TraceContactRow.investigation_id == inv_id)
            .order_by(OrderRow.id)
        )
    )


def last_exposure_on(row: TraceContactRow) -> date:
    """The (Korean) date of a contact's last exposure."""
    return row.t_end.astimezone(KST).date()
