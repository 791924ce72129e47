"""Self-quarantine: officers' orders, worklist and alerts; the citizen app's API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from outbreak.errors import InvalidInput, NotFound
from outbreak.privacy import key64
from outbreak.quarantine import Geofence
from outbreak.quarantine import service as q
from outbreak.store import session_scope
from outbreak.store.tables import PersonRow, QuarantineOrderRow
from outbreak.types import QuarantineSource, QuarantineState
from outbreak.web.deps import AccessDep, KeysDep, SessionDep, SettingsDep
from outbreak.web.schemas.quarantine import (
    Acknowledgement,
    AlertPublic,
    AppOrder,
    BandPairing,
    BulkAction,
    Extension,
    QuarantineCreate,
    QuarantineIssued,
    QuarantineOrderPublic,
    ReportBatch,
    ReportsAccepted,
    StateChange,
    TimelineEntry,
    WorkItemPublic,
)

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"])
app_router = APIRouter(prefix="/api/v1/app", tags=["quarantine app"])
TokenHeader = Annotated[
    str,
    Header(
        alias="X-Quarantine-Token",
        description="The order's app token, delivered to the person out of band.",
    ),
]


def order_public(o: QuarantineOrderRow) -> QuarantineOrderPublic:
    return QuarantineOrderPublic(
        id=o.id,
        key=f"{o.key64 & (2**64 - 1):016x}",
        source=o.source,
        district_code=o.district_code,
        start_on=o.start_on,
        end_on=o.end_on,
        officer=o.officer,
        state=o.state,
        test_required=o.test_required,
        negative_test_on=o.negative_test_on,
        band_paired=o.band_id is not None,
    )


@router.post(
    "/orders", status_code=status.HTTP_201_CREATED, response_model=QuarantineIssued
)
def issue(
    body: QuarantineCreate, access: AccessDep, keys: KeysDep, settings: SettingsDep
) -> object:
    """Order a contact (from an investigation's order) or an arrival into
    self-quarantine; the least-loaded officer of the district follows it."""
    fence = Geofence(body.fence.lat, body.fence.lon, body.fence.radius_m)
    retention = settings.retention_contact_days
    if body.action_order_id is not None:
        issued = q.issue_from_trace(
            access,
            keys,
            body.action_order_id,
            fence=fence,
            address=body.address,
            retention_days=retention,
        )
    else:
        if body.person_key is None or body.start_on is None:
            raise InvalidInput(
                "Give action_order_id, or person_key and start_on", field="person_key"
            )
        person = access.session.get(PersonRow, body.person_key)
        if person is None:
            raise NotFound(f"No person {body.person_key}", field="person_key")
        issued = q.issue_order(
            access,
            keys,
            key64=key64(person.key),
            district_code=body.district_code or person.district_code,
            fence=fence,
            start_on=body.start_on,
            end_on=body.end_on
            or body.start_on + timedelta(days=settings.quarantine_days),
            source=QuarantineSource.ARRIVAL,
            address=body.address,
            test_required=body.test_required,
            retention_days=retention,
        )
    return QuarantineIssued(order=order_public(issued.order), token=issued.token)


@router.get("/orders", response_model=list[WorkItemPublic])
def worklist(
    access: AccessDep,
    officer: Annotated[
        str | None, Query(description="Only this officer's orders.")
    ] = None,
) -> object:
    """Open orders, riskiest first (open alerts by escalation, then the rest)."""
    return [
        WorkItemPublic(
            order=order_public(w.order),
            alerts=[AlertPublic.model_validate(a) for a in w.alerts],
            checks_today=w.checks_today,
            last_inside=w.last_inside,
            risk=w.risk,
        )
        for w in q.worklist(access, officer=officer)
    ]


@router.get("/orders/{order_id}", response_model=QuarantineOrderPublic)
def get_order(order_id: int, access: AccessDep) -> object:
    return order_public(q.checked_order(access, order_id))


@router.get("/orders/{order_id}/timeline", response_model=list[TimelineEntry])
def timeline(order_id: int, access: AccessDep) -> object:
    """Self-checks, heartbeats, band and location status (in or out, never a track)."""
    return q.timeline(access, order_id)


@router.post("/orders/{order_id}/state", response_model=QuarantineOrderPublic)
def change_state(order_id: int, body: StateChange, access: AccessDep) -> object:
    """Release, mark breached, resume or convert to a case (refused with 422
    ``invalid_transition`` where the rules do not allow it)."""
    return order_public(
        q.change_state(
            access,
            order_id,
            QuarantineState(body.state),
            negative_test_on=body.negative_test_on,
        )
    )


@router.post("/orders/{order_id}/extend", response_model=QuarantineOrderPublic)
def extend(
    order_id: int, body: Extension, access: AccessDep, settings: SettingsDep
) -> object:
    return order_public(
        q.extend(
            access,
            order_id,
            days=body.days,
            retention_days=settings.retention_contact_days,
        )
    )


@router.post("/orders/{order_id}/band", response_model=QuarantineOrderPublic)
def pair_band(order_id: int, body: BandPairing, access: AccessDep) -> object:
    """Pair a wristband (only with the person's consent)."""
    return order_public(
        q.pair_band(access, order_id, band_id=body.band_id, consent=body.consent)
    )


@router.post("/orders/bulk", response_model=dict[int, str])
def bulk(body: BulkAction, access: AccessDep, settings: SettingsDep) -> object:
    """Extend, release, convert or send a test request to many orders; each order
    succeeds or says why it was refused."""
    return q.bulk(
        access,
        body.order_ids,
        body.action,
        days=body.days,
        retention_days=settings.retention_contact_days,
    )


@router.post("/alerts/{alert_id}/ack", response_model=AlertPublic)
def acknowledge(alert_id: int, body: Acknowledgement, access: AccessDep) -> object:
    return q.acknowledge(access, alert_id, note=body.note)


@app_router.get("/order", response_model=AppOrder)
def my_order(session: SessionDep, token: TokenHeader) -> object:
    """The app's own order (and nothing of anyone else's)."""
    o = q.order_for_token(session, token)
    return AppOrder(
        state=o.state,
        start_on=o.start_on,
        end_on=o.end_on,
        fence_lat=o.fence_lat,
        fence_lon=o.fence_lon,
        fence_radius_m=o.fence_radius_m,
        band_paired=o.band_id is not None,
    )


@app_router.post("/reports", response_model=ReportsAccepted)
async def reports(body: ReportBatch, request: Request, token: TokenHeader) -> object:
    """Self-checks, locations, heartbeats and band readings, in batches; a retried
    batch is stored once (by ``client_id``)."""
    # The app's hot path: one hop to a worker thread for the whole transaction
    # (a session dependency costs two more, about a millisecond under load).
    batch = [
        q.Report(
            kind=r.kind,
            client_id=r.client_id,
            t=r.t,
            temperature_c=r.temperature_c,
            symptoms=frozenset(r.symptoms),
            lat=r.lat,
            lon=r.lon,
            accuracy_m=r.accuracy_m,
            band_distance_m=r.band_distance_m,
            band_tampered=r.band_tampered,
        )
        for r in body.reports
    ]
    done = await run_in_threadpool(_take, request.app.state.sessions, token, batch)
    return ReportsAccepted(
        accepted=done.accepted, duplicates=done.duplicates, alerts=len(done.alerts)
    )


def _take(
    sessions: sessionmaker[Session], token: str, batch: list[q.Report]
) -> q.Accepted:
    with session_scope(sessions) as session:
        return q.take_reports(session, q.app_order(session, token), batch)
