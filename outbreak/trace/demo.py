"""Demo investigations in a synthetic city: three linked cases, worked end to end.

An index case, one of their household and one co-worker are confirmed on the city's
last day; for each, the ``seoul`` investigator opens an investigation and requests
GPS, check-in, card and place-device data, the ``approver`` approves, and the engine
rebuilds the route, finds the contacts and issues quarantine orders to the high-risk
ones; for the index case, the closest contacts' own contacts are traced too — so the
dashboard shows routes, contacts of both degrees, a chain and a cluster.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak import auth, cases
from outbreak.audit import Access
from outbreak.demo import DEMO_USERS, ensure_user
from outbreak.store.tables import InvestigationRow
from outbreak.synth.city import phone_of
from outbreak.trace import investigate as run
from outbreak.trace import service as inv
from outbreak.trace.service import TraceContext
from outbreak.types import (
    DataSource,
    ExposureKind,
    IdentifierKind,
    InfectionSource,
    OrderKind,
    RiskLevel,
)

REASON = "Confirmed case: route and contacts over the infectious window (demo)"


def pick_cases(people: Path) -> list[int]:
    """An index case with a household and a workplace, a housemate, a co-worker."""
    t = pq.read_table(people).to_pydict()
    pid, home, work = (np.array(t[c]) for c in ("pid", "household", "workplace_id"))
    sizes = np.bincount(home)
    for i in np.flatnonzero((work >= 0) & (sizes[home] >= 2)):
        mates = np.flatnonzero((home == home[i]) & (pid != pid[i]))
        peers = np.flatnonzero((work == work[i]) & (home != home[i]))
        if len(mates) and len(peers):
            return [int(pid[i]), int(pid[mates[0]]), int(pid[peers[0]])]
    return []


def load_investigations(
    session: Session, ctx: TraceContext, people: Path, *, last_day: date
) -> int:
    """Open and work the demo investigations once; returns how many were opened."""
    if session.scalar(sa.select(sa.func.count()).select_from(InvestigationRow)):
        return 0
    ensure_user(session, "approver", *DEMO_USERS["approver"], "approver")
    seoul = Access(session, auth.principal_for(session, "seoul"), "demo investigation")
    approver = Access(session, auth.principal_for(session, "approver"), "demo approval")
    table = pq.read_table(people).to_pydict()
    opened = 0
    for pid in pick_cases(people):
        phone = str(phone_of(np.array([pid]))[0])
        district = str(table["district_code"][pid])
        person = cases.register_person(
            seoul,
            ctx.keys,
            identifier=phone,
            identifier_kind=IdentifierKind.PHONE,
            district_code=district,
            phone=phone,
            birth_year=2020 - int(table["age"][pid]),
            sex=str(table["sex"][pid]),
        )
        case = cases.create_case(
            seoul,
            person_key=person.key,
            district_code=district,
            confirmed_on=last_day,
            sample_on=last_day,
            onset_on=last_day - timedelta(days=1),
            source=InfectionSource.LOCAL,
        )
        i = inv.open_investigation(seoul, ctx.keys, case.id)
        for source in (
            DataSource.GPS,
            DataSource.CHECKINS,
            DataSource.CARD,
            DataSource.PLACE_DEVICES,
        ):
            r = inv.request_data(seoul, i.id, source=source, reason=REASON)
            inv.decide_request(approver, r.id, approve=True, note="demo")
        run.rebuild_route(seoul, ctx, i.id)
        found = run.trace_contacts(seoul, ctx, i.id)
        high = [c.id for c in found if c.risk == RiskLevel.HIGH]
        run.issue_orders(seoul, ctx, i.id, contact_ids=high, kind=OrderKind.QUARANTINE)
        if not opened:  # the index case: who did its closest contacts meet?
            closest = [c.id for c in found if c.kind == ExposureKind.CO_LOCATION][:3]
            for source in (DataSource.GPS, DataSource.PLACE_DEVICES):
                r = inv.request_data(
                    seoul,
                    i.id,
                    source=source,
                    reason="Contacts of the closest contacts (demo)",
                    contact_ids=closest,
                )
                inv.decide_request(approver, r.id, approve=True, note="demo")
            run.trace_contacts_of_contacts(seoul, ctx, i.id)
            # left for the data approver to decide on the investigation's page
            inv.request_data(
                seoul,
                i.id,
                source=DataSource.TELECOM,
                reason="Base-station records over the GPS gaps (demo)",
            )
        session.commit()
        opened += 1
    return opened
