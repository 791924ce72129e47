"""Disclosure for staff: derive exposure places, review, publish, withdraw.

Every change that can alter what the public sees is committed first and then
written to the public snapshot, which the public site serves without the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from outbreak.auth.roles import Permission
from outbreak.disclose import service as dis
from outbreak.disclose.rules import RULES
from outbreak.disclose.snapshot import policy_for, refresh
from outbreak.store.tables import DisclosureRow
from outbreak.types import DisclosureState
from outbreak.web.deps import AccessDep, NowDep, SettingsDep
from outbreak.web.routes.trace import TraceDep
from outbreak.web.schemas.disclose import (
    DeriveIn,
    DeriveOut,
    DisclosureEdit,
    DisclosurePublic,
    Identified,
    PublishIn,
    Reason,
    RulePublic,
)

router = APIRouter(prefix="/api/v1/disclosures", tags=["disclosure"])


def entry_public(row: DisclosureRow) -> DisclosurePublic:
    """A staff view of an entry (the rule codes as a list)."""
    return DisclosurePublic.model_validate(row, from_attributes=True)


@router.get("/rules", response_model=list[RulePublic])
def rules() -> object:
    """The disclosure rules in force, in the order they are applied."""
    return [
        RulePublic(code=r.code, description=(type(r).__doc__ or "").strip())
        for r in RULES
    ]


@router.post("/derive", response_model=DeriveOut)
def derive(
    body: DeriveIn,
    access: AccessDep,
    settings: SettingsDep,
    ctx: TraceDep,
    now: NowDep,
) -> object:
    """Propose exposure places from investigations' routes; the rules say which
    are withheld and why. Published entries a rule now withholds are withdrawn;
    those whose stay changed go back to review (``changed``)."""
    report = dis.derive(
        access,
        ctx.places,
        now=now,
        policy=policy_for(settings),
        investigation_ids=body.investigation_ids,
    )
    refresh(access.session, settings, now=now)  # withdrawals, re-reviews
    return report


@router.get("", response_model=list[DisclosurePublic])
def list_entries(
    access: AccessDep,
    state: DisclosureState | None = None,
    district: Annotated[str | None, Query(pattern=r"^\d{2,5}$")] = None,
    investigation_id: int | None = None,
) -> object:
    """Entries in your districts, by district and time."""
    return [
        entry_public(r)
        for r in dis.list_entries(
            access, state=state, district=district, investigation_id=investigation_id
        )
    ]


@router.get("/{entry_id}", response_model=DisclosurePublic)
def get_entry(entry_id: int, access: AccessDep) -> object:
    return entry_public(
        dis.checked_entry(access, entry_id, Permission.DISCLOSURE_READ, "read")
    )


@router.patch("/{entry_id}", response_model=DisclosurePublic)
def edit(
    entry_id: int,
    body: DisclosureEdit,
    access: AccessDep,
    settings: SettingsDep,
    now: NowDep,
) -> object:
    """Correct the public wording (checked: no case numbers, ages, sexes or
    nationalities) or mark the place disinfected; reaches every output."""
    row = dis.edit(
        access,
        entry_id,
        name=body.name,
        address=body.address,
        disinfected=body.disinfected,
    )
    if row.state == DisclosureState.PUBLISHED:
        refresh(access.session, settings, now=now)
    return entry_public(row)


@router.post("/publish", response_model=list[DisclosurePublic])
def publish(
    body: PublishIn, access: AccessDep, settings: SettingsDep, now: NowDep
) -> object:
    """Publish proposed entries, all or none (403 ``privacy_violation`` naming the
    rule when one is withheld)."""
    rows = dis.publish(access, body.entry_ids, now=now, policy=policy_for(settings))
    refresh(access.session, settings, now=now)
    return [entry_public(r) for r in rows]


@router.post("/{entry_id}/hide", response_model=DisclosurePublic)
def hide(
    entry_id: int, body: Reason, access: AccessDep, settings: SettingsDep, now: NowDep
) -> object:
    """Keep an entry from the public (withdraws it if it was published)."""
    row = dis.hide(access, entry_id, reason=body.reason)
    refresh(access.session, settings, now=now)
    return entry_public(row)


@router.post("/{entry_id}/unhide", response_model=DisclosurePublic)
def unhide(
    entry_id: int, access: AccessDep, settings: SettingsDep, now: NowDep
) -> object:
    """Return a hidden entry to review."""
    return entry_public(
        dis.unhide(access, entry_id, now=now, policy=policy_for(settings))
    )


@router.post("/{entry_id}/withdraw", response_model=DisclosurePublic)
def withdraw(
    entry_id: int, body: Reason, access: AccessDep, settings: SettingsDep, now: NowDep
) -> object:
    """Take a published entry down everywhere."""
    row = dis.withdraw(access, entry_id, reason=body.reason)
    refresh(access.session, settings, now=now)
    return entry_public(row)


@router.post("/{entry_id}/public-risk", response_model=DisclosurePublic)
def public_risk(
    entry_id: int, body: Reason, access: AccessDep, settings: SettingsDep, now: NowDep
) -> object:
    """The workplace exception: it may have exposed many unidentified people."""
    return entry_public(
        dis.invoke_public_risk(
            access,
            entry_id,
            reason=body.reason,
            now=now,
            policy=policy_for(settings),
        )
    )


@router.post("/{entry_id}/contacts-identified", response_model=DisclosurePublic)
def contacts_identified(
    entry_id: int,
    body: Identified,
    access: AccessDep,
    settings: SettingsDep,
    now: NowDep,
) -> object:
    """An investigator's finding: every contact there is identified (or not). A
    published entry is withdrawn at once."""
    row = dis.mark_contacts_identified(
        access,
        entry_id,
        identified=body.identified,
        now=now,
        policy=policy_for(settings),
    )
    refresh(access.session, settings, now=now)
    return entry_public(row)
