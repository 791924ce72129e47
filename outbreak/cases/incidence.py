"""Daily incidence from the cases in the database (an aggregate: no person data)."""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.auth.roles import Permission, Principal, authorize
from outbreak.errors import InvalidInput
from outbreak.model.incidence import Incidence
from outbreak.store.queries.cases import in_scopes
from outbreak.store.tables import CaseRow
from outbreak.types import InfectionSource

Level = Literal["national", "sido", "sigungu"]


def case_incidence(
    session: Session,
    principal: Principal,
    *,
    by: Literal["onset", "report"] = "report",
    level: Level = "sigungu",
    district_prefix: str | None = None,
    start: date | None = None,
    end: date | None = None,
    reported_by: date | None = None,
) -> Incidence:
    """Daily cases in the caller's jurisdiction, by date of onset or of report.

    ``level`` groups districts: each si-gun-gu, each province (sido), or one
    national series. Imported cases are counted apart, as EpiEstim needs. By onset,
    cases without an onset date (asymptomatic) are left out. ``reported_by`` keeps
    only cases confirmed by that day: the data as they stood then.
    """
    authorize(principal, Permission.STATS_READ)
    day = CaseRow.onset_on if by == "onset" else CaseRow.confirmed_on
    query = sa.select(day, CaseRow.district_code, CaseRow.source).where(
        in_scopes(CaseRow.district_code, principal.scopes), day.is_not(None)
    )
    if district_prefix:
        query = query.where(CaseRow.district_code.startswith(district_prefix))
    if start:
        query = query.where(day >= start)
    if end:
        query = query.where(day <= end)
    if reported_by:
        query = query.where(CaseRow.confirmed_on <= reported_by)
    rows = session.execute(query).all()
    if not rows:
        raise InvalidInput(
            "No cases match; widen the dates or the district", field="district"
        )
    width = {"national": 0, "sido": 2, "sigungu": 5}[level]
    days = [r[0] for r in rows]
    assert all(d is not None for d in days)  # the query excludes NULL dates
    return Incidence.from_events(
        days,  # type: ignore[arg-type]
        regions=[r[1][:width] or "national" for r in rows],
        imported=[r[2] is InfectionSource.IMPORTED for r in rows],
        start=start,
        end=end,
    )


def onset_report_pairs(
    session: Session,
    principal: Principal,
    *,
    district_prefix: str | None = None,
    reported_by: date | None = None,
) -> tuple[list[date], list[date]]:
    """Onset and report (confirmation) dates of the cases that have both."""
    authorize(principal, Permission.STATS_READ)
    query = sa.select(CaseRow.onset_on, CaseRow.confirmed_on).where(
        in_scopes(CaseRow.district_code, principal.scopes),
        CaseRow.onset_on.is_not(None),
    )
    if reported_by:
        query = query.where(CaseRow.confirmed_on <= reported_by)
    if district_prefix:
        query = query.where(CaseRow.district_code.startswith(district_prefix))
    rows = session.execute(query).all()
    return [r[0] for r in rows if r[0] is not None], [
        r[1] for r in rows if r[0] is not None
    ]
