"""People, cases, clusters and contacts through the services, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak import cases
from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.cases import service as case_service
from outbreak.cases.links import ExposureWindow, list_contacts
from outbreak.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from outbreak.privacy import Keys
from outbreak.store.tables import AuditRow, CaseRow, PersonRow
from outbreak.types import (
    CaseState,
    ClusterKind,
    ExposureKind,
    IdentifierKind,
    InfectionSource,
    RiskLevel,
    Role,
)

GANGNAM, SONGPA = "11230", "11240"
D = date(2020, 8, 15)

MakeUser = Callable[..., Principal]
AccessFor = Callable[..., Access]


@pytest.fixture
def admin(make_user: MakeUser, access_for: AccessFor) -> Access:
    return access_for(make_user("admin", Role.ADMIN))


def person(access: Access, keys: Keys, ident: str, district: str = GANGNAM) -> str:
    return cases.register_person(
        access,
        keys,
        identifier=ident,
        identifier_kind=IdentifierKind.PHONE,
        district_code=district,
        name="홍길동",
        phone=ident,
        address="서울 강남구 역삼동",
    ).key


def case(access: Access, key: str, district: str = GANGNAM, on: date = D) -> int:
    return cases.create_case(
        access,
        person_key=key,
        district_code=district,
        confirmed_on=on,
        sample_on=on - timedelta(days=1),
        onset_on=on - timedelta(days=3),
        source=InfectionSource.LOCAL,
    ).id


def audit_rows(session: Session) -> list[AuditRow]:
    return list(session.scalars(sa.select(AuditRow).order_by(AuditRow.seq)))


def test_register_and_read_person(admin: Access, keys: Keys, session: Session) -> None:
    key = person(admin, keys, "010-2000-0001")
    session.commit()
    row = session.get(PersonRow, key)
    assert row is not None and row.name_enc and "홍길동" not in row.name_enc
    details = cases.get_person(admin, keys, key)
    assert (details.name, details.phone) == ("홍길동", "010-2000-0001")
    actions = [(r.action, r.subject_id, r.outcome) for r in audit_rows(session)]
    assert actions == [
        ("person.write", key, "allowed"),
        ("person.read", key, "allowed"),
    ]


def test_duplicate_person_is_a_conflict(admin: Access, keys: Keys) -> None:
    key = person(admin, keys, "010-2000-0002")
    with pytest.raises(Conflict, match=key):
        person(admin, keys, "+82 10 2000 0002")


def test_unknown_district_is_named(admin: Access, keys: Keys) -> None:
    with pytest.raises(InvalidInput, match="'99999'") as info:
        person(admin, keys, "010-2000-0003", district="99999")
    assert info.value.field == "district_code"
    with pytest.raises(InvalidInput, match="'11'"):  # a province is not a district
        person(admin, keys, "010-2000-0003", district="11")


def test_case_lifecycle_with_history(
    admin: Access, keys: Keys, session: Session
) -> None:
    cid = case(admin, person(admin, keys, "010-2000-0004"))
    cases.transition_case(
        admin, cid, state=CaseState.IN_HOSPITAL, on=D + timedelta(days=1)
    )
    cases.transition_case(
        admin, cid, state=CaseState.RELEASED, on=D + timedelta(days=12)
    )
    session.commit()
    history = case_service.case_history(admin, cid)
    assert [(e.state, e.on) for e in history] == [
        (CaseState.ISOLATED, D),
        (CaseState.IN_HOSPITAL, D + timedelta(days=1)),
        (CaseState.RELEASED, D + timedelta(days=12)),
    ]
    with pytest.raises(InvalidTransition, match="released is final"):
        cases.transition_case(
            admin, cid, state=CaseState.ISOLATED, on=D + timedelta(days=13)
        )


def test_release_before_confirmation_changes_nothing(
    admin: Access, keys: Keys, session: Session
) -> None:
    cid = case(admin, person(admin, keys, "010-2000-0005"))
    session.commit()
    with pytest.raises(InvalidTransition, match="before the case was confirmed"):
        cases.transition_case(
            admin, cid, state=CaseState.RELEASED, on=D - timedelta(days=1)
        )
    session.rollback()
    row = session.get(CaseRow, cid)
    assert row is not None and row.state is CaseState.ISOLATED


def test_one_active_case_per_person(admin: Access, keys: Keys) -> None:
    key = person(admin, keys, "010-2000-0006")
    cid = case(admin, key)
    with pytest.raises(Conflict, match=f"active case {cid}"):
        case(admin, key, on=D + timedelta(days=2))
    cases.transition_case(
        admin, cid, state=CaseState.RELEASED, on=D + timedelta(days=10)
    )
    assert (
        case(admin, key, on=D + timedelta(days=15)) != cid
    )  # reinfection after release


def test_case_dates_are_checked(admin: Access, keys: Keys) -> None:
    key = person(admin, keys, "010-2000-0007")
    with pytest.raises(InvalidInput) as info:
        cases.create_case(
            admin,
            person_key=key,
            district_code=GANGNAM,
            confirmed_on=D,
            sample_on=D + timedelta(days=1),
        )
    assert info.value.field == "sample_on"
    with pytest.raises(NotFound):
        cases.create_case(
            admin,
            person_key="0" * 32,
            district_code=GANGNAM,
            confirmed_on=D,
            sample_on=D,
        )


def test_update_rechecks_dates(admin: Access, keys: Keys) -> None:
    cid = case(admin, person(admin, keys, "010-2000-0008"))
    row = case_service.update_case(
        admin, cid, source=InfectionSource.IMPORTED, clear_onset=True
    )
    assert row.onset_on is None and row.source is InfectionSource.IMPORTED
    with pytest.raises(InvalidInput):
        case_service.update_case(admin, cid, sample_on=D + timedelta(days=3))


def test_district_scoping_and_denials_are_audited(
    make_user: MakeUser,
    access_for: AccessFor,
    admin: Access,
    keys: Keys,
    session: Session,
) -> None:
    songpa_case = case(admin, person(admin, keys, "010-2000-0009", SONGPA), SONGPA)
    gangnam_key = person(admin, keys, "010-2000-0010")
    gangnam_case = case(admin, gangnam_key)
    session.commit()
    officer = access_for(make_user("kim", Role.INVESTIGATOR, scopes=(GANGNAM,)))
    assert cases.get_case(officer, gangnam_case).id == gangnam_case
    with pytest.raises(PermissionDenied, match="no jurisdiction over district 11240"):
        cases.get_case(officer, songpa_case)
    rows, total = case_service.list_cases(officer, limit=10, offset=0)
    assert total == 1 and [r.id for r in rows] == [gangnam_case]
    last = audit_rows(session)[-2]  # the denial, before the list entry
    assert (last.actor, last.action, last.subject_id, last.outcome) == (
        "kim",
        "case.read",
        str(songpa_case),
        "denied",
    )


def test_analyst_cannot_read_people(
    make_user: MakeUser,
    access_for: AccessFor,
    admin: Access,
    keys: Keys,
    session: Session,
) -> None:
    key = person(admin, keys, "010-2000-0011")
    session.commit()
    analyst = access_for(make_user("lee", Role.ANALYST))
    with pytest.raises(PermissionDenied, match="may not person.read"):
        cases.get_person(analyst, keys, key)
    assert audit_rows(session)[-1].outcome == "denied"


def test_denied_write_leaves_no_data(
    make_user: MakeUser, access_for: AccessFor, keys: Keys, session: Session
) -> None:
    officer = access_for(make_user("park", Role.INVESTIGATOR, scopes=(GANGNAM,)))
    with pytest.raises(PermissionDenied):
        person(officer, keys, "010-2000-0012", district=SONGPA)
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(PersonRow)) == 0


def test_clusters_and_links(admin: Access, keys: Keys) -> None:
    cluster = cases.create_cluster(
        admin, name="Itaewon clubs", kind=ClusterKind.VENUE, district_code="11030"
    )
    with pytest.raises(Conflict, match="Itaewon clubs"):
        cases.create_cluster(
            admin, name="Itaewon clubs", kind=ClusterKind.VENUE, district_code="11030"
        )
    cid = case(admin, person(admin, keys, "010-2000-0013"))
    cases.link_case(admin, cluster.id, cid)
    with pytest.raises(Conflict, match="already in cluster"):
        cases.link_case(admin, cluster.id, cid)
    from outbreak.cases.links import get_cluster

    assert get_cluster(admin, cluster.id)[1] == [cid]


def window(hours: int = 2) -> ExposureWindow:
    start = datetime(2020, 8, 12, 19, tzinfo=UTC)
    return ExposureWindow(start, start + timedelta(hours=hours))


def test_contacts_rules(admin: Access, keys: Keys) -> None:
    index_key = person(admin, keys, "010-2000-0014")
    cid = case(admin, index_key)
    contact_key = person(admin, keys, "010-2000-0015")
    contact = cases.add_contact(
        admin,
        index_case_id=cid,
        person_key=contact_key,
        kind=ExposureKind.HOUSEHOLD,
        window=window(),
        risk=RiskLevel.HIGH,
        retention_days=42,
    )
    assert contact.risk is RiskLevel.HIGH
    with pytest.raises(Conflict):
        cases.add_contact(
            admin,
            index_case_id=cid,
            person_key=contact_key,
            kind=ExposureKind.HOUSEHOLD,
            window=window(),
            risk=RiskLevel.HIGH,
            retention_days=42,
        )
    with pytest.raises(InvalidInput, match="own contact"):
        cases.add_contact(
            admin,
            index_case_id=cid,
            person_key=index_key,
            kind=ExposureKind.INTERVIEW,
            window=window(),
            risk=RiskLevel.LOW,
            retention_days=42,
        )
    with pytest.raises(InvalidInput) as info:
        cases.add_contact(
            admin,
            index_case_id=cid,
            person_key=contact_key,
            kind=ExposureKind.INTERVIEW,
            window=window(-1),
            risk=RiskLevel.LOW,
            retention_days=42,
        )
    assert info.value.field == "exposure_end"
    rows, total = list_contacts(admin, cid, limit=10, offset=0)
    assert total == 1 and rows[0].person_key == contact_key


def test_retention_purges_contacts_but_keeps_cases(
    admin: Access, keys: Keys, session: Session
) -> None:
    cid = case(admin, person(admin, keys, "010-2000-0016"))
    stays = person(admin, keys, "010-2000-0017")
    goes = person(admin, keys, "010-2000-0018")
    for key in (stays, goes):
        cases.add_contact(
            admin,
            index_case_id=cid,
            person_key=key,
            kind=ExposureKind.VENUE_VISIT,
            window=window(),
            risk=RiskLevel.MEDIUM,
            retention_days=42,
        )
    case(admin, stays, on=D)  # this contact became a case: keep
    session.commit()
    purge_day = window().end.date() + timedelta(days=43)
    assert cases.purge_expired(session, today=purge_day - timedelta(days=2)) == 0
    assert cases.purge_expired(session, today=purge_day) == 1
    session.commit()
    assert session.get(PersonRow, goes) is None
    assert session.get(PersonRow, stays) is not None
    last = audit_rows(session)[-1]
    assert (last.action, last.subject_id, last.actor) == (
        "person.purge",
        goes,
        "system",
    )


def test_purpose_is_required(session: Session, make_user: MakeUser) -> None:
    with pytest.raises(InvalidInput, match="purpose"):
        Access(session, make_user("choi", Role.ADMIN), " ")


def test_clusters_are_scoped_to_their_district(
    make_user: MakeUser,
    access_for: AccessFor,
    admin: Access,
    keys: Keys,
    session: Session,
) -> None:
    from outbreak.cases import corrections
    from outbreak.cases.links import list_clusters

    busan = cases.create_cluster(
        admin, name="Busan port", kind=ClusterKind.WORKPLACE, district_code="21010"
    )
    mine = cases.create_cluster(
        admin, name="Gangnam gym", kind=ClusterKind.VENUE, district_code=GANGNAM
    )
    session.commit()
    officer = access_for(make_user("kim", Role.INVESTIGATOR, scopes=(GANGNAM,)))
    rows, total = list_clusters(officer, limit=10, offset=0)
    assert total == 1 and [c.name for c, _ in rows] == ["Gangnam gym"]
    with pytest.raises(PermissionDenied):
        corrections.update_cluster(officer, busan.id, district_code=GANGNAM)
    session.rollback()
    assert session.get(type(busan), busan.id).district_code == "21010"  # type: ignore[union-attr]
    cid = case(admin, person(admin, keys, "010-2000-0099"))
    session.commit()
    with pytest.raises(PermissionDenied):
        cases.link_case(officer, busan.id, cid)
    cases.link_case(officer, mine.id, cid)


def test_a_person_elsewhere_is_not_revealed(
    make_user: MakeUser,
    access_for: AccessFor,
    admin: Access,
    keys: Keys,
    session: Session,
) -> None:
    key = person(admin, keys, "010-2000-0098", district=SONGPA)
    session.commit()
    officer = access_for(make_user("kim", Role.INVESTIGATOR, scopes=(GANGNAM,)))
    with pytest.raises(Conflict) as info:
        person(officer, keys, "010-2000-0098")
    assert (
        key not in info.value.message and "another jurisdiction" in info.value.message
    )


def test_long_purposes_are_cut_not_lost(make_user: MakeUser, session: Session) -> None:
    analyst = Access(session, make_user("lee", Role.ANALYST), "why " * 100)
    from outbreak.auth.roles import Permission

    with pytest.raises(PermissionDenied):
        analyst.check(
            Permission.PERSON_READ, subject_type="person", subject_id="x" * 99
        )
    row = audit_rows(session)[-1]
    assert (
        row.outcome == "denied"
        and len(row.purpose) == 200
        and row.purpose.endswith("…")
    )


def test_deleting_a_mistaken_case_restores_retention(
    admin: Access, keys: Keys, session: Session
) -> None:
    from outbreak.cases import corrections

    key = person(admin, keys, "010-2000-0097")
    cid = case(admin, key)
    assert session.get(PersonRow, key).purge_after is None  # type: ignore[union-attr]
    corrections.delete_case(admin, cid, reason="entered twice", retention_days=42)
    session.commit()
    assert session.get(PersonRow, key).purge_after == admin.today + timedelta(days=42)  # type: ignore[union-attr]


def test_an_active_case_elsewhere_is_not_described(
    make_user: MakeUser,
    access_for: AccessFor,
    admin: Access,
    keys: Keys,
    session: Session,
) -> None:
    key = person(admin, keys, "010-2000-0096", district=SONGPA)
    cid = case(admin, key, SONGPA)
    session.commit()
    clinic = access_for(make_user("clinic", Role.CLINIC_STAFF, scopes=(GANGNAM,)))
    with pytest.raises(Conflict) as info:
        case(clinic, key)
    assert (
        str(cid) not in info.value.message
        and "another jurisdiction" in info.value.message
    )
