"""Corrections: update and delete records entered in error (authorised, audited).

Deleting is for mistakes, not for closing a case (that is a state change): every
delete states a reason, which goes to the audit log with the record's id.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.cases.lifecycle import check_exposure_window
from outbreak.cases.links import ExposureWindow, get_cluster
from outbreak.cases.service import checked_case, get_case, require_municipality
from outbreak.errors import Conflict, InvalidInput, NotFound
from outbreak.store.base import utcnow
from outbreak.store.queries import cases as queries
from outbreak.store.tables import (
    CaseRow,
    ClusterCaseRow,
    ClusterRow,
    ContactRow,
    PersonRow,
)
from outbreak.types import ClusterKind, RiskLevel

MIN_REASON = 3


def _reason(reason: str) -> str:
    if len(reason.strip()) < MIN_REASON:
        raise InvalidInput("Say why the record is deleted (reason)", field="reason")
    return reason.strip()


def delete_case(
    access: Access, case_id: int, *, reason: str, retention_days: int | None = None
) -> None:
    """Delete a case entered in error, with its history, contacts and links.

    A person left with no case gets a retention date again (``retention_days`` from
    today), so the record does not outlive its purpose.
    """
    why = _reason(reason)
    case = checked_case(access, case_id, Permission.CASE_WRITE, detail=f"delete: {why}")
    person = access.session.get(PersonRow, case.person_key)
    access.session.delete(case)
    access.session.flush()
    others = access.session.scalar(
        sa.select(sa.func.count()).where(CaseRow.person_key == case.person_key)
    )
    if person is not None and not others and retention_days is not None:
        person.purge_after = access.today + timedelta(days=retention_days)
        access.session.flush()


def _checked_contact(
    access: Access, contact_id: int, permission: Permission, detail: str
) -> ContactRow:
    """The contact, once ``permission`` over its index case's district is granted."""
    contact = access.session.get(ContactRow, contact_id)
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}", field="contact_id")
    case = access.session.get(CaseRow, contact.index_case_id)
    access.check(
        permission,
        subject_type="person",
        subject_id=contact.person_key,
        district_code=case.district_code if case else None,
        detail=detail,
    )
    return contact


def get_contact(access: Access, contact_id: int) -> ContactRow:
    """A contact, if the caller has jurisdiction over its index case."""
    return _checked_contact(
        access, contact_id, Permission.CONTACT_READ, f"contact {contact_id}"
    )


def update_contact(
    access: Access,
    contact_id: int,
    *,
    risk: RiskLevel | None = None,
    window: ExposureWindow | None = None,
    retention_days: int | None = None,
) -> ContactRow:
    """Change a contact's risk level or exposure window.

    A later window pushes the person's retention date out by ``retention_days``.
    """
    contact = _checked_contact(
        access, contact_id, Permission.CONTACT_WRITE, f"update contact {contact_id}"
    )
    if window is not None:
        check_exposure_window(window.start, window.end, now=utcnow())
        contact.exposure_start, contact.exposure_end = window.start, window.end
        person = access.session.get(PersonRow, contact.person_key)
        if retention_days is not None and person is not None and person.purge_after:
            keep = window.end.date() + timedelta(days=retention_days)
            person.purge_after = max(person.purge_after, keep)
    if risk is not None:
        contact.risk = risk
    access.session.flush()
    return contact


def delete_contact(access: Access, contact_id: int, *, reason: str) -> None:
    """Delete a contact recorded in error."""
    why = _reason(reason)
    contact = _checked_contact(
        access,
        contact_id,
        Permission.CONTACT_WRITE,
        f"delete contact {contact_id}: {why}",
    )
    access.session.delete(contact)
    access.session.flush()


def update_cluster(
    access: Access,
    cluster_id: int,
    *,
    name: str | None = None,
    kind: ClusterKind | None = None,
    district_code: str | None = None,
    description: str | None = None,
) -> ClusterRow:
    """Rename or re-describe a cluster."""
    cluster, _ = get_cluster(access, cluster_id)
    for district in {cluster.district_code, district_code or cluster.district_code}:
        access.check(  # jurisdiction over where it is and where it goes
            Permission.CLUSTER_WRITE,
            subject_type="cluster",
            subject_id=str(cluster_id),
            district_code=district,
        )
    if name and name != cluster.name:
        if queries.cluster_by_name(session=access.session, name=name):
            raise Conflict(f"A cluster named {name!r} already exists", field="name")
        cluster.name = name
    if district_code:
        require_municipality(access, district_code, field="district_code")
        cluster.district_code = district_code
    if kind is not None:
        cluster.kind = kind
    if description is not None:
        cluster.description = description
    access.session.flush()
    return cluster


def delete_cluster(access: Access, cluster_id: int) -> None:
    """Delete a cluster (its cases stay; only the grouping goes)."""
    cluster, _ = get_cluster(access, cluster_id)
    access.check(
        Permission.CLUSTER_WRITE,
        subject_type="cluster",
        subject_id=str(cluster_id),
        district_code=cluster.district_code,
        detail="delete",
    )
    access.session.delete(cluster)
    access.session.flush()


def unlink_case(access: Access, cluster_id: int, case_id: int) -> None:
    """Take a case out of a cluster."""
    cluster, ids = get_cluster(access, cluster_id)
    case = get_case(access, case_id)
    for district in {cluster.district_code, case.district_code}:
        access.check(
            Permission.CLUSTER_WRITE,
            subject_type="case",
            subject_id=str(case_id),
            district_code=district,
            detail=f"unlink from cluster {cluster_id}",
        )
    if case_id not in ids:
        raise NotFound(
            f"Case {case_id} is not in cluster {cluster_id}", field="case_id"
        )
    link = access.session.get(ClusterCaseRow, (cluster_id, case_id))
    access.session.delete(link)
    access.session.flush()
