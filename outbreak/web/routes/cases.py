"""People, cases, clusters and contacts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from outbreak import cases
from outbreak.cases import corrections, links
from outbreak.cases import service as case_service
from outbreak.cases.links import ExposureWindow
from outbreak.errors import InvalidInput
from outbreak.types import CaseState
from outbreak.web.deps import AccessDep, KeysDep, PageDep, SettingsDep, page_of
from outbreak.web.schemas.cases import (
    CaseCreate,
    CaseEventPublic,
    CasePublic,
    CaseTransition,
    CaseUpdate,
    ClusterCreate,
    ClusterLink,
    ClusterPublic,
    ClusterUpdate,
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    PersonCreate,
    PersonPublic,
    PersonRef,
)
from outbreak.web.schemas.common import Page

router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.post("/persons", status_code=status.HTTP_201_CREATED, response_model=PersonRef)
def register_person(body: PersonCreate, access: AccessDep, keys: KeysDep) -> object:
    """Register a person; the raw identifier is turned into a key and discarded."""
    return cases.register_person(access, keys, **body.model_dump())


@router.get("/persons/{key}", response_model=PersonPublic)
def get_person(key: str, access: AccessDep, keys: KeysDep) -> object:
    """A person's decrypted details (audited)."""
    return cases.get_person(access, keys, key)


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CasePublic)
def create_case(body: CaseCreate, access: AccessDep) -> object:
    """Open a confirmed case (state: isolated)."""
    return cases.create_case(access, **body.model_dump())


@router.get("/cases", response_model=Page[CasePublic])
def list_cases(
    access: AccessDep,
    page: PageDep,
    district_code: Annotated[
        str | None, Query(pattern=r"^\d{2,5}$", description="Province or district.")
    ] = None,
    state: CaseState | None = None,
    confirmed_from: date | None = None,
    confirmed_to: date | None = None,
) -> object:
    """Cases in the caller's jurisdiction, newest first."""
    rows, count = case_service.list_cases(
        access,
        limit=page.limit,
        offset=page.offset,
        district_code=district_code,
        state=state,
        confirmed_from=confirmed_from,
        confirmed_to=confirmed_to,
    )
    return page_of(rows, count, page)


@router.get("/cases/{case_id}", response_model=CasePublic)
def get_case(case_id: int, access: AccessDep) -> object:
    """One case."""
    return cases.get_case(access, case_id)


@router.patch("/cases/{case_id}", response_model=CasePublic)
def update_case(case_id: int, body: CaseUpdate, access: AccessDep) -> object:
    """Correct a case's dates or source."""
    return case_service.update_case(access, case_id, **body.model_dump())


@router.post("/cases/{case_id}/transitions", response_model=CasePublic)
def transition_case(case_id: int, body: CaseTransition, access: AccessDep) -> object:
    """Change a case's state (hospitalised, released, deceased…)."""
    return cases.transition_case(access, case_id, state=body.state, on=body.on)


@router.get("/cases/{case_id}/history", response_model=list[CaseEventPublic])
def case_history(case_id: int, access: AccessDep) -> object:
    """A case's state changes, oldest first."""
    return case_service.case_history(access, case_id)


@router.post(
    "/cases/{case_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactPublic,
)
def add_contact(
    case_id: int, body: ContactCreate, access: AccessDep, settings: SettingsDep
) -> object:
    """Record a contact of an index case."""
    return cases.add_contact(
        access,
        index_case_id=case_id,
        person_key=body.person_key,
        kind=body.kind,
        window=ExposureWindow(body.exposure_start, body.exposure_end),
        risk=body.risk,
        retention_days=settings.retention_contact_days,
    )


@router.get("/cases/{case_id}/contacts", response_model=Page[ContactPublic])
def list_contacts(case_id: int, access: AccessDep, page: PageDep) -> object:
    """An index case's contacts."""
    rows, count = links.list_contacts(
        access, case_id, limit=page.limit, offset=page.offset
    )
    return page_of(rows, count, page)


@router.post(
    "/clusters", status_code=status.HTTP_201_CREATED, response_model=ClusterPublic
)
def create_cluster(body: ClusterCreate, access: AccessDep) -> object:
    """Name a cluster."""
    return cases.create_cluster(access, **body.model_dump())


@router.get("/clusters", response_model=Page[ClusterPublic])
def list_clusters(access: AccessDep, page: PageDep) -> object:
    """Clusters, largest first."""
    rows, count = links.list_clusters(access, limit=page.limit, offset=page.offset)
    data = [
        ClusterPublic.model_validate(row).model_copy(update={"size": size})
        for row, size in rows
    ]
    return page_of(data, count, page)


@router.get("/clusters/{cluster_id}", response_model=ClusterPublic)
def get_cluster(cluster_id: int, access: AccessDep) -> object:
    """A cluster with its case ids."""
    row, ids = links.get_cluster(access, cluster_id)
    return ClusterPublic.model_validate(row).model_copy(
        update={"size": len(ids), "case_ids": ids}
    )


@router.post("/clusters/{cluster_id}/cases", status_code=status.HTTP_204_NO_CONTENT)
def link_case(cluster_id: int, body: ClusterLink, access: AccessDep) -> None:
    """Add a case to a cluster."""
    cases.link_case(access, cluster_id, body.case_id)


Reason = Annotated[
    str, Query(min_length=3, max_length=300, description="Why (audited).")
]


@router.delete("/cases/{case_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_case(
    case_id: int, reason: Reason, access: AccessDep, settings: SettingsDep
) -> None:
    """Delete a case entered in error (with its history, contacts and links)."""
    corrections.delete_case(
        access, case_id, reason=reason, retention_days=settings.retention_contact_days
    )


@router.get("/contacts/{contact_id}", response_model=ContactPublic)
def get_contact(contact_id: int, access: AccessDep) -> object:
    """One contact."""
    return corrections.get_contact(access, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactPublic)
def update_contact(
    contact_id: int, body: ContactUpdate, access: AccessDep, settings: SettingsDep
) -> object:
    """Change a contact's risk or exposure window."""
    window = None
    if (body.exposure_start is None) != (body.exposure_end is None):
        raise InvalidInput(
            "Give both exposure_start and exposure_end", field="exposure_end"
        )
    if body.exposure_start is not None and body.exposure_end is not None:
        window = ExposureWindow(body.exposure_start, body.exposure_end)
    return corrections.update_contact(
        access,
        contact_id,
        risk=body.risk,
        window=window,
        retention_days=settings.retention_contact_days,
    )


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(contact_id: int, reason: Reason, access: AccessDep) -> None:
    """Delete a contact recorded in error."""
    corrections.delete_contact(access, contact_id, reason=reason)


@router.patch("/clusters/{cluster_id}", response_model=ClusterPublic)
def update_cluster(cluster_id: int, body: ClusterUpdate, access: AccessDep) -> object:
    """Rename or re-describe a cluster."""
    return corrections.update_cluster(access, cluster_id, **body.model_dump())


@router.delete("/clusters/{cluster_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_cluster(cluster_id: int, access: AccessDep) -> None:
    """Delete a cluster; its cases stay."""
    corrections.delete_cluster(access, cluster_id)


@router.delete(
    "/clusters/{cluster_id}/cases/{case_id}", status_code=status.HTTP_204_NO_CONTENT
)
def unlink_case(cluster_id: int, case_id: int, access: AccessDep) -> None:
    """Take a case out of a cluster."""
    corrections.unlink_case(access, cluster_id, case_id)
