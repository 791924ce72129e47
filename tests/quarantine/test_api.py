"""The quarantine API on both backends: officers' orders and alerts, the app's
token-scoped reports, problem+json errors naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.web.helpers import assert_problem, login

FENCE = {"lat": 37.4979, "lon": 127.0276, "radius_m": 100}


def _arrival(client: TestClient, headers: dict[str, str], phone: str) -> dict:  # type: ignore[type-arg]
    person = client.post(
        "/api/v1/persons",
        headers=headers,
        json={
            "identifier": phone,
            "identifier_kind": "phone",
            "district_code": "11230",
        },
    )
    assert person.status_code == 201, person.text
    issued = client.post(
        "/api/v1/quarantine/orders",
        headers=headers,
        json={
            "person_key": person.json()["key"],
            "start_on": datetime.now(UTC).date().isoformat(),
            "fence": FENCE,
            "address": "서울 강남구 테헤란로 1",
            "test_required": True,
        },
    )
    assert issued.status_code == 201, issued.text
    return issued.json()  # type: ignore[no-any-return]


def test_officer_and_app_over_http(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("kang", Role.QUARANTINE_OFFICER, Role.CLINIC_STAFF, scopes=("11230",))
    make_user("songpa", Role.QUARANTINE_OFFICER, scopes=("11240",))
    kang = login(client, "kang")
    one = _arrival(client, kang, "010-1111-2222")
    two = _arrival(client, kang, "010-3333-4444")
    assert (
        one["order"]["officer"] == "kang"
        and one["order"]["end_on"] > one["order"]["start_on"]
    )
    assert "address" not in one["order"] and len(one["token"]) >= 30
    app = {"X-Quarantine-Token": one["token"]}
    mine = client.get("/api/v1/app/order", headers=app).json()
    assert mine["state"] == "issued" and mine["fence_radius_m"] == 100
    assert_problem(
        client.get("/api/v1/app/order", headers={"X-Quarantine-Token": "nope"}),
        401,
        "not_authenticated",
        "token",
    )
    now = datetime.now(UTC)
    batch = {
        "reports": [
            {
                "kind": "check",
                "client_id": "c1",
                "t": now.isoformat(),
                "temperature_c": 36.6,
            },
            {"kind": "heartbeat", "client_id": "h1", "t": now.isoformat()},
            {
                "kind": "location",
                "client_id": "l1",
                "t": now.isoformat(),
                "lat": FENCE["lat"] + 0.01,
                "lon": FENCE["lon"],
                "accuracy_m": 15,
            },
        ]
    }
    first = client.post("/api/v1/app/reports", headers=app, json=batch).json()
    again = client.post("/api/v1/app/reports", headers=app, json=batch).json()
    assert first == {"accepted": 3, "duplicates": 0, "alerts": 1}
    assert again == {"accepted": 0, "duplicates": 3, "alerts": 0}
    bad = client.post(
        "/api/v1/app/reports",
        headers=app,
        json={
            "reports": [
                {
                    "kind": "check",
                    "client_id": "c2",
                    "t": now.isoformat(),
                    "symptoms": ["sneezing_fits"],
                }
            ]
        },
    )
    assert_problem(bad, 422, "invalid_input")
    assert "symptoms" in bad.json()["field"]
    # the officer's worklist: the order out of its fence first, with its alert
    work = client.get("/api/v1/quarantine/orders", headers=kang).json()
    assert [w["order"]["id"] for w in work] == [one["order"]["id"], two["order"]["id"]]
    top = work[0]
    assert top["last_inside"] is False and top["alerts"][0]["rule"] == "geofence"
    assert (
        client.get("/api/v1/quarantine/orders", headers=login(client, "songpa")).json()
        == []
    )
    timeline = client.get(
        f"/api/v1/quarantine/orders/{one['order']['id']}/timeline", headers=kang
    ).json()
    assert {"lat", "lon"}.isdisjoint(timeline[0]) and len(timeline) == 3
    ack = client.post(
        f"/api/v1/quarantine/alerts/{top['alerts'][0]['id']}/ack",
        headers=kang,
        json={"note": "called: back home"},
    )
    assert ack.json()["state"] == "acknowledged"
    early = client.post(
        f"/api/v1/quarantine/orders/{one['order']['id']}/state",
        headers=kang,
        json={"state": "released"},
    )
    assert_problem(early, 422, "invalid_transition", "state")
    ext = client.post(
        f"/api/v1/quarantine/orders/{one['order']['id']}/extend",
        headers=kang,
        json={"days": 3},
    ).json()
    end = datetime.fromisoformat(one["order"]["end_on"]).date() + timedelta(days=3)
    assert ext["end_on"] == end.isoformat()
    no_consent = client.post(
        f"/api/v1/quarantine/orders/{one['order']['id']}/band",
        headers=kang,
        json={"band_id": "BAND-7", "consent": False},
    )
    assert_problem(no_consent, 422, "invalid_input", "consent")
    # one token never reaches the other order
    other = client.get(
        "/api/v1/app/order", headers={"X-Quarantine-Token": two["token"]}
    )
    assert other.json()["state"] == "issued"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/app/reports" in spec["paths"]
    assert "/api/v1/quarantine/orders/{order_id}/state" in spec["paths"]
