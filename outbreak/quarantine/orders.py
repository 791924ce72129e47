"""Self-quarantine orders: issue (to the district's least-loaded officer, with an
app token shown once), look up by token, change state by the rules, extend, pair a
wristband, act on many at once, purge past retention.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.errors import InvalidInput, InvalidTransition, NotAuthenticated, NotFound
from outbreak.privacy import Keys
from outbreak.quarantine.notify import notify
from outbreak.quarantine.rules import (
    Geofence,
    balanced_officer,
    release_refusal,
    transition,
)
from outbreak.store.tables import (
    OrderRow,
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
    UserRoleRow,
    UserRow,
    UserScopeRow,
)
from outbreak.types import (
    AlertState,
    OrderKind,
    QuarantineSource,
    QuarantineState,
    Role,
)

S = QuarantineState
OPEN_STATES = (S.ISSUED, S.ACTIVE, S.BREACHED)


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
