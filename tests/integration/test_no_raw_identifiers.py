"""Privacy by construction: after real work, no raw identifier is anywhere in the DB."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak import cases
from outbreak.audit import Access
from outbreak.cases.links import ExposureWindow
from outbreak.privacy import Keys
from outbreak.types import ExposureKind, IdentifierKind, RiskLevel, Role

IDENTIFIERS = {
    "010-3141-5926": IdentifierKind.PHONE,
    "850101-1234567": IdentifierKind.NATIONAL_ID,
    "M12345678": IdentifierKind.PASSPORT,
}
NAMES = ["김민서", "이도윤", "박서연"]
ADDRESS = "서울특별시 강남구 테헤란로 152"


def test_database_holds_no_raw_identifier(
    session: Session, engine: sa.Engine, keys: Keys, make_user: Callable[..., object]
) -> None:
    admin = Access(
        session, make_user("admin", Role.ADMIN), "pii scan", today=date(2020, 9, 1)
    )  # type: ignore[arg-type]
    keys_made = []
    for (ident, kind), name in zip(IDENTIFIERS.items(), NAMES, strict=True):
        keys_made.append(
            cases.register_person(
                admin,
                keys,
                identifier=ident,
                identifier_kind=kind,
                district_code="11230",
                name=name,
                phone="010-3141-5926",
                address=ADDRESS,
                birth_year=1985,
                sex="F",
            ).key
        )
    case = cases.create_case(
        admin,
        person_key=keys_made[0],
        district_code="11230",
        confirmed_on=date(2020, 8, 20),
        sample_on=date(2020, 8, 19),
    )
    start = datetime(2020, 8, 18, 12, tzinfo=UTC)
    for key in keys_made[1:]:
        cases.add_contact(
            admin,
            index_case_id=case.id,
            person_key=key,
            kind=ExposureKind.HOUSEHOLD,
            window=ExposureWindow(start, start + timedelta(hours=3)),
            risk=RiskLevel.HIGH,
            retention_days=42,
        )
        cases.get_person(admin, keys, key)
    session.commit()

    needles = ["01031415926", "8501011234567", "M12345678", *NAMES, "테헤란로"]
    found = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in map(str, row):
                    digits = re.sub(r"\D", "", value)
                    for needle in needles:
                        if needle in value or (needle.isdigit() and needle in digits):
                            found.append((table, needle))
    assert found == [], f"raw personal data stored in clear: {found}"
