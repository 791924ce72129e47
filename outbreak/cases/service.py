"""People and confirmed cases: every read and write authorised and audited.

Each function takes an :class:`~outbreak.audit.Access` (session, caller, purpose) and
asks it to authorise the action before touching personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.cases.lifecycle import check_case_dates, check_transition
from outbreak.errors import Conflict, InvalidInput, NotFound
from outbreak.privacy import Keys
from outbreak.store.queries import cases as queries
from outbreak.store.queries import geo as geo_queries
from outbreak.store.tables import CaseEventRow, CaseRow, PersonRow
from outbreak.types import CaseState, IdentifierKind, InfectionSource


@dataclass(frozen=True)
class PersonDetails:
    """A person with contact details decrypted, for an authorised caller."""

    key: str
    district_code: str
    birth_year: int | None
    sex: str | None
    name: str | None
    phone: str | None
    address: str | None


def require_municipality(access: Access, code: str, *, field: str) -> None:
    """Raise unless ``code`` is a known municipality (si-gun-gu)."""
    row = geo_queries.get_district(session=access.session, code=code)
    if row is None or row.level != "sigungu":
        raise InvalidInput(
            f"Unknown district code {code!r}; expected a 5-digit si-gun-gu code "
            "from `outbreak districts list` (e.g. 11230 for Gangnam-gu)",
            field=field,
        )


def register_person(
    access: Access,
    keys: Keys,
    *,
    identifier: str,
    identifier_kind: IdentifierKind,
    district_code: str,
    name: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    birth_year: int | None = None,
    sex: str | None = None,
) -> PersonRow:
    """Pseudonymise ``identifier`` and store the person; the raw ID is discarded."""
    require_municipality(access, district_code, field="district_code")
    key = keys.pseudonymiser.person_key(identifier, identifier_kind)
    access.check(
        Permission.PERSON_WRITE,
        subject_type="person",
        subject_id=key,
        district_code=district_code,
        detail="register",
    )
    existing = access.session.get(PersonRow, key)
    if existing is not None:
        if not access.principal.covers(existing.district_code):
            # registered elsewhere: say so without handing out the key
            raise Conflict(
                "This person is already registered by another jurisdiction; ask "
                "them, or an officer with national scope, to share the case",
                field="identifier",
            )
        raise Conflict(
            f"Person {key} is already registered; use that key", field="identifier"
        )
    encrypt = keys.cipher.encrypt
    person = PersonRow(
        key=key,
        district_code=district_code,
        birth_year=birth_year,
        sex=sex,
        name_enc=encrypt(name) if name else None,
        phone_enc=encrypt(phone) if phone else None,
        address_enc=encrypt(address) if address else None,
    )
    access.session.add(person)
    access.session.flush()
    return person


def _person(access: Access, key: str) -> PersonRow:
    person = access.session.get(PersonRow, key)
    if person is None:
        raise NotFound(f"No person with key {key!r}", field="person_key")
    return person


def get_person(access: Access, keys: Keys, key: str) -> PersonDetails:
    """A person's details, decrypted, if the caller has jurisdiction."""
    person = _person(access, key)
    access.check(
        Permission.PERSON_READ,
        subject_type="person",
        subject_id=key,
        district_code=person.district_code,
    )
    decrypt = keys.cipher.decrypt
    return PersonDetails(
        key=person.key,
        district_code=person.district_code,
        birth_year=person.birth_year,
        sex=person.sex,
        name=decrypt(person.name_enc) if person.name_enc else None,
        phone=decrypt(person.phone_enc) if person.phone_enc else None,
        address=decrypt(person.address_enc) if person.address_enc else None,
    )


def create_case(
    access: Access,
    *,
    person_key: str,
    district_code: str,
    confirmed_on: date,
    sample_on: date,
    onset_on: date | None = None,
    source: InfectionSource = InfectionSource.UNKNOWN,
) -> CaseRow:
    """Open a confirmed case for a registered person (isolated from confirmation)."""
    require_municipality(access, district_code, field="district_code")
    person = _person(access, person_key)
    access.check(
        Permission.CASE_WRITE,
        subject_type="person",
        subject_id=person_key,
        district_code=district_code,
        detail="open case",
    )
    check_case_dates(
        confirmed_on=confirmed_on,
        sample_on=sample_on,
        onset_on=onset_on,
        today=access.today,
    )
    active = queries.active_case_of(session=access.session, person_key=person_key)
    if active is not None and not access.principal.covers(active.district_code):
        raise Conflict(
            "This person has an active case in another jurisdiction; ask them, or an "
            "officer with national scope",
            field="person_key",
        )
    if active is not None:
        raise Conflict(
            f"Person {person_key} already has active case {active.id} "
            f"({active.state.value}); release it before opening another",
            field="person_key",
        )
    case = CaseRow(
        person_key=person_key,
        district_code=district_code,
        confirmed_on=confirmed_on,
        sample_on=sample_on,
        onset_on=onset_on,
        source=source,
        state=CaseState.ISOLATED,
        state_on=confirmed_on,
    )
    person.purge_after = None  # a case's records follow case retention, not contacts'
    access.session.add(case)
    access.session.flush()
    access.session.add(
        CaseEventRow(
            case_id=case.id,
            state=CaseState.ISOLATED,
            on=confirmed_on,
            by_user=access.principal.username,
        )
    )
    access.session.flush()
    return case


def checked_case(
    access: Access, case_id: int, permission: Permission, *, detail: str = ""
) -> CaseRow:
    """The case ``case_id``, once ``permission`` on its district is granted."""
    case = access.session.get(CaseRow, case_id)
    if case is None:
        raise NotFound(f"No case with id {case_id}", field="case_id")
    access.check(
        permission,
        subject_type="case",
        subject_id=str(case_id),
        district_code=case.district_code,
        detail=detail,
    )
    return case


def get_case(access: Access, case_id: int) -> CaseRow:
    """A case, if the caller has jurisdiction over its district."""
    return checked_case(access, case_id, Permission.CASE_READ)


def update_case(
    access: Access,
    case_id: int,
    *,
    onset_on: date | None = None,
    sample_on: date | None = None,
    source: InfectionSource | None = None,
    clear_onset: bool = False,
) -> CaseRow:
    """Correct a case's dates or infection source; the date rules are rechecked."""
    case = checked_case(access, case_id, Permission.CASE_WRITE)
    new_onset = None if clear_onset else (onset_on or case.onset_on)
    new_sample = sample_on or case.sample_on
    check_case_dates(
        confirmed_on=case.confirmed_on,
        sample_on=new_sample,
        onset_on=new_onset,
        today=access.today,
    )
    case.onset_on, case.sample_on = new_onset, new_sample
    if source is not None:
        case.source = source
    access.session.flush()
    return case


def transition_case(
    access: Access, case_id: int, *, state: CaseState, on: date
) -> CaseRow:
    """Move a case to ``state`` on date ``on``, if the lifecycle rules allow it."""
    case = checked_case(access, case_id, Permission.CASE_WRITE)
    check_transition(
        current=case.state,
        target=state,
        on=on,
        confirmed_on=case.confirmed_on,
        last_change_on=case.state_on,
        today=access.today,
    )
    case.state, case.state_on = state, on
    access.session.add(
        CaseEventRow(
            case_id=case.id, state=state, on=on, by_user=access.principal.username
        )
    )
    access.session.flush()
    return case


def case_history(access: Access, case_id: int) -> list[CaseEventRow]:
    """A case's state changes, oldest first."""
    checked_case(access, case_id, Permission.CASE_READ)
    return queries.case_events(session=access.session, case_id=case_id)


def list_cases(
    access: Access,
    *,
    limit: int,
    offset: int,
    district_code: str | None = None,
    state: CaseState | None = None,
    confirmed_from: date | None = None,
    confirmed_to: date | None = None,
) -> tuple[list[CaseRow], int]:
    """A page of the cases in the caller's jurisdiction (one audit entry per page)."""
    access.check(
        Permission.CASE_READ,
        subject_type="case",
        subject_id="list",
        district_code=district_code,
        detail=f"district={district_code or '*'} state={state or '*'} "
        f"offset={offset} limit={limit}",
    )
    return queries.list_cases(
        session=access.session,
        scopes=access.principal.scopes,
        district_code=district_code,
        state=state,
        confirmed_from=confirmed_from,
        confirmed_to=confirmed_to,
        limit=limit,
        offset=offset,
    )
