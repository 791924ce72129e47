"""Person, case, cluster and contact queries (keyword-only, session first)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.auth.roles import NATIONAL_SCOPE
from outbreak.cases.lifecycle import ACTIVE_STATES
from outbreak.store.tables import (
    CaseEventRow,
    CaseRow,
    ClusterCaseRow,
    ClusterRow,
    ContactRow,
    PersonRow,
)
from outbreak.types import CaseState


def in_scopes(
    column: sa.orm.InstrumentedAttribute[str], scopes: Iterable[str]
) -> sa.ColumnElement[bool]:
    """SQL condition: a district-code column lies in one of ``scopes``."""
    scopes = list(scopes)
    if NATIONAL_SCOPE in scopes:
        return sa.true()
    if not scopes:
        return sa.false()
    return sa.or_(*(column.startswith(scope, autoescape=True) for scope in scopes))


def active_case_of(*, session: Session, person_key: str) -> CaseRow | None:
    """The person's case that is isolated or in hospital, if any."""
    return session.scalar(
        sa.select(CaseRow).where(
            CaseRow.person_key == person_key, CaseRow.state.in_(ACTIVE_STATES)
        )
    )


def list_cases(
    *,
    session: Session,
    scopes: Iterable[str],
    district_code: str | None,
    state: CaseState | None,
    confirmed_from: date | None,
    confirmed_to: date | None,
    limit: int,
    offset: int,
) -> tuple[list[CaseRow], int]:
    """A page of cases in the caller's scopes, newest confirmation first."""
    query = sa.select(CaseRow).where(in_scopes(CaseRow.district_code, scopes))
    if district_code:
        query = query.where(CaseRow.district_code.startswith(district_code))
    if state:
        query = query.where(CaseRow.state == state)
    if confirmed_from:
        query = query.where(CaseRow.confirmed_on >= confirmed_from)
    if confirmed_to:
        query = query.where(CaseRow.confirmed_on <= confirmed_to)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(CaseRow.confirmed_on.desc(), CaseRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total or 0


def case_events(*, session: Session, case_id: int) -> list[CaseEventRow]:
    """A case's state changes, oldest first."""
    return list(
        session.scalars(
            sa.select(CaseEventRow)
            .where(CaseEventRow.case_id == case_id)
            .order_by(CaseEventRow.on, CaseEventRow.id)
        )
    )


def active_cases_by_district(*, session: Session) -> dict[str, int]:
    """Count of active cases per municipality code (an aggregate: no personal data)."""
    rows = session.execute(
        sa.select(CaseRow.district_code, sa.func.count())
        .where(CaseRow.state.in_(ACTIVE_STATES))
        .group_by(CaseRow.district_code)
    ).all()
    return {str(code): int(count) for code, count in rows}


def cases_by_state(*, session: Session, scopes: Iterable[str]) -> dict[str, int]:
    """Count of cases per state in the caller's scopes."""
    rows = session.execute(
        sa.select(CaseRow.state, sa.func.count())
        .where(in_scopes(CaseRow.district_code, scopes))
        .group_by(CaseRow.state)
    ).all()
    return {str(state): count for state, count in rows}


def list_clusters(
    *, session: Session, scopes: Iterable[str], limit: int, offset: int
) -> tuple[list[tuple[ClusterRow, int]], int]:
    """A page of clusters with their case counts, largest first."""
    size = (
        sa.select(sa.func.count(ClusterCaseRow.case_id))
        .where(ClusterCaseRow.cluster_id == ClusterRow.id)
        .scalar_subquery()
    )
    visible = in_scopes(ClusterRow.district_code, scopes)
    total = session.scalar(sa.select(sa.func.count()).where(visible)) or 0
    rows = session.execute(
        sa.select(ClusterRow, size.label("size"))
        .where(visible)
        .order_by(size.desc(), ClusterRow.name)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(row[0], row[1]) for row in rows], total


def cluster_case_ids(*, session: Session, cluster_id: int) -> list[int]:
    """Ids of the cases in a cluster."""
    return list(
        session.scalars(
            sa.select(ClusterCaseRow.case_id)
            .where(ClusterCaseRow.cluster_id == cluster_id)
            .order_by(ClusterCaseRow.case_id)
        )
    )


def cluster_by_name(*, session: Session, name: str) -> ClusterRow | None:
    """The cluster named ``name``, or None."""
    return session.scalar(sa.select(ClusterRow).where(ClusterRow.name == name))


def contacts_of(
    *, session: Session, index_case_id: int, limit: int, offset: int
) -> tuple[list[ContactRow], int]:
    """A page of an index case's contacts, earliest exposure first."""
    query = sa.select(ContactRow).where(ContactRow.index_case_id == index_case_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(ContactRow.exposure_start, ContactRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total or 0


def find_contact(
    *, session: Session, index_case_id: int, person_key: str, kind: str, start: object
) -> ContactRow | None:
    """An existing contact with the same natural key, or None."""
    return session.scalar(
        sa.select(ContactRow).where(
            ContactRow.index_case_id == index_case_id,
            ContactRow.person_key == person_key,
            ContactRow.kind == kind,
            ContactRow.exposure_start == start,
        )
    )


def expired_people(*, session: Session, today: date) -> list[PersonRow]:
    """People past their retention date who never became a case."""
    has_case = sa.select(CaseRow.id).where(CaseRow.person_key == PersonRow.key).exists()
    return list(
        session.scalars(
            sa.select(PersonRow).where(PersonRow.purge_after < today, ~has_case)
        )
    )


def delete_person(*, session: Session, person: PersonRow) -> int:
    """Delete a person and their contact records; returns contacts deleted."""
    result = session.execute(
        sa.delete(ContactRow).where(ContactRow.person_key == person.key)
    )
    session.delete(person)
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
