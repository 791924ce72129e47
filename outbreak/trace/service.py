"""Investigations: the workflow around the engine, every read approved and audited.

An investigator opens an investigation of a confirmed case; its infectious window is
derived from the case's dates. Reading any source of the case's movement data — and
reading who else was near the case's stays — needs a data request that a *data
approver* (not the requester) has approved for that source and window; without one,
the read is refused and the refusal audited. Each read is audited with the
investigation as its purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import QueryableAttribute

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.cases.service import checked_case
from outbreak.config import Settings
from outbreak.errors import Conflict, InvalidInput, NotFound
from outbreak.ingest import MovementStore
from outbreak.ingest.adapters import mask
from outbreak.privacy import Keys, key64
from outbreak.store.tables import (
    CaseEventRow,
    CaseRow,
    DataRequestRow,
    InvestigationKeyRow,
    InvestigationNoteRow,
    InvestigationRow,
    PersonRow,
    RouteStayRow,
    TraceContactRow,
)
from outbreak.trace.contacts import (
    ContactRule,
)
from outbreak.trace.places import Places
from outbreak.trace.registry import Households
from outbreak.trace.route import RouteRule
from outbreak.trace.window import Window, infectious_window
from outbreak.types import (
    KST,
    CaseState,
    DataSource,
    IdentifierKind,
    InvestigationState,
    RequestState,
)

CHECKIN_SOURCES = {"qr", "phone"}
# what a contact-of-contact request may cover: a contact's own fixes, who was near them
CONTACT_SOURCES = (DataSource.GPS, DataSource.PLACE_DEVICES)


@dataclass
class TraceContext:
    """What the engine reads: the movement store and the reference registries."""

    store: MovementStore
    places: Places
    households: Households
    keys: Keys
    quarantine_days: int = 14
    retention_contact_days: int = 42
    route_rule: RouteRule = field(default_factory=RouteRule)


def load_context(settings: Settings, keys: Keys) -> TraceContext:
    """The engine's inputs as the settings place them (registries may be absent)."""
    registry = settings.registry_path
    places_file, people = registry / "places.parquet", registry / "people"
    return TraceContext(
        store=MovementStore(settings.parquet_path / "movement"),
        places=Places.from_parquet(places_file)
        if places_file.exists()
        else Places.empty(),
        households=(
            Households.from_parquet(people, keys.pseudonymiser)
            if people.exists()
            else Households.empty()
        ),
        keys=keys,
        quarantine_days=settings.quarantine_days,
        retention_contact_days=settings.retention_contact_days,
    )


def checked_investigation(
    access: Access, inv_id: int, permission: Permission
) -> InvestigationRow:
    inv = access.session.get(InvestigationRow, inv_id)
    if inv is None:
        raise NotFound(f"No investigation with id {inv_id}", field="investigation_id")
    access.check(
        permission,
        subject_type="investigation",
        subject_id=str(inv_id),
        district_code=inv.district_code,
    )
    return inv


def get_investigation(access: Access, inv_id: int) -> InvestigationRow:
    """An investigation, if the caller may read it in its district."""
    return checked_investigation(access, inv_id, Permission.INVESTIGATION_READ)


def list_investigations(
    access: Access, *, state: InvestigationState | None = None
) -> list[InvestigationRow]:
    """Investigations in the caller's districts, newest first."""
    access.check(
        Permission.INVESTIGATION_READ, subject_type="investigation", subject_id="list"
    )
    q = sa.select(InvestigationRow).order_by(InvestigationRow.id.desc())
    if state is not None:
        q = q.where(InvestigationRow.state == state)
    rows = access.session.scalars(q).all()
    return [r for r in rows if access.principal.covers(r.district_code)]


def _isolated_at(access: Access, case: CaseRow) -> datetime:
    """When the case was isolated: its first isolation or admission, end of that day."""
    first = access.session.scalar(
        sa.select(sa.func.min(CaseEventRow.on)).where(
            CaseEventRow.case_id == case.id,
            CaseEventRow.state.in_([CaseState.ISOLATED, CaseState.IN_HOSPITAL]),
        )
    )
    day = min(d for d in (first, case.confirmed_on) if d is not None)
    return datetime.combine(day + timedelta(days=1), time(0), KST)


def open_investigation(
    access: Access,
    keys: Keys,
    case_id: int,
    *,
    rule: ContactRule | None = None,
    now: datetime | None = None,
) -> InvestigationRow:
    """Open an investigation of a case, with its window and the case's phone key."""
    case = checked_case(
        access, case_id, Permission.INVESTIGATION_WRITE, detail="open investigation"
    )
    if access.session.scalar(
        sa.select(InvestigationRow.id).where(
            InvestigationRow.case_id == case_id,
            InvestigationRow.state == InvestigationState.OPEN,
        )
    ):
        raise Conflict(
            f"Case {case_id} already has an open investigation", field="case_id"
        )
    window = infectious_window(
        onset_on=case.onset_on,
        sample_on=case.sample_on,
        isolated_at=_isolated_at(access, case),
        now=now or datetime.now(UTC),
    )
    inv = InvestigationRow(
        case_id=case_id,
        district_code=case.district_code,
        state=InvestigationState.OPEN,
        window_start=window.start,
        window_end=window.end,
        window_basis=window.basis,
        rule=json.dumps(_rule_json(rule or ContactRule())),
        opened_by=access.principal.username,
    )
    access.session.add(inv)
    access.session.flush()
    person = access.session.get(PersonRow, case.person_key)
    if person is not None and person.phone_enc:
        phone = keys.cipher.decrypt(person.phone_enc)
        _add_key(access, keys, inv, IdentifierKind.PHONE, phone)
    return inv


def _rule_json(rule: ContactRule) -> dict[str, object]:
    d = {f.name: getattr(rule, f.name) for f in fields(rule)}
    d["venue_min_minutes"] = dict(rule.venue_min_minutes)
    return d


def contact_rule(inv: InvestigationRow) -> ContactRule:
    """The investigation's contact rule."""
    return ContactRule(**json.loads(inv.rule))


def window_of(inv: InvestigationRow) -> Window:
    """The investigation's infectious window."""
    return Window(inv.window_start, inv.window_end, inv.window_basis)


def _add_key(
    access: Access, keys: Keys, inv: InvestigationRow, kind: IdentifierKind, raw: str
) -> InvestigationKeyRow:
    k = key64(keys.pseudonymiser.person_key(raw, kind))
    row = access.session.scalar(
        sa.select(InvestigationKeyRow).where(
            InvestigationKeyRow.investigation_id == inv.id,
            InvestigationKeyRow.key64 == k,
        )
    )
    if row is None:
        row = InvestigationKeyRow(
            investigation_id=inv.id, kind=kind, key64=k, label=mask(raw)[-24:]
        )
        access.session.add(row)
        access.session.flush()
    return row


def add_identifier(
    access: Access, keys: Keys, inv_id: int, *, kind: IdentifierKind, raw: str
) -> InvestigationKeyRow:
    """Add a phone or card of the case (from the interview); only its key is kept."""
    if kind not in (IdentifierKind.PHONE, IdentifierKind.CARD):
        raise InvalidInput(
            f"kind must be phone or card, got {kind.value!r}", field="kind"
        )
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    return _add_key(access, keys, inv, kind, raw)


def request_data(
    access: Access,
    inv_id: int,
    *,
    source: DataSource,
    reason: str,
    window: Window | None = None,
    contact_ids: list[int] | None = None,
) -> DataRequestRow:
    """Ask to read a source for the investigation's window (or a narrower one).

    With ``contact_ids`` the request is for those first-degree contacts' movements
    (their own GPS, or the devices near them), for contact-of-contact tracing.
    """
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    if inv.state == InvestigationState.CLOSED:
        raise Conflict(f"Investigation {inv_id} is closed", field="state")
    if len(reason.strip()) < 10:
        raise InvalidInput("Give a reason of at least 10 characters", field="reason")
    w = window or window_of(inv)
    full = window_of(inv)
    if w.start < full.start or w.end > full.end:
        raise InvalidInput(
            "A request's window must lie inside the investigation's", field="window"
        )
    contacts = sorted(set(contact_ids or []))
    if contacts:
        if source not in CONTACT_SOURCES:
            raise InvalidInput(
                "A request for contacts' movements is for "
                + " or ".join(s.value for s in CONTACT_SOURCES),
                field="source",
            )
        known = set(
            access.session.scalars(
                sa.select(TraceContactRow.id).where(
                    TraceContactRow.investigation_id == inv.id,
                    TraceContactRow.degree == 1,
                    TraceContactRow.id.in_(contacts),
                )
            )
        )
        if missing := [c for c in contacts if c not in known]:
            raise NotFound(
                f"No first-degree contact {missing[0]} in investigation {inv_id}",
                field="contact_ids",
            )
    row = DataRequestRow(
        investigation_id=inv.id,
        source=source,
        window_start=w.start,
        window_end=w.end,
        reason=reason,
        state=RequestState.PENDING,
        requested_by=access.principal.username,
        contact_ids=json.dumps(contacts),
    )
    access.session.add(row)
    access.session.flush()
    return row


def decide_request(
    access: Access, request_id: int, *, approve: bool, note: str = ""
) -> DataRequestRow:
    """Approve or reject a pending request; the requester may not decide their own."""
    row = access.session.get(DataRequestRow, request_id)
    if row is None:
        raise NotFound(f"No data request with id {request_id}", field="request_id")
    inv = access.session.get(InvestigationRow, row.investigation_id)
    assert inv is not None
    access.check(
        Permission.DATA_APPROVE,
        subject_type="data_request",
        subject_id=str(request_id),
        district_code=inv.district_code,
        detail=f"{'approve' if approve else 'reject'} {row.source.value}",
    )
    if row.state != RequestState.PENDING:
        raise Conflict(
            f"Request {request_id} is already {row.state.value}", field="state"
        )
    if row.requested_by == access.principal.username:
        access.refuse(
            Permission.DATA_APPROVE,
            subject_type="data_request",
            subject_id=str(request_id),
            reason="A request must be decided by someone other than its requester",
            field="request_id",
        )
    row.state = RequestState.APPROVED if approve else RequestState.REJECTED
    if approve:
        contacts = json.loads(row.contact_ids)
        keys = (
            set(
                access.session.scalars(
                    sa.select(TraceContactRow.key64).where(
                        TraceContactRow.id.in_(contacts)
                    )
                )
            )
            if contacts
            else all_keys(access, inv)
        )
        row.approved_keys = json.dumps(sorted(keys))
    row.decided_by, row.decided_at, row.decision_note = (
        access.principal.username,
        datetime.now(UTC),
        note,
    )
    access.session.flush()
    return row


Record = TypeVar("Record", DataRequestRow, InvestigationNoteRow, RouteStayRow)


def records_of(
    access: Access, inv_id: int, row: type[Record], order: QueryableAttribute[Any]
) -> list[Record]:
    """An investigation's records of one kind, if the caller may read it."""
    checked_investigation(access, inv_id, Permission.INVESTIGATION_READ)
    return list(
        access.session.scalars(
            sa.select(row).where(row.investigation_id == inv_id).order_by(order)
        )
    )


def requests_of(access: Access, inv_id: int) -> list[DataRequestRow]:
    """An investigation's data requests, oldest first."""
    return records_of(access, inv_id, DataRequestRow, DataRequestRow.id)


def notes_of(access: Access, inv_id: int) -> list[InvestigationNoteRow]:
    """An investigation's interview notes and reported places, oldest first."""
    return records_of(access, inv_id, InvestigationNoteRow, InvestigationNoteRow.id)


def pending_requests(access: Access) -> list[DataRequestRow]:
    """Requests awaiting a decision in the approver's districts."""
    access.check(
        Permission.DATA_APPROVE, subject_type="data_request", subject_id="list"
    )
    rows = access.session.execute(
        sa.select(DataRequestRow, InvestigationRow.district_code)
        .join(InvestigationRow, InvestigationRow.id == DataRequestRow.investigation_id)
        .where(DataRequestRow.state == RequestState.PENDING)
        .order_by(DataRequestRow.id)
    ).all()
    return [r for r, d in rows if access.principal.covers(d)]


@dataclass(frozen=True)
class Approval:
    """What the approved requests for one source allow: windows and keys."""

    spans: tuple[tuple[int, int], ...]  # Unix seconds, each approved window
    keys: frozenset[int]  # the case's (or the named contacts') keys at approval

    def clip(self, t: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which times fall inside an approved window."""
        keep = np.zeros(len(t), dtype=bool)
        for a, b in self.spans:
            keep |= (t >= a) & (t <= b)
        return keep


def approval(
    access: Access, inv: InvestigationRow, source: DataSource, *, contacts: bool = False
) -> Approval | None:
    """The approved requests for a source (each window on its own), or None; for
    the case's data, or with ``contacts`` for first-degree contacts' movements."""
    rows = [
        r
        for r in access.session.scalars(
            sa.select(DataRequestRow).where(
                DataRequestRow.investigation_id == inv.id,
                DataRequestRow.source == source,
                DataRequestRow.state == RequestState.APPROVED,
            )
        )
        if (json.loads(r.contact_ids) != []) == contacts
    ]
    if not rows:
        return None
    spans = tuple(Window(r.window_start, r.window_end).epoch for r in rows)
    keys = frozenset(k for r in rows for k in json.loads(r.approved_keys))
    return Approval(spans, keys)


def add_note(
    access: Access,
    inv_id: int,
    *,
    text: str,
    place_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> InvestigationNoteRow:
    """An interview note; with a place and times, a self-reported stay of the route."""
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    if not text.strip():
        raise InvalidInput("A note needs text", field="text")
    if (place_id is None) != (start is None) or (start is None) != (end is None):
        raise InvalidInput(
            "A reported place needs place_id, start and end together", field="place_id"
        )
    if start is not None and end is not None:
        Window(start, end)  # validates order and offsets
    row = InvestigationNoteRow(
        investigation_id=inv.id,
        text=text,
        place_id=place_id,
        t_start=start,
        t_end=end,
        created_by=access.principal.username,
    )
    access.session.add(row)
    access.session.flush()
    return row


def keys_of(access: Access, inv: InvestigationRow, kind: IdentifierKind) -> list[int]:
    return list(
        access.session.scalars(
            sa.select(InvestigationKeyRow.key64).where(
                InvestigationKeyRow.investigation_id == inv.id,
                InvestigationKeyRow.kind == kind,
            )
        )
    )


def read_approved(
    access: Access,
    inv: InvestigationRow,
    source: DataSource,
    what: str,
    *,
    contacts: bool = False,
) -> Approval | None:
    """What may be read of ``source`` (None: nothing); audits the read."""
    if inv.state == InvestigationState.CLOSED:
        raise Conflict(f"Investigation {inv.id} is closed", field="state")
    allowed = approval(access, inv, source, contacts=contacts)
    if allowed is None:
        return None
    access.check(
        Permission.MOVEMENT_READ,
        subject_type="investigation",
        subject_id=str(inv.id),
        district_code=inv.district_code,
        detail=f"read {source.value}: {what}",
    )
    return allowed


def all_keys(access: Access, inv: InvestigationRow) -> set[int]:
    """Every identifier key of the case in an investigation."""
    return set(
        access.session.scalars(
            sa.select(InvestigationKeyRow.key64).where(
                InvestigationKeyRow.investigation_id == inv.id
            )
        )
    )


def close_investigation(access: Access, inv_id: int) -> InvestigationRow:
    """Close an investigation; its records stay for their retention period."""
    inv = checked_investigation(access, inv_id, Permission.INVESTIGATION_WRITE)
    if inv.state == InvestigationState.CLOSED:
        raise Conflict(f"Investigation {inv_id} is already closed", field="state")
    inv.state, inv.closed_at = InvestigationState.CLOSED, datetime.now(UTC)
    access.session.flush()
    return inv
