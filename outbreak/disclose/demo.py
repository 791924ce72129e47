"""Demo disclosure: exposure places from the demo investigations, reviewed and
published the way a communicator would.

A ``press`` communicator derives the places from the investigations' routes; the
rules withhold homes, unregistered spots and workplaces; the investigator records
that every contact at one place is identified (so it stays unpublished); the
communicator hides one with a reason and publishes the rest; the public snapshot
is written — so the public page, the feeds and the self-check have something real.

Then the exposure-notification side: the investigator issues a verification code
for the first demo case, its phone uploads five days of keys with it, and the day's
signed export is written for phones to download.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak import auth
from outbreak.audit import Access
from outbreak.config import Settings
from outbreak.demo import ensure_user
from outbreak.disclose import keyserver
from outbreak.disclose import service as dis
from outbreak.disclose.gaen import TEK_ROLLING_PERIOD, KeyJson, interval_number
from outbreak.disclose.snapshot import policy_for, refresh
from outbreak.store.tables import DiagnosisKeyRow, DisclosureRow, InvestigationRow
from outbreak.trace.places import Places
from outbreak.types import DisclosureState, Role

COMMUNICATOR = "press"


def load_disclosures(
    session: Session, settings: Settings, places: Places, *, now: datetime
) -> int:
    """Derive, review and publish once; returns how many entries were published."""
    if session.scalar(sa.select(sa.func.count()).select_from(DisclosureRow)):
        return 0
    ensure_user(
        session, COMMUNICATOR, {Role.COMMUNICATOR}, {"11"}, "communication officer"
    )
    session.commit()
    policy = policy_for(settings)
    press = Access(
        session, auth.principal_for(session, COMMUNICATOR), "demo disclosure"
    )
    seoul = Access(session, auth.principal_for(session, "seoul"), "demo investigation")
    dis.derive(press, places, now=now, policy=policy)
    proposed = dis.list_entries(press, state=DisclosureState.PROPOSED)
    if len(proposed) >= 3:
        dis.mark_contacts_identified(
            seoul, proposed[0].id, identified=True, now=now, policy=policy
        )
        dis.hide(
            press,
            proposed[1].id,
            reason="Owner is calling every guest from the reservation book",
        )
    ids = [r.id for r in dis.list_entries(press, state=DisclosureState.PROPOSED)]
    published = dis.publish(press, ids, now=now, policy=policy) if ids else []
    refresh(session, settings, now=now)
    return len(published)


def load_exposure_keys(session: Session, settings: Settings, *, now: datetime) -> int:
    """A code for the first investigated case, its phone's upload, the export;
    returns how many keys were exported (0 when done before or nothing to do)."""
    if session.scalar(sa.select(sa.func.count()).select_from(DiagnosisKeyRow)):
        return 0
    inv = session.scalar(sa.select(InvestigationRow).order_by(InvestigationRow.id))
    if inv is None:
        return 0
    seoul = Access(session, auth.principal_for(session, "seoul"), "demo key upload")
    issued = keyserver.issue_code(
        seoul, inv.case_id, now=now, lifetime_min=settings.en_code_lifetime_min
    )
    today = interval_number(now) // TEK_ROLLING_PERIOD * TEK_ROLLING_PERIOD
    keys: list[KeyJson] = [
        {
            "key": base64.b64encode(secrets.token_bytes(16)).decode(),
            "rollingStartNumber": today - day * TEK_ROLLING_PERIOD,
            "rollingPeriod": TEK_ROLLING_PERIOD,
            "transmissionRisk": 5,
        }
        for day in range(1, 6)  # the five days before today: all ended
    ]
    keyserver.publish_keys(
        session,
        keyserver.Upload(issued.code, keys),
        now=now,
        region=settings.en_region,
    )
    written = keyserver.export_batch(
        session,
        keyserver.ExportConfig.from_settings(settings),
        now=now,
        signing_key=keyserver.signing_key(settings),
    )
    session.commit()
    return sum(w.key_count for w in written)
