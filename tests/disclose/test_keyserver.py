"""The exposure-notification key server on SQLite and PostgreSQL: verification
codes, all-or-nothing uploads, signed exports of ended keys, 14-day purge; then the
same over HTTP, and the public files."""

from __future__ import annotations

import base64
import itertools
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.cases import create_case, register_person, transition_case
from outbreak.config import Settings
from outbreak.disclose import keyserver
from outbreak.disclose.gaen import KeyJson, expires_at, interval_number
from outbreak.disclose.gaen_export import SignatureInfo, load_public_key, read_export
from outbreak.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from outbreak.privacy import Keys
from outbreak.store import make_sessionmaker
from outbreak.store.tables import (
    AuditRow,
    DiagnosisKeyRow,
    EnExportRow,
    EnVerificationCodeRow,
)
from outbreak.testing import test_settings
from outbreak.types import CaseState, IdentifierKind, Role
from outbreak.web.errors import install_error_handlers
from outbreak.web.routes import en as en_routes
from tests.web.helpers import assert_problem, login

NOW = datetime(2020, 9, 1, 3, 25, tzinfo=UTC)  # 12:25 KST on the fixtures' TODAY
DAY = interval_number(NOW) // 144 * 144  # first interval of NOW's UTC day
LIFETIME_MIN = 24 * 60


def _item(seed: int, start: int, period: int = 144, **kw: object) -> KeyJson:
    item: dict[str, Any] = {
        "key": base64.b64encode(bytes([seed]) * 16).decode(),
        "rollingStartNumber": start,
        "rollingPeriod": period,
        "transmissionRisk": 5,
    }
    return cast(KeyJson, {**item, **kw})


def _week(day: int = DAY) -> list[KeyJson]:
    """Two whole past days, a key that ended at 02:00 today and one still valid."""
    return [
        _item(1, day - 288),
        _item(2, day - 144),
        _item(3, day, 12),
        _item(4, day + 12, 132),
    ]


@pytest.fixture
def kim(
    make_user: Callable[..., Principal], access_for: Callable[..., Access]
) -> Access:
    return access_for(make_user("kim", Role.INVESTIGATOR, scopes=("11230",)))


@pytest.fixture
def case_id(kim: Access, keys: Keys) -> int:
    person = register_person(
        kim,
        keys,
        identifier="010-1234-5678",
        identifier_kind=IdentifierKind.PHONE,
        district_code="11230",
    )
    case = create_case(
        kim,
        person_key=person.key,
        district_code="11230",
        confirmed_on=date(2020, 8, 31),
        sample_on=date(2020, 8, 30),
    )
    kim.session.commit()
    return case.id


def _code(access: Access, case_id: int, now: datetime = NOW) -> str:
    issued = keyserver.issue_code(access, case_id, now=now, lifetime_min=LIFETIME_MIN)
    access.session.commit()
    return issued.code


def _publish(session: Session, code: str, items: list[KeyJson], **kw: Any) -> int:
    upload = keyserver.Upload(code, items, **kw)
    return keyserver.publish_keys(session, upload, now=NOW, region="KR")


def _count(session: Session, table: type[Any]) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


# --- verification codes -----------------------------------------------------------


def test_a_code_is_issued_with_the_permission_and_audited(
    kim: Access, case_id: int, session: Session
) -> None:
    issued = keyserver.issue_code(kim, case_id, now=NOW, lifetime_min=30)
    session.commit()
    assert issued.code.isdigit() and len(issued.code) == 12
    assert issued.expires_at == NOW + timedelta(minutes=30)
    row = session.scalars(sa.select(EnVerificationCodeRow)).one()
    assert row.code_hash == keyserver.code_hash(issued.code) != issued.code
    assert (row.case_id, row.issued_by, row.used_at) == (case_id, "kim", None)
    entry = session.scalars(
        sa.select(AuditRow).where(AuditRow.action == "en.code.issue")
    ).one()
    assert (entry.actor, entry.subject_type, entry.subject_id, entry.outcome) == (
        "kim",
        "case",
        str(case_id),
        "allowed",
    )


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.ANALYST, "*"),
        (Role.QUARANTINE_OFFICER, "11230"),
        (Role.INVESTIGATOR, "11240"),
    ],
)
def test_a_code_needs_the_permission_over_the_cases_district(
    case_id: int,
    make_user: Callable[..., Principal],
    access_for: Callable[..., Access],
    session: Session,
    role: Role,
    scope: str,
) -> None:
    other = access_for(make_user("lee", role, scopes=(scope,)))
    with pytest.raises(PermissionDenied):
        keyserver.issue_code(other, case_id, now=NOW, lifetime_min=30)
    assert _count(session, EnVerificationCodeRow) == 0
    denied = session.scalars(
        sa.select(AuditRow).where(AuditRow.action == "en.code.issue")
    ).one()
    assert (denied.actor, denied.outcome) == ("lee", "denied")


def test_clinic_staff_may_issue_codes(
    case_id: int, make_user: Callable[..., Principal], access_for: Callable[..., Access]
) -> None:
    clinic = access_for(make_user("park", Role.CLINIC_STAFF, scopes=("11230",)))
    assert len(_code(clinic, case_id)) == 12


def test_codes_only_for_an_active_confirmed_case(kim: Access, case_id: int) -> None:
    with pytest.raises(NotFound, match="No case with id 999"):
        keyserver.issue_code(kim, 999, now=NOW, lifetime_min=30)
    transition_case(kim, case_id, state=CaseState.RELEASED, on=date(2020, 9, 1))
    with pytest.raises(Conflict, match="is released") as err:
        keyserver.issue_code(kim, case_id, now=NOW, lifetime_min=30)
    assert err.value.field == "case_id"


# --- uploads ----------------------------------------------------------------------


def test_an_upload_stores_unlinked_keys_and_uses_the_code(
    kim: Access, case_id: int, session: Session
) -> None:
    code = _code(kim, case_id)
    assert _publish(session, f" {code[:4]}-{code[4:8]} {code[8:]}", _week()) == 4
    session.commit()
    rows = session.scalars(
        sa.select(DiagnosisKeyRow).order_by(DiagnosisKeyRow.rolling_start)
    ).all()
    stored = [(r.key_data[0], r.rolling_start, r.rolling_period) for r in rows]
    assert stored == [
        (1, DAY - 288, 144),
        (2, DAY - 144, 144),
        (3, DAY, 12),
        (4, DAY + 12, 132),
    ]
    day = datetime(2020, 9, 1, tzinfo=UTC)  # NOW's UTC day: times only to the day
    assert {r.received_at for r in rows} == {day}
    assert rows[0].purge_after == datetime(2020, 8, 31, tzinfo=UTC) + timedelta(days=14)
    ids = sorted(r.id for r in rows)  # random (62 bits), not a sequence
    assert max(b - a for a, b in itertools.pairwise(ids)) > 1_000_000
    columns = set(DiagnosisKeyRow.__table__.columns.keys())
    assert not {c for c in columns if "case" in c or "code" in c or "person" in c}
    used = session.scalars(sa.select(EnVerificationCodeRow)).one().used_at
    assert used == day
    with pytest.raises(Conflict, match="already used") as err:
        _publish(session, code, [_item(9, DAY - 144 * 5)])
    assert err.value.field == "verificationPayload"


def test_an_uploads_keys_are_stored_in_a_random_order(
    kim: Access, case_id: int, session: Session
) -> None:
    inserted: list[int] = []

    def record(_mapper: object, _conn: object, row: DiagnosisKeyRow) -> None:
        inserted.append(row.key_data[0])

    items = [_item(seed, DAY - 144 * seed) for seed in range(1, 14)]  # 13 days
    sa.event.listen(DiagnosisKeyRow, "after_insert", record)
    try:
        _publish(session, _code(kim, case_id), items)
    finally:
        sa.event.remove(DiagnosisKeyRow, "after_insert", record)
    assert sorted(inserted) == list(range(1, 14))
    assert inserted != list(range(1, 14))  # the upload's order: 1 in 13! by chance


def test_unknown_and_expired_codes_are_refused(
    kim: Access, case_id: int, session: Session
) -> None:
    with pytest.raises(PermissionDenied, match="Unknown verification code") as err:
        _publish(session, "000000000000", _week())
    assert err.value.field == "verificationPayload"
    code = _code(kim, case_id, now=NOW - timedelta(minutes=LIFETIME_MIN))
    with pytest.raises(PermissionDenied, match="expired at 2020-09-01T03:25") as err:
        _publish(session, code, _week())
    assert err.value.field == "verificationPayload"
    session.rollback()
    assert _count(session, DiagnosisKeyRow) == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"key": base64.b64encode(bytes(15)).decode()}, "temporaryExposureKeys[3].key"),
        (
            {"rollingStartNumber": DAY + 144},
            "temporaryExposureKeys[3].rollingStartNumber",
        ),
        (
            {"rollingStartNumber": DAY - 144 * 16},
            "temporaryExposureKeys[3].rollingStartNumber",
        ),
        ({"rollingPeriod": 200}, "temporaryExposureKeys[3].rollingPeriod"),
        ({"transmissionRisk": 9}, "temporaryExposureKeys[3].transmissionRisk"),
        ({"key": _item(1, 0)["key"]}, "temporaryExposureKeys[3].key"),  # repeats key 0
    ],
)
def test_a_bad_key_anywhere_stores_nothing_and_leaves_the_code_unused(
    kim: Access, case_id: int, session: Session, bad: dict[str, Any], field: str
) -> None:
    code = _code(kim, case_id)
    items: list[Any] = _week()
    items[3] = {**items[3], **bad}
    with pytest.raises(InvalidInput) as err:
        _publish(session, code, items)
    assert err.value.field == field
    assert _count(session, DiagnosisKeyRow) == 0  # nothing pending either (autoflush)
    session.rollback()  # what the request's transaction does on an error
    assert session.scalars(sa.select(EnVerificationCodeRow.used_at)).one() is None
    assert _publish(session, code, _week()) == 4  # the code still works


def test_a_key_already_published_is_refused_whole(
    kim: Access, case_id: int, session: Session
) -> None:
    first, second = _code(kim, case_id), _code(kim, case_id)
    _publish(session, first, _week()[:2])
    session.commit()
    with pytest.raises(Conflict, match="Key 1 was already published") as err:
        _publish(session, second, [_item(7, DAY - 144 * 3), _item(2, DAY - 144)])
    assert err.value.field == "temporaryExposureKeys[1].key"
    session.rollback()
    assert _count(session, DiagnosisKeyRow) == 2
    codes = session.scalars(
        sa.select(EnVerificationCodeRow).order_by(EnVerificationCodeRow.id)
    ).all()
    assert [c.used_at is None for c in codes] == [False, True]


def test_an_upload_for_another_region_is_refused(
    kim: Access, case_id: int, session: Session
) -> None:
    code = _code(kim, case_id)
    with pytest.raises(InvalidInput, match="region KR; got \\['US'\\]") as err:
        _publish(session, code, _week(), regions=["US"])
    assert err.value.field == "regions"
    assert _publish(session, code, _week(), regions=["US", "KR"]) == 4


# --- exports and retention --------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> keyserver.ExportConfig:
    return keyserver.ExportConfig(
        "KR", tmp_path / "public" / "en", SignatureInfo("450", "v1")
    )


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _published(kim: Access, case_id: int, session: Session) -> None:
    _publish(session, _code(kim, case_id), _week())
    session.commit()


def _index(config: keyserver.ExportConfig) -> list[str]:
    return (config.directory / "index.txt").read_text().splitlines()


def _keys_in(
    config: keyserver.ExportConfig, name: str, key: ec.EllipticCurvePrivateKey
) -> list[int]:
    data = (config.directory / name).read_bytes()
    verified = read_export(data, public_key=key.public_key())
    assert verified.info == config.info and verified.export.region == "KR"
    return [k.key_data[0] for k in verified.export.keys]


def test_exports_hold_only_keys_whose_period_ended_and_verify(
    kim: Access,
    case_id: int,
    session: Session,
    config: keyserver.ExportConfig,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    _published(kim, case_id, session)
    first = keyserver.export_batch(session, config, now=NOW, signing_key=signing_key)
    session.commit()
    # a file per UTC day on which keys ended: key 1 on 31 August, 2 and 3 on 1 Sept
    assert [(r.batch_num, r.batch_size, r.key_count) for r in first] == [
        (1, 2, 1),
        (2, 2, 2),
    ]
    assert {r.end_at for r in first} == {datetime(2020, 9, 1, 3, 20, tzinfo=UTC)}
    assert [_keys_in(config, r.file_name, signing_key) for r in first] == [
        [1],
        [2, 3],  # not 4 yet
    ]
    assert [r.purge_after for r in first] == [  # when each file's first key is due
        datetime(2020, 9, 14, tzinfo=UTC),
        datetime(2020, 9, 15, tzinfo=UTC),
    ]
    assert _index(config) == [f"en/{r.file_name}" for r in first]
    pem = (config.directory / "signing-key.pem").read_bytes()
    assert (
        load_public_key(pem).public_numbers()
        == signing_key.public_key().public_numbers()
    )

    assert (
        keyserver.export_batch(session, config, now=NOW, signing_key=signing_key) == []
    )
    later = NOW + timedelta(days=1)
    second = keyserver.export_batch(session, config, now=later, signing_key=signing_key)
    session.commit()
    assert [r.key_count for r in second] == [1]
    assert second[0].start_at == first[0].end_at  # windows follow on
    assert _keys_in(config, second[0].file_name, signing_key) == [4]
    assert _index(config) == [f"en/{r.file_name}" for r in [*first, *second]]
    unexported = sa.select(sa.func.count()).where(DiagnosisKeyRow.export_id.is_(None))
    assert session.scalar(unexported) == 0
    assert not list(config.directory.glob(".*.tmp"))  # atomic writes leave nothing


def test_large_exports_are_split_into_batches(
    kim: Access,
    case_id: int,
    session: Session,
    tmp_path: Path,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    _published(kim, case_id, session)
    small = keyserver.ExportConfig("KR", tmp_path / "en", SignatureInfo("450", "v1"), 1)
    rows = keyserver.export_batch(session, small, now=NOW, signing_key=signing_key)
    assert [(r.batch_num, r.batch_size, r.key_count) for r in rows] == [
        (1, 3, 1),
        (2, 3, 1),
        (3, 3, 1),
    ]
    assert [_keys_in(small, r.file_name, signing_key) for r in rows] == [[1], [2], [3]]
    assert _index(small) == [f"en/{r.file_name}" for r in rows]


def _expired_on_disk(
    config: keyserver.ExportConfig, key: ec.EllipticCurvePrivateKey, now: datetime
) -> list[int]:
    """Keys past their 14 days in any export file still there to download."""
    return [
        k.key_data[0]
        for path in config.directory.glob("*.zip")
        for k in read_export(path.read_bytes(), public_key=key.public_key()).export.keys
        if expires_at(k) <= now
    ]


def test_purge_deletes_keys_exports_and_codes_after_14_days(
    kim: Access,
    case_id: int,
    session: Session,
    config: keyserver.ExportConfig,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    _published(kim, case_id, session)
    first = keyserver.export_batch(session, config, now=NOW, signing_key=signing_key)
    second = keyserver.export_batch(
        session, config, now=NOW + timedelta(days=1), signing_key=signing_key
    )
    session.commit()

    def purge(now: datetime) -> keyserver.Purged:
        done = keyserver.purge(session, config, now=now)
        session.commit()
        assert _expired_on_disk(config, signing_key, now) == [], now
        return done

    day = datetime(2020, 9, 14, tzinfo=UTC)  # 14 days after key 1 ended
    assert purge(day - timedelta(seconds=1)) == keyserver.Purged(0, 0, 0)
    assert purge(day) == keyserver.Purged(keys=1, exports=1, codes=0)
    assert not (config.directory / first[0].file_name).exists()
    assert _index(config) == [f"en/{r.file_name}" for r in [first[1], *second]]
    # key 3 ended at 02:00 on 1 September; it leaves with key 2, its file's first
    assert purge(day + timedelta(days=1)) == keyserver.Purged(2, 1, 0)
    assert purge(day + timedelta(days=2)) == keyserver.Purged(1, 1, 0)  # key 4
    assert _index(config) == []
    code_due = NOW + timedelta(minutes=LIFETIME_MIN, days=14)  # 14 d past expiry
    assert purge(code_due - timedelta(seconds=1)).codes == 0
    assert purge(code_due) == keyserver.Purged(0, 0, 1)
    assert [
        _count(session, t)
        for t in (DiagnosisKeyRow, EnExportRow, EnVerificationCodeRow)
    ] == [0, 0, 0]


def test_a_purged_files_keys_are_not_exported_again(
    kim: Access,
    case_id: int,
    session: Session,
    config: keyserver.ExportConfig,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    _published(kim, case_id, session)
    keyserver.export_batch(session, config, now=NOW, signing_key=signing_key)
    session.commit()
    due = datetime(2020, 9, 15, tzinfo=UTC)  # key 2's end + 14 days; key 3's at 02:00
    assert keyserver.purge(session, config, now=due) == keyserver.Purged(3, 2, 0)
    rows = keyserver.export_batch(session, config, now=due, signing_key=signing_key)
    assert [_keys_in(config, r.file_name, signing_key) for r in rows] == [[4]]


# --- the signing key --------------------------------------------------------------


def test_the_signing_key_is_created_once_in_dev_and_required_in_prod(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys" / "en.pem"
    with pytest.raises(ConfigError, match="No export signing key at"):
        keyserver.load_signing_key(path, create=False)
    key = keyserver.load_signing_key(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = keyserver.load_signing_key(path, create=True)
    assert again.private_numbers() == key.private_numbers()
    settings = test_settings(tmp_path, en_signing_key_file=path)
    assert keyserver.signing_key(settings).private_numbers() == key.private_numbers()
    prod = test_settings(tmp_path / "prod", env="prod")
    with pytest.raises(ConfigError, match="OUTBREAK_EN_SIGNING_KEY_FILE"):
        keyserver.signing_key(prod)
    path.write_text("not a key")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        keyserver.load_signing_key(path, create=False)


# --- over HTTP --------------------------------------------------------------------


def _real_week() -> list[KeyJson]:
    day = interval_number(datetime.now(UTC)) // 144 * 144
    return [_item(11, day - 288), _item(12, day - 144)]


def _staff_code(client: TestClient, headers: dict[str, str]) -> str:
    person = client.post(
        "/api/v1/persons",
        headers=headers,
        json={
            "identifier": "010-5555-6666",
            "identifier_kind": "phone",
            "district_code": "11230",
        },
    )
    assert person.status_code == 201, person.text
    case = client.post(
        "/api/v1/cases",
        headers=headers,
        json={
            "person_key": person.json()["key"],
            "district_code": "11230",
            "confirmed_on": "2020-08-20",
            "sample_on": "2020-08-19",
        },
    )
    assert case.status_code == 201, case.text
    r = client.post(
        "/api/v1/en/verification-codes",
        headers=headers,
        json={"case_id": case.json()["id"]},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"code", "case_id", "expires_at"} and len(body["code"]) == 12
    return str(body["code"])


def test_codes_and_uploads_over_http(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("kim", Role.INVESTIGATOR, scopes=("11230",))
    make_user("ahn", Role.ANALYST)
    code = _staff_code(client, login(client, "kim"))
    url = "/api/v1/en/verification-codes"
    assert_problem(client.post(url, json={"case_id": 1}), 401, "not_authenticated")
    assert_problem(
        client.post(url, headers=login(client, "ahn"), json={"case_id": 1}),
        403,
        "permission_denied",
    )

    body = {"temporaryExposureKeys": _real_week(), "verificationPayload": code}
    bad = {
        **body,
        "temporaryExposureKeys": [*_real_week(), _item(13, 0, rollingPeriod=0)],
    }
    problem = assert_problem(
        client.post("/api/v1/en/publish", json=bad),
        422,
        "invalid_input",
        "temporaryExposureKeys[2].rollingPeriod",
    )
    assert "got 0" in problem["detail"]
    assert_problem(
        client.post("/api/v1/en/publish", json={**body, "extra": 1}),
        422,
        "invalid_input",
        "extra",
    )
    assert_problem(
        client.post("/api/v1/en/publish", json={**body, "verificationPayload": "123"}),
        403,
        "permission_denied",
        "verificationPayload",
    )
    full = {
        **body,
        "regions": ["KR"],
        "appPackageName": "kr.go.kdca.en",
        "padding": "x" * 1500,
    }
    ok = client.post("/api/v1/en/publish", json=full)
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"insertedExposures": 2}
    assert_problem(
        client.post("/api/v1/en/publish", json=body),
        409,
        "conflict",
        "verificationPayload",
    )


def test_public_files_are_served_without_the_database(
    client: TestClient,
    make_user: Callable[..., Principal],
    settings: Settings,
    engine: sa.Engine,
) -> None:
    make_user("kim", Role.INVESTIGATOR, scopes=("11230",))
    code = _staff_code(client, login(client, "kim"))
    body = {"temporaryExposureKeys": _real_week(), "verificationPayload": code}
    assert client.post("/api/v1/en/publish", json=body).status_code == 200
    public_only = FastAPI()  # no engine, no session: files only
    public_only.state.settings = settings
    install_error_handlers(public_only)
    public_only.include_router(en_routes.public_router)
    files = TestClient(public_only)
    assert_problem(files.get("/public/en/index.txt"), 404, "not_found")

    with make_sessionmaker(engine)() as session:
        rows = keyserver.export_batch(
            session,
            keyserver.ExportConfig.from_settings(settings),
            now=datetime.now(UTC),
            signing_key=keyserver.signing_key(settings),
        )
        session.commit()
    index = files.get("/public/en/index.txt")
    assert index.status_code == 200 and index.headers["content-type"].startswith(
        "text/plain"
    )
    assert index.text.splitlines() == [f"en/{r.file_name}" for r in rows]
    for app in (client, files):
        pem = app.get("/public/en/signing-key.pem")
        assert pem.status_code == 200
        seen = []
        for line in index.text.splitlines():
            export = app.get(f"/public/{line}")
            assert export.status_code == 200
            assert export.headers["content-type"] == "application/zip"
            # a cached copy outlives the file's purge by an hour at most
            assert export.headers["cache-control"] == "public, max-age=3600"
            public_key = load_public_key(pem.content)
            verified = read_export(export.content, public_key=public_key)
            seen += [k.key_data[0] for k in verified.export.keys]
        assert sorted(seen) == [11, 12]

    secret = settings.en_signing_key_path.read_bytes()
    for path in (
        "/public/en/..%2F..%2Fen-signing-key.pem",
        "/public/en/%2e%2e%2f%2e%2e%2fen-signing-key.zip",
        "/public/en/..%2Fen%2Findex.zip",
        "/public/en/%2e%2e.zip",
        "/public/en/0000000000-0000000000-00001.zip",  # well-formed, absent
    ):
        r = client.get(path)
        assert r.status_code in (404, 422), path
        assert secret not in r.content and b"PRIVATE KEY" not in r.content


def test_file_names_cannot_leave_the_export_directory(tmp_path: Path) -> None:
    directory = tmp_path / "public" / "en"
    directory.mkdir(parents=True)
    (tmp_path / "secret.zip").write_bytes(b"secret")
    (directory / "ok.zip").write_bytes(b"ok")
    assert en_routes._serve(directory, "ok.zip", "application/zip", 1).path
    for name in ("../../secret.zip", str(tmp_path / "secret.zip"), "missing.zip"):
        with pytest.raises(NotFound):
            en_routes._serve(directory, name, "application/zip", 1)
