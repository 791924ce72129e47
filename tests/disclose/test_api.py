"""The disclosure API end to end on both backends: the communicator's review, the
public endpoints that follow it, problem+json on bad input, the OpenAPI docs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from outbreak.web.dashboard.public_pages import ATOM, TOMBSTONES
from tests.disclose.conftest import World, kst
from tests.web.helpers import assert_problem, login


@pytest.fixture
def api(staff: TestClient, world: World) -> Iterator[TestClient]:
    world.investigation(
        [
            (1, kst(4, 12, 3), kst(4, 13, 7)),
            (3, kst(4, 9), kst(4, 18)),
            (4, kst(4, 21), kst(5, 8)),
            (5, kst(5, 20), kst(5, 22, 30)),
        ]
    )
    yield staff


def entries(api: TestClient, headers: dict[str, str], **params: str) -> list[dict]:  # type: ignore[type-arg]
    r = api.get("/api/v1/disclosures", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_review_publish_and_the_public_sees_it(api: TestClient) -> None:
    choi = login(api, "choi")
    derived = api.post("/api/v1/disclosures/derive", headers=choi, json={})
    assert derived.status_code == 200, derived.text
    assert derived.json()["created"] == 4
    assert derived.json()["withheld"] == {"workplace": 1, "residence": 1}
    proposed = entries(api, choi, state="proposed")
    assert {e["name"] for e in proposed} == {"행복식당", "즐거운노래방"}
    withheld = entries(api, choi, state="withheld")
    assert {tuple(e["withheld_by"]) for e in withheld} == {
        ("workplace",),
        ("residence",),
    }
    r = api.post(
        "/api/v1/disclosures/publish",
        headers=choi,
        json={"entry_ids": [e["id"] for e in proposed]},
    )
    assert r.status_code == 200, r.text
    public = api.get("/public/api/v1/exposures").json()
    assert public["count"] == 2
    assert {d["name"] for d in public["data"]} == {"행복식당", "즐거운노래방"}
    text = api.get("/public/api/v1/exposures").text
    assert '"investigation' not in text and "choi" not in text


def test_a_withheld_entry_cannot_be_published(api: TestClient) -> None:
    choi = login(api, "choi")
    api.post("/api/v1/disclosures/derive", headers=choi, json={})
    home = next(
        e
        for e in entries(api, choi, state="withheld")
        if "residence" in e["withheld_by"]
    )
    r = api.post(
        "/api/v1/disclosures/publish", headers=choi, json={"entry_ids": [home["id"]]}
    )
    body = assert_problem(r, 403, "privacy_violation", "entry_ids")
    assert "residence" in body["detail"]


def test_corrections_and_withdrawals_reach_every_output(api: TestClient) -> None:
    choi, kim = login(api, "choi"), login(api, "kim")
    api.post("/api/v1/disclosures/derive", headers=choi, json={})
    proposed = {e["name"]: e for e in entries(api, choi, state="proposed")}
    api.post(
        "/api/v1/disclosures/publish",
        headers=choi,
        json={"entry_ids": [e["id"] for e in proposed.values()]},
    )
    food, karaoke = proposed["행복식당"], proposed["즐거운노래방"]
    bad = api.patch(
        f"/api/v1/disclosures/{food['id']}",
        headers=choi,
        json={"name": "행복식당 (30대 여성 방문)"},
    )
    assert_problem(bad, 403, "privacy_violation", "name")
    ok = api.patch(
        f"/api/v1/disclosures/{food['id']}",
        headers=choi,
        json={"name": "행복식당 본점", "disinfected": True},
    )
    assert ok.status_code == 200 and ok.json()["name_public"] == "행복식당 본점"
    # the investigator finds every guest of the karaoke room: withdrawn everywhere
    done = api.post(
        f"/api/v1/disclosures/{karaoke['id']}/contacts-identified",
        headers=kim,
        json={"identified": True},
    )
    assert done.json()["state"] == "withdrawn"
    data = api.get("/public/api/v1/exposures").json()["data"]
    assert [(d["name"], d["disinfected"]) for d in data] == [("행복식당 본점", True)]
    atom = ET.fromstring(api.get("/public/exposures.atom").content)  # noqa: S314
    refs = [e.text for e in atom.iter(f"{{{ATOM}}}id")]
    gone = [d.get("ref") for d in atom.iter(f"{{{TOMBSTONES}}}deleted-entry")]
    assert f"urn:outbreak:exposure:{karaoke['public_id']}" in gone
    assert f"urn:outbreak:exposure:{karaoke['public_id']}" not in refs
    withdrawn = api.get("/public/api/v1/exposures/withdrawn").json()
    assert withdrawn == [karaoke["public_id"]]
    assert karaoke["name"] not in api.get("/public/exposures").text


def test_roles_and_bad_input_are_problems_naming_the_field(api: TestClient) -> None:
    choi, kim = login(api, "choi"), login(api, "kim")
    assert_problem(
        api.post("/api/v1/disclosures/derive", headers=kim, json={}),
        403,
        "permission_denied",
    )
    assert_problem(
        api.post("/api/v1/disclosures/derive", headers=choi, json={"ids": [1]}),
        422,
        "invalid_input",
        "ids",
    )
    api.post("/api/v1/disclosures/derive", headers=choi, json={})
    entry = entries(api, choi)[0]
    assert_problem(
        api.post(
            f"/api/v1/disclosures/{entry['id']}/hide",
            headers=choi,
            json={"reason": "short"},
        ),
        422,
        "invalid_input",
        "reason",
    )
    assert_problem(
        api.post("/api/v1/disclosures/publish", headers=choi, json={"entry_ids": []}),
        422,
        "invalid_input",
        "entry_ids",
    )
    assert_problem(
        api.get("/api/v1/disclosures/99999", headers=choi), 404, "not_found", "entry_id"
    )
    assert api.get("/api/v1/disclosures").status_code == 401


def test_everything_is_in_the_openapi_docs(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/disclosures",
        "/api/v1/disclosures/derive",
        "/api/v1/disclosures/publish",
        "/api/v1/disclosures/{entry_id}/contacts-identified",
        "/public/api/v1/exposures",
        "/public/api/v1/self-check",
        "/public/exposures.atom",
    ):
        assert path in paths, path
    rules = api.get("/api/v1/disclosures/rules").json()
    assert [r["code"] for r in rules][:2] == ["outside_window", "unnamed_place"]
