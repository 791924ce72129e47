"""Clusters, contacts, retention and aggregate counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from outbreak.audit import Access, AuditFields
from outbreak.auth.roles import Permission, Principal, authorize
from outbreak.cases.lifecycle import check_exposure_window
from outbreak.cases.service import get_case, require_municipality
from outbreak.errors import Conflict, InvalidInput, NotFound
from outbreak.store.queries import audit as audit_queries
from outbreak.store.queries import cases as queries
from outbreak.store.tables import ClusterCaseRow, ClusterRow, ContactRow, PersonRow
from outbreak.types import ClusterKind, ExposureKind, RiskLevel


def create_cluster(
    access: Access,
    *,
    name: str,
    kind: ClusterKind,
    district_code: str,
    description: str = "",
) -> ClusterRow:
    """Name a new cluster (an outbreak at a venue, workplace, church…)."""
    require_municipality(access, district_code, field="district_code")
    access.check(
        Permission.CLUSTER_WRITE,
        subject_type="cluster",
        subject_id=name[:64],
        district_code=district_code,
    )
    if queries.cluster_by_name(session=access.session, name=name):
        raise Conflict(f"A cluster named {name!r} already exists", field="name")
    cluster = ClusterRow(
        name=name, kind=kind, district_code=district_code, description=description
    )
    access.session.add(cluster)
    access.session.flush()
    return cluster


def get_cluster(access: Access, cluster_id: int) -> tuple[ClusterRow, list[int]]:
    """A cluster and the ids of its cases."""
    cluster = access.session.get(ClusterRow, cluster_id)
    if cluster is None:
        raise NotFound(f"No cluster with id {cluster_id}", field="cluster_id")
    access.check(
        Permission.CLUSTER_READ,
        subject_type="cluster",
        subject_id=str(cluster_id),
        district_code=cluster.district_code,
    )
    ids = queries.cluster_case_ids(session=access.session, cluster_id=cluster_id)
    return cluster, ids


def list_clusters(
    access: Access, *, limit: int, offset: int
) -> tuple[list[tuple[ClusterRow, int]], int]:
    """A page of clusters with their sizes."""
    access.check(Permission.CLUSTER_READ, subject_type="cluster", subject_id="list")
    return queries.list_clusters(
        session=access.session,
        scopes=access.principal.scopes,
        limit=limit,
        offset=offset,
    )


def link_case(access: Access, cluster_id: int, case_id: int) -> None:
    """Add a case to a cluster (once)."""
    cluster, ids = get_cluster(access, cluster_id)
    case = get_case(access, case_id)
    for district in {cluster.district_code, case.district_code}:
        access.check(
            Permission.CLUSTER_WRITE,
            subject_type="case",
            subject_id=str(case.id),
            district_code=district,
            detail=f"link to cluster {cluster.id}",
        )
    if case.id in ids:
        raise Conflict(
            f"Case {case.id} is already in cluster {cluster.id}", field="case_id"
        )
    access.session.add(ClusterCaseRow(cluster_id=cluster.id, case_id=case.id))
    access.session.flush()


@dataclass(frozen=True)
class ExposureWindow:
    """When a contact was exposed: start and end, aware datetimes (kept in UTC)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise InvalidInput(
                    f"exposure_{name} {value.isoformat()} has no UTC offset",
                    field=f"exposure_{name}",
                )
            object.__setattr__(self, name, value.astimezone(UTC))


def add_contact(
    access: Access,
    *,
    index_case_id: int,
    person_key: str,
    kind: ExposureKind,
    window: ExposureWindow,
    risk: RiskLevel,
    retention_days: int,
) -> ContactRow:
    """Record that a person was exposed to an index case.

    The contact's person record is kept ``retention_days`` after the exposure ends
    unless they become a case (see :func:`purge_expired`).
    """
    case = get_case(access, index_case_id)
    person = access.session.get(PersonRow, person_key)
    if person is None:
        raise NotFound(
            f"No person with key {person_key!r}; register the contact first",
            field="person_key",
        )
    access.check(
        Permission.CONTACT_WRITE,
        subject_type="person",
        subject_id=person_key,
        district_code=case.district_code,
        detail=f"contact of case {case.id}",
    )
    if person_key == case.person_key:
        raise InvalidInput("A case cannot be its own contact", field="person_key")
    check_exposure_window(window.start, window.end, now=datetime.now(UTC))
    duplicate = queries.find_contact(
        session=access.session,
        index_case_id=case.id,
        person_key=person_key,
        kind=kind,
        start=window.start,
    )
    if duplicate is not None:
        raise Conflict(
            f"Contact {duplicate.id} already records this exposure", field="person_key"
        )
    keep_until = window.end.date() + timedelta(days=retention_days)
    if queries.active_case_of(session=access.session, person_key=person_key) is None:
        person.purge_after = max(person.purge_after or keep_until, keep_until)
    contact = ContactRow(
        index_case_id=case.id,
        person_key=person_key,
        kind=kind,
        exposure_start=window.start,
        exposure_end=window.end,
        risk=risk,
    )
    access.session.add(contact)
    access.session.flush()
    return contact


def list_contacts(
    access: Access, index_case_id: int, *, limit: int, offset: int
) -> tuple[list[ContactRow], int]:
    """A page of an index case's contacts."""
    case = get_case(access, index_case_id)
    access.check(
        Permission.CONTACT_READ,
        subject_type="case",
        subject_id=str(case.id),
        district_code=case.district_code,
        detail="list contacts",
    )
    return queries.contacts_of(
        session=access.session, index_case_id=case.id, limit=limit, offset=offset
    )


def active_cases_by_district(session: Session, principal: Principal) -> dict[str, int]:
    """Active cases per municipality: an aggregate, so not audited per person."""
    authorize(principal, Permission.STATS_READ)
    return queries.active_cases_by_district(session=session)


def purge_expired(session: Session, *, today: date) -> int:
    """Delete contacts' person records past retention; one audit entry each.

    People who became cases are kept (their records follow case retention).
    """
    purged = 0
    for person in queries.expired_people(session=session, today=today):
        contacts = queries.delete_person(session=session, person=person)
        audit_queries.append_entry(
            session=session,
            fields=AuditFields(
                actor="system",
                role="retention",
                action="person.purge",
                subject_type="person",
                subject_id=person.key,
                purpose="retention period ended",
                outcome="allowed",
                detail=f"deleted person and {contacts} contact records",
            ),
        )
        purged += 1
    return purged
