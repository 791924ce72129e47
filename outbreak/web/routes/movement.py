"""Movement data: what was ingested (catalog) and what the store holds (aggregates)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel

from outbreak.auth import Permission, authorize
from outbreak.ingest.store import MovementStore
from outbreak.ingest.summary import summarise
from outbreak.store.tables import IngestBatchRow
from outbreak.web.deps import PageDep, PrincipalDep, SessionDep, page_of
from outbreak.web.schemas.common import Page, Public

router = APIRouter(prefix="/api/v1/movement", tags=["movement"])


class SummaryPublic(BaseModel):
    """Rows per source and per district (aggregates only)."""

    by_source: dict[str, int]
    by_district: dict[str, dict[str, int]]
    first_day: str | None
    last_day: str | None


class BatchPublic(Public):
    """One ingested file."""

    id: int
    source: str
    file_name: str
    state: str
    rows_in: int
    accepted: int
    rejected: int
    rejects_by_reason: dict[str, int]
    actor: str


def store_of(request: Request) -> MovementStore:
    """The app's movement store."""
    store: MovementStore = request.app.state.movement
    return store


@router.get("/summary", response_model=SummaryPublic)
def summary(request: Request, principal: PrincipalDep) -> object:
    """Rows per source and district in the movement store."""
    authorize(principal, Permission.STATS_READ)
    return summarise(store_of(request)).__dict__


@router.get("/batches", response_model=Page[BatchPublic])
def batches(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    """The ingest catalog, newest first."""
    authorize(principal, Permission.MOVEMENT_INGEST)
    total = session.scalar(sa.select(sa.func.count()).select_from(IngestBatchRow)) or 0
    rows = session.scalars(
        sa.select(IngestBatchRow)
        .order_by(IngestBatchRow.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    data = [
        BatchPublic(
            id=r.id,
            source=r.source,
            file_name=r.file_name.rsplit("/", 1)[-1],
            state=r.state,
            rows_in=r.rows_in,
            accepted=r.accepted,
            rejected=r.rejected,
            actor=r.actor,
            rejects_by_reason={
                k: v for k, v in json.loads(r.detail).items() if k != "accepted"
            },
        )
        for r in rows
    ]
    return page_of(data, total, page)
