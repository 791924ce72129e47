"""The disclosure workflow on the database: derive, review, publish, withdraw.

Exposure places are *derived* from investigations' routes — each stay at a place
becomes an entry that the rules (:mod:`outbreak.disclose.rules`) either allow
(``proposed``) or withhold (``withheld``, with the rule recorded). A communicator
reviews the proposed entries, may correct their wording or hide them, and
publishes; every action is checked and audited. When a rule starts to withhold a
published entry — all its contacts identified, the route rebuilt without it — the
entry is withdrawn on the next derivation, never re-published without review.

The public never reads these rows: publishing writes a snapshot
(:mod:`outbreak.disclose.snapshot`) that the public site serves.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.disclose.rules import Candidate, DisclosurePolicy, check_wording
from outbreak.errors import Conflict, InvalidInput, NotFound, PrivacyViolation
from outbreak.geo.metric import to_degrees
from outbreak.store.tables import DisclosureRow, InvestigationRow, RouteStayRow
from outbreak.trace.places import Places
from outbreak.types import DisclosureState

UNNAMED = -1  # place_id of a stay at no registered place
MOMENT = timedelta(minutes=1)  # a stay of no length (a note, a payment) lasts this
PUBLIC_FIELDS = ("kind", "name", "address", "district_code", "lat", "lon", "t_end")
ROUTE_CHANGED = "route_changed"  # why a published entry left with its stay
S = DisclosureState


@dataclass
class DeriveReport:
    """What one derivation did."""

    investigations: int = 0
    created: int = 0
    withdrawn: list[int] = field(default_factory=list)  # entries taken down
    changed: list[int] = field(default_factory=list)  # public, changed: re-review
    removed: int = 0  # unpublished entries whose stay left the route
    withheld: dict[str, int] = field(default_factory=dict)  # rule code → entries


def _candidate(row: DisclosureRow, inv: InvestigationRow) -> Candidate:
    return Candidate(
        place_id=None if row.place_id == UNNAMED else row.place_id,
        kind=row.kind,
        t_start=row.t_start,
        t_end=row.t_end,
        window_start=inv.window_start,
        window_end=inv.window_end,
        contacts_identified=row.contacts_identified,
        public_risk=row.public_risk,
        district_known=row.district_known,
    )


def _stay_candidate(
    stay: RouteStayRow, inv: InvestigationRow, places: Places
) -> tuple[Candidate, DisclosureRow]:
    """A route stay as a candidate, and the fields of its entry (times clipped to
    the window when they overlap it)."""
    place = places.get(stay.place_id) if stay.place_id is not None else None
    lon, lat = to_degrees(np.array([stay.x_dm / 10]), np.array([stay.y_dm / 10]))
    start, end = stay.t_start, max(stay.t_end, stay.t_start + MOMENT)
    if end > inv.window_start and start < inv.window_end:
        start, end = max(start, inv.window_start), min(end, inv.window_end)
    district = place.district_code if place else ""
    c = Candidate(
        place_id=place.id if place else None,
        kind=place.kind if place else "",
        t_start=start,
        t_end=end,
        window_start=inv.window_start,
        window_end=inv.window_end,
        district_known=place is None or bool(district),
    )
    row = DisclosureRow(
        investigation_id=inv.id,
        place_id=place.id if place else UNNAMED,
        kind=c.kind,
        name=place.name if place else "",
        address=place.address if place else "",
        # a place of no known district is filed under the investigation's (for
        # the reviewers' scope) and withheld: it cannot be listed by district
        district_code=district or inv.district_code,
        district_known=c.district_known,
        # an unnamed stay may be a home: its entry keeps only a ~1 km position
        lat=round(float(lat[0]), 6 if place else 2),
        lon=round(float(lon[0]), 6 if place else 2),
        t_start=start,
        t_end=end,
    )
    return c, row


def _apply_rules(
    row: DisclosureRow, c: Candidate, policy: DisclosurePolicy, now: datetime
) -> bool:
    """Set the row's state from the rules; True when a published entry was
    withdrawn. A withheld entry that the rules allow again is proposed, never
    published without review; hidden and hand-withdrawn entries stay so."""
    held = policy.evaluate(c, now=now)
    row.withheld_by = ",".join(w.code for w in held)
    if held:
        if row.state == S.PUBLISHED:
            row.state = S.WITHDRAWN
            return True
        if row.state == S.PROPOSED:
            row.state = S.WITHHELD
    elif row.state == S.WITHHELD or (
        row.state == S.WITHDRAWN and not row.hidden_reason
    ):
        row.state = S.PROPOSED
    return False


def derive(
    access: Access,
    places: Places,
    *,
    now: datetime,
    policy: DisclosurePolicy | None = None,
    investigation_ids: Sequence[int] | None = None,
) -> DeriveReport:
    """Propose exposure places from the routes of investigations in the caller's
    districts (all whose exposures can still be public, or those named).

    Idempotent: a stay already proposed keeps its entry, its review and its
    public id; the rules are applied again (an entry they now withhold is
    withdrawn if it was public).
    """
    policy = policy or DisclosurePolicy()
    access.check(
        Permission.DISCLOSURE_WRITE, subject_type="disclosure", subject_id="derive"
    )
    oldest = now - timedelta(days=policy.retention_days)
    q = sa.select(InvestigationRow).where(InvestigationRow.window_end > oldest)
    if investigation_ids is not None:
        q = q.where(InvestigationRow.id.in_(investigation_ids))
    report = DeriveReport()
    for inv in access.session.scalars(q.order_by(InvestigationRow.id)):
        if not access.principal.covers(inv.district_code):
            continue
        _derive_one(access, inv, places, policy, now, report)
    access.session.flush()
    return report


def _derive_one(
    access: Access,
    inv: InvestigationRow,
    places: Places,
    policy: DisclosurePolicy,
    now: datetime,
    report: DeriveReport,
) -> None:
    access.check(
        Permission.DISCLOSURE_WRITE,
        subject_type="investigation",
        subject_id=str(inv.id),
        district_code=inv.district_code,
        detail="derive exposure places from the route",
    )
    report.investigations += 1
    session = access.session
    existing = {
        (r.place_id, r.t_start): r
        for r in session.scalars(
            sa.select(DisclosureRow).where(DisclosureRow.investigation_id == inv.id)
        )
    }
    stays = session.scalars(
        sa.select(RouteStayRow)
        .where(RouteStayRow.investigation_id == inv.id)
        .order_by(RouteStayRow.t_start)
    )
    seen = set()
    for stay in stays:
        c, fresh = _stay_candidate(stay, inv, places)
        key = (fresh.place_id, fresh.t_start)
        if key in seen:  # two stays at one unnamed spot starting together
            continue
        seen.add(key)
        row = _upsert(session, existing.get(key), fresh, c, policy, report)
        if _apply_rules(row, _candidate(row, inv), policy, now):
            report.withdrawn.append(row.id)
        for code in row.withheld_by.split(",") if row.withheld_by else ():
            report.withheld[code] = report.withheld.get(code, 0) + 1
    for key, row in existing.items():
        if key not in seen:
            _left_route(session, row, report)


def _upsert(
    session: Session,
    row: DisclosureRow | None,
    fresh: DisclosureRow,
    c: Candidate,
    policy: DisclosurePolicy,
    report: DeriveReport,
) -> DisclosureRow:
    """The stay's entry, new or brought up to date. A published entry whose
    public fields change goes back to review: nothing unreviewed is public."""
    if row is None:
        fresh.public_id = secrets.token_hex(8)
        fresh.state = S.PROPOSED
        fresh.expires_at = policy.expires_at(c)
        session.add(fresh)
        session.flush()
        report.created += 1
        return fresh
    changed = [n for n in PUBLIC_FIELDS if getattr(row, n) != getattr(fresh, n)]
    for name in (*PUBLIC_FIELDS, "district_known"):
        setattr(row, name, getattr(fresh, name))
    row.expires_at = policy.expires_at(c)
    if changed and row.state == S.PUBLISHED:
        row.state = S.PROPOSED
        report.changed.append(row.id)
    return row


def _left_route(session: Session, row: DisclosureRow, report: DeriveReport) -> None:
    """A stay no longer in the route: its entry goes (withdrawn if it was public)."""
    if row.published_at is None:  # never public: nothing to take back
        session.delete(row)
        report.removed += 1
    elif row.state != S.WITHDRAWN:
        if row.state == S.PUBLISHED:
            report.withdrawn.append(row.id)
        row.state, row.withheld_by = S.WITHDRAWN, ROUTE_CHANGED


def checked_entry(
    access: Access, entry_id: int, permission: Permission, detail: str
) -> DisclosureRow:
    """An entry, if the caller may act on it in its district (audited)."""
    row = access.session.get(DisclosureRow, entry_id)
    if row is None:
        raise NotFound(f"No disclosure entry with id {entry_id}", field="entry_id")
    access.check(
        permission,
        subject_type="disclosure",
        subject_id=str(entry_id),
        district_code=row.district_code,
        detail=detail,
    )
    return row


def list_entries(
    access: Access,
    *,
    state: DisclosureState | None = None,
    district: str | None = None,
    investigation_id: int | None = None,
) -> list[DisclosureRow]:
    """Entries in the caller's districts, by district and time (audited)."""
    access.check(
        Permission.DISCLOSURE_READ, subject_type="disclosure", subject_id="list"
    )
    q = sa.select(DisclosureRow)
    if state is not None:
        q = q.where(DisclosureRow.state == state)
    if district:
        q = q.where(DisclosureRow.district_code.startswith(district))
    if investigation_id is not None:
        q = q.where(DisclosureRow.investigation_id == investigation_id)
    q = q.order_by(DisclosureRow.district_code, DisclosureRow.t_start, DisclosureRow.id)
    return [
        r for r in access.session.scalars(q) if access.principal.covers(r.district_code)
    ]


def edit(
    access: Access,
    entry_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    disinfected: bool | None = None,
) -> DisclosureRow:
    """Correct an entry's public wording (checked) or mark the place disinfected.

    A correction of a published entry reaches every output at the next snapshot.
    An empty ``name``/``address`` restores the registered one.
    """
    row = checked_entry(access, entry_id, Permission.DISCLOSURE_WRITE, "edit")
    if name is not None:
        row.name_public = _wording(name, row.name, field="name")
    if address is not None:
        row.address_public = _wording(address, row.address, field="address")
    if disinfected is not None:
        row.disinfected = disinfected
    access.session.flush()
    return row


def _wording(text: str, registered: str, *, field: str) -> str | None:
    """The communicator's wording, checked unless it is the registered one (a
    pharmacy called 여성약국 is a place, not a sex); None: the registered."""
    tidy = " ".join(text.split())
    if not tidy or tidy == " ".join(registered.split()):
        return None
    return check_wording(tidy, field=field)


def hide(access: Access, entry_id: int, *, reason: str) -> DisclosureRow:
    """Keep an entry from the public (a published one is withdrawn)."""
    row = checked_entry(access, entry_id, Permission.DISCLOSURE_WRITE, "hide")
    _need_reason(reason)
    if row.state == S.HIDDEN:
        raise Conflict(f"Entry {entry_id} is already hidden", field="state")
    row.state, row.hidden_reason = S.HIDDEN, reason.strip()
    access.session.flush()
    return row


def unhide(
    access: Access, entry_id: int, *, now: datetime, policy: DisclosurePolicy
) -> DisclosureRow:
    """Return a hidden entry to review (proposed, or withheld if a rule says so)."""
    row = checked_entry(access, entry_id, Permission.DISCLOSURE_WRITE, "unhide")
    if row.state != S.HIDDEN:
        raise Conflict(
            f"Entry {entry_id} is {row.state.value}, not hidden", field="state"
        )
    row.state, row.hidden_reason = S.PROPOSED, ""
    _apply_rules(row, _candidate(row, _inv(access, row)), policy, now)
    access.session.flush()
    return row


def withdraw(access: Access, entry_id: int, *, reason: str) -> DisclosureRow:
    """Take a published entry down (a correction that removes it everywhere)."""
    row = checked_entry(access, entry_id, Permission.DISCLOSURE_WRITE, "withdraw")
    _need_reason(reason)
    if row.state != S.PUBLISHED:
        raise Conflict(
            f"Entry {entry_id} is {row.state.value}; only a published entry can be "
            "withdrawn (hide an unpublished one)",
            field="state",
        )
    row.state, row.hidden_reason = S.WITHDRAWN, reason.strip()
    access.session.flush()
    return row


def publish(
    access: Access,
    entry_ids: Sequence[int],
    *,
    now: datetime,
    policy: DisclosurePolicy,
) -> list[DisclosureRow]:
    """Publish proposed entries, all or none; the rules are checked once more.

    Raises
    ------
    PrivacyViolation
        When a rule withholds one of them (naming the entry and the rule).
    Conflict
        When one is hidden or withdrawn by hand (unhide or review it first).
    """
    if not entry_ids:
        raise InvalidInput("Name at least one entry to publish", field="entry_ids")
    rows = []
    for entry_id in dict.fromkeys(entry_ids):
        row = checked_entry(access, entry_id, Permission.DISCLOSURE_WRITE, "publish")
        if row.state == S.PUBLISHED:
            continue
        if row.state in (S.HIDDEN, S.WITHDRAWN):
            raise Conflict(
                f"Entry {entry_id} is {row.state.value}; unhide it or derive again "
                "before publishing",
                field="entry_ids",
            )
        held = policy.evaluate(_candidate(row, _inv(access, row)), now=now)
        if held:
            raise PrivacyViolation(
                f"Entry {entry_id} is withheld by rule {held[0].code!r}: "
                f"{held[0].reason}",
                field="entry_ids",
            )
        rows.append(row)
    for row in rows:
        row.state, row.withheld_by = S.PUBLISHED, ""
        row.published_at, row.published_by = now, access.principal.username
    access.session.flush()
    return rows


def invoke_public_risk(
    access: Access,
    entry_id: int,
    *,
    reason: str,
    now: datetime,
    policy: DisclosurePolicy,
) -> DisclosureRow:
    """The workplace exception: the infection may have spread to many unidentified
    people there, so its name may be published. Needs a reason; audited."""
    row = checked_entry(
        access, entry_id, Permission.DISCLOSURE_WRITE, f"public risk: {reason}"
    )
    _need_reason(reason)
    if row.kind not in policy.workplace_kinds:
        raise InvalidInput(
            f"Entry {entry_id} is a {row.kind or 'unnamed place'}, not a workplace: "
            "the exception does not apply",
            field="entry_id",
        )
    row.public_risk, row.public_risk_reason = True, reason.strip()
    _apply_rules(row, _candidate(row, _inv(access, row)), policy, now)
    access.session.flush()
    return row


def mark_contacts_identified(
    access: Access,
    entry_id: int,
    *,
    identified: bool,
    now: datetime,
    policy: DisclosurePolicy,
) -> DisclosureRow:
    """The investigation's finding that every contact at the place is (or is not)
    identified — an investigator's call. A published entry is withdrawn at once."""
    row = access.session.get(DisclosureRow, entry_id)
    if row is None:
        raise NotFound(f"No disclosure entry with id {entry_id}", field="entry_id")
    inv = _inv(access, row)
    access.check(
        Permission.INVESTIGATION_WRITE,
        subject_type="investigation",
        subject_id=str(inv.id),
        district_code=inv.district_code,
        detail=f"disclosure {entry_id}: contacts identified = {identified}",
    )
    row.contacts_identified = identified
    _apply_rules(row, _candidate(row, inv), policy, now)
    access.session.flush()
    return row


def _inv(access: Access, row: DisclosureRow) -> InvestigationRow:
    inv = access.session.get(InvestigationRow, row.investigation_id)
    assert inv is not None  # a foreign key with ON DELETE CASCADE
    return inv


def _need_reason(reason: str) -> None:
    if len(reason.strip()) < 10:
        raise InvalidInput("Give a reason of at least 10 characters", field="reason")


def purge(session: Session, *, now: datetime) -> int:
    """Delete every entry 14 days (the policy's retention) after its last exposure;
    returns how many. Every snapshot runs it, and so does ``outbreak retention
    sweep``."""
    result = session.execute(
        sa.delete(DisclosureRow).where(DisclosureRow.expires_at <= now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
