"""The REST API end to end through the app, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.web.helpers import assert_problem, login

MakeUser = Callable[..., Principal]
PHONE = {"identifier_kind": "phone", "district_code": "11230", "name": "홍길동"}


@pytest.fixture
def admin(client: TestClient, make_user: MakeUser) -> dict[str, str]:
    make_user("admin", Role.ADMIN)
    return login(client, "admin")


def new_person(
    client: TestClient, headers: dict[str, str], phone: str, district: str = "11230"
) -> str:
    r = client.post(
        "/api/v1/persons",
        headers=headers,
        json={**PHONE, "identifier": phone, "district_code": district},
    )
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"key", "district_code"}
    return str(r.json()["key"])


def new_case(
    client: TestClient, headers: dict[str, str], key: str, district: str = "11230"
) -> int:
    r = client.post(
        "/api/v1/cases",
        headers=headers,
        json={
            "person_key": key,
            "district_code": district,
            "confirmed_on": "2020-08-20",
            "sample_on": "2020-08-19",
            "onset_on": "2020-08-17",
            "source": "local",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_health_needs_no_login(client: TestClient, backend: str) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == backend
    assert body["schema_revision"] is not None


def test_everything_else_needs_login(client: TestClient) -> None:
    r = client.get("/api/v1/cases")
    assert_problem(r, 401, "not_authenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_problem(
        client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}),
        401,
        "not_authenticated",
    )


def test_wrong_password_is_refused_and_audited(
    client: TestClient, make_user: MakeUser, admin: dict[str, str]
) -> None:
    make_user("kim", Role.INVESTIGATOR)
    r = client.post(
        "/api/v1/auth/token", data={"username": "kim", "password": "wrong-password"}
    )
    assert_problem(r, 401, "not_authenticated")
    entries = client.get("/api/v1/audit", headers=admin, params={"actor": "kim"}).json()
    assert [(e["action"], e["outcome"]) for e in entries["data"]] == [
        ("auth.login", "denied")
    ]


def test_case_workflow(client: TestClient, admin: dict[str, str]) -> None:
    key = new_person(client, admin, "010-4000-0001")
    cid = new_case(client, admin, key)
    r = client.get(f"/api/v1/cases/{cid}", headers=admin)
    assert r.json()["state"] == "isolated" and r.json()["person_key"] == key
    r = client.post(
        f"/api/v1/cases/{cid}/transitions",
        headers=admin,
        json={"state": "in_hospital", "on": "2020-08-21"},
    )
    assert r.status_code == 200 and r.json()["state"] == "in_hospital"
    r = client.patch(f"/api/v1/cases/{cid}", headers=admin, json={"source": "imported"})
    assert r.json()["source"] == "imported"
    history = client.get(f"/api/v1/cases/{cid}/history", headers=admin).json()
    assert [h["state"] for h in history] == ["isolated", "in_hospital"]
    person = client.get(f"/api/v1/persons/{key}", headers=admin).json()
    assert person["name"] == "홍길동" and person["phone"] is None


def test_invalid_transition_is_a_problem(
    client: TestClient, admin: dict[str, str]
) -> None:
    cid = new_case(client, admin, new_person(client, admin, "010-4000-0002"))
    r = client.post(
        f"/api/v1/cases/{cid}/transitions",
        headers=admin,
        json={"state": "released", "on": "2020-08-01"},
    )
    body = assert_problem(r, 422, "invalid_transition", field="on")
    assert "2020-08-01" in body["detail"] and "2020-08-20" in body["detail"]
    assert (
        client.get(f"/api/v1/cases/{cid}", headers=admin).json()["state"] == "isolated"
    )


def test_bad_date_names_field_and_value(
    client: TestClient, admin: dict[str, str]
) -> None:
    key = new_person(client, admin, "010-4000-0003")
    r = client.post(
        "/api/v1/cases",
        headers=admin,
        json={
            "person_key": key,
            "district_code": "11230",
            "confirmed_on": "20/08/2020",
            "sample_on": "2020-08-19",
        },
    )
    body = assert_problem(r, 422, "invalid_input", field="confirmed_on")
    assert "20/08/2020" in body["detail"]
    assert client.get("/api/v1/cases", headers=admin).json()["count"] == 0


def test_unknown_district_and_unknown_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/persons",
        headers=admin,
        json={**PHONE, "identifier": "010-4000-0004", "district_code": "99999"},
    )
    assert (
        "99999"
        in assert_problem(r, 422, "invalid_input", field="district_code")["detail"]
    )
    r = client.post(
        "/api/v1/persons",
        headers=admin,
        json={**PHONE, "identifier": "010-4000-0004", "nationality": "KR"},
    )
    assert_problem(r, 422, "invalid_input", field="nationality")


def test_duplicate_is_a_conflict(client: TestClient, admin: dict[str, str]) -> None:
    new_person(client, admin, "010-4000-0005")
    r = client.post(
        "/api/v1/persons", headers=admin, json={**PHONE, "identifier": "01040000005"}
    )
    assert_problem(r, 409, "conflict", field="identifier")


def test_other_district_is_forbidden_and_audited(
    client: TestClient, make_user: MakeUser, admin: dict[str, str]
) -> None:
    songpa_key = new_person(client, admin, "010-4000-0006", district="11240")
    songpa_case = new_case(client, admin, songpa_key, district="11240")
    make_user("gangnam", Role.INVESTIGATOR, scopes=("11230",))
    officer = login(client, "gangnam")
    assert_problem(
        client.get(f"/api/v1/persons/{songpa_key}", headers=officer),
        403,
        "permission_denied",
    )
    assert_problem(
        client.get(f"/api/v1/cases/{songpa_case}", headers=officer),
        403,
        "permission_denied",
    )
    r = client.post(
        f"/api/v1/cases/{songpa_case}/transitions",
        headers=officer,
        json={"state": "released", "on": "2020-08-30"},
    )
    assert_problem(r, 403, "permission_denied")
    denied = client.get(
        "/api/v1/audit", headers=admin, params={"actor": "gangnam"}
    ).json()
    outcomes = [(e["action"], e["subject_id"], e["outcome"]) for e in denied["data"]]
    assert ("person.read", songpa_key, "denied") in outcomes
    assert ("case.read", str(songpa_case), "denied") in outcomes
    assert ("case.write", str(songpa_case), "denied") in outcomes
    assert (
        client.get(f"/api/v1/cases/{songpa_case}", headers=admin).json()["state"]
        == "isolated"
    )


def test_pagination(client: TestClient, admin: dict[str, str]) -> None:
    for i in range(7):
        new_case(client, admin, new_person(client, admin, f"010-4000-10{i:02d}"))
    page = client.get(
        "/api/v1/cases", headers=admin, params={"limit": 3, "offset": 3}
    ).json()
    assert (page["count"], page["limit"], page["offset"], len(page["data"])) == (
        7,
        3,
        3,
        3,
    )
    ids = [
        c["id"]
        for c in client.get("/api/v1/cases?limit=100", headers=admin).json()["data"]
    ]
    assert [c["id"] for c in page["data"]] == ids[3:6]
    assert_problem(
        client.get("/api/v1/cases?limit=0", headers=admin),
        422,
        "invalid_input",
        field="limit",
    )


def test_clusters_and_contacts(client: TestClient, admin: dict[str, str]) -> None:
    cid = new_case(client, admin, new_person(client, admin, "010-4000-0007"))
    contact = new_person(client, admin, "010-4000-0008")
    r = client.post(
        "/api/v1/clusters",
        headers=admin,
        json={
            "name": "Guro call centre",
            "kind": "workplace",
            "district_code": "11170",
        },
    )
    cluster = r.json()["id"]
    assert (
        client.post(
            f"/api/v1/clusters/{cluster}/cases", headers=admin, json={"case_id": cid}
        ).status_code
        == 204
    )
    got = client.get(f"/api/v1/clusters/{cluster}", headers=admin).json()
    assert got["case_ids"] == [cid] and got["size"] == 1
    assert client.get("/api/v1/clusters", headers=admin).json()["data"][0]["size"] == 1
    r = client.post(
        f"/api/v1/cases/{cid}/contacts",
        headers=admin,
        json={
            "person_key": contact,
            "kind": "household",
            "exposure_start": "2020-08-18T19:00:00+09:00",
            "exposure_end": "2020-08-19T08:00:00+09:00",
            "risk": "high",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["exposure_start"].startswith("2020-08-18T10:00:00")
    r = client.post(
        f"/api/v1/cases/{cid}/contacts",
        headers=admin,
        json={
            "person_key": contact,
            "kind": "household",
            "exposure_start": "2020-08-18T19:00:00",
            "exposure_end": "2020-08-19T08:00:00+09:00",
        },
    )
    assert_problem(r, 422, "invalid_input", field="exposure_start")  # no UTC offset
    contacts = client.get(f"/api/v1/cases/{cid}/contacts", headers=admin).json()
    assert contacts["count"] == 1


def test_users_and_api_keys(
    client: TestClient, admin: dict[str, str], make_user: MakeUser
) -> None:
    r = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "beds",
            "password": "long enough pw",
            "roles": ["bed_coordinator"],
            "scopes": ["11"],
        },
    )
    assert r.status_code == 201 and r.json() == {
        "username": "beds",
        "roles": ["bed_coordinator"],
        "scopes": ["11"],
    }
    assert "password" not in r.text
    r = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "bad",
            "password": "long enough pw",
            "roles": ["admin"],
            "scopes": ["seoul"],
        },
    )
    assert_problem(r, 422, "invalid_input", field="scopes")
    key = client.post(
        "/api/v1/users/beds/api-keys", headers=admin, json={"name": "bed board"}
    ).json()["key"]
    me = client.get("/api/v1/me", headers={"X-API-Key": key}).json()
    assert me["username"] == "beds"
    assert_problem(
        client.get("/api/v1/me", headers={"X-API-Key": key + "x"}),
        401,
        "not_authenticated",
    )
    assert_problem(
        client.get("/api/v1/users", headers={"X-API-Key": key}),
        403,
        "permission_denied",
    )


def test_audit_verify_and_stats(client: TestClient, admin: dict[str, str]) -> None:
    new_case(client, admin, new_person(client, admin, "010-4000-0009"))
    report = client.get("/api/v1/audit/verify", headers=admin).json()
    assert report["ok"] and report["count"] >= 3 and report["problems"] == []
    stats = client.get(
        "/api/v1/stats/active-cases", headers=admin, params={"parent_code": "11"}
    ).json()
    assert len(stats) == 25
    assert {s["code"]: s["active_cases"] for s in stats}["11230"] == 1
    gangnam = client.get("/api/v1/districts/11230", headers=admin).json()
    assert gangnam["name_en"] == "Gangnam-gu"
    assert_problem(
        client.get("/api/v1/districts/00000", headers=admin),
        404,
        "not_found",
        field="code",
    )


def test_purpose_header_is_recorded(client: TestClient, admin: dict[str, str]) -> None:
    key = new_person(client, admin, "010-4000-0010")
    client.get(
        f"/api/v1/persons/{key}", headers={**admin, "X-Purpose": "contact tracing"}
    )
    entries = client.get(
        "/api/v1/audit", headers=admin, params={"subject_id": key}
    ).json()
    assert entries["data"][0]["purpose"] == "contact tracing"
    r = client.get(f"/api/v1/persons/{key}", headers={**admin, "X-Purpose": "x"})
    assert_problem(r, 422, "invalid_input", field="purpose")


def test_corrections_update_and_delete(
    client: TestClient, admin: dict[str, str]
) -> None:
    cid = new_case(client, admin, new_person(client, admin, "010-4100-0001"))
    other = new_person(client, admin, "010-4100-0002")
    contact = client.post(
        f"/api/v1/cases/{cid}/contacts",
        headers=admin,
        json={
            "person_key": other,
            "kind": "venue_visit",
            "exposure_start": "2020-08-18T19:00:00+09:00",
            "exposure_end": "2020-08-18T21:00:00+09:00",
        },
    ).json()["id"]
    r = client.patch(f"/api/v1/contacts/{contact}", headers=admin, json={"risk": "low"})
    assert r.status_code == 200 and r.json()["risk"] == "low"
    r = client.patch(
        f"/api/v1/contacts/{contact}",
        headers=admin,
        json={"exposure_start": "2020-08-18T20:00:00+09:00"},
    )
    assert_problem(r, 422, "invalid_input", field="exposure_end")
    cluster = client.post(
        "/api/v1/clusters",
        headers=admin,
        json={"name": "Club A", "kind": "venue", "district_code": "11030"},
    ).json()["id"]
    client.post(
        f"/api/v1/clusters/{cluster}/cases", headers=admin, json={"case_id": cid}
    )
    r = client.patch(
        f"/api/v1/clusters/{cluster}",
        headers=admin,
        json={"name": "Itaewon clubs", "description": "May 2020"},
    )
    assert r.json()["name"] == "Itaewon clubs"
    assert (
        client.delete(
            f"/api/v1/clusters/{cluster}/cases/{cid}", headers=admin
        ).status_code
        == 204
    )
    assert_problem(
        client.delete(f"/api/v1/clusters/{cluster}/cases/{cid}", headers=admin),
        404,
        "not_found",
        field="case_id",
    )
    assert_problem(
        client.delete(f"/api/v1/contacts/{contact}", headers=admin),
        422,
        "invalid_input",
        field="reason",
    )
    assert (
        client.delete(
            f"/api/v1/contacts/{contact}?reason=wrong person", headers=admin
        ).status_code
        == 204
    )
    assert_problem(
        client.get(f"/api/v1/contacts/{contact}", headers=admin), 404, "not_found"
    )
    assert (
        client.delete(
            f"/api/v1/cases/{cid}?reason=duplicate entry", headers=admin
        ).status_code
        == 204
    )
    assert_problem(client.get(f"/api/v1/cases/{cid}", headers=admin), 404, "not_found")
    assert (
        client.delete(f"/api/v1/clusters/{cluster}", headers=admin).status_code == 204
    )
    audit = client.get(
        "/api/v1/audit", headers=admin, params={"subject_id": str(cid)}
    ).json()
    assert any("duplicate entry" in e["detail"] for e in audit["data"])


def test_delete_needs_jurisdiction(
    client: TestClient, make_user: MakeUser, admin: dict[str, str]
) -> None:
    cid = new_case(
        client, admin, new_person(client, admin, "010-4100-0003", "11240"), "11240"
    )
    make_user("gangnam", Role.INVESTIGATOR, scopes=("11230",))
    r = client.delete(
        f"/api/v1/cases/{cid}?reason=not mine", headers=login(client, "gangnam")
    )
    assert_problem(r, 403, "permission_denied")
    assert client.get(f"/api/v1/cases/{cid}", headers=admin).status_code == 200


def test_districts_are_paginated(client: TestClient, admin: dict[str, str]) -> None:
    page = client.get(
        "/api/v1/districts",
        headers=admin,
        params={"level": "sigungu", "parent_code": "11", "limit": 10},
    ).json()
    assert page["count"] == 25 and len(page["data"]) == 10
    assert page["data"][0]["code"] == "11010"
    everything = client.get("/api/v1/districts?limit=500", headers=admin).json()
    assert everything["count"] == 268
