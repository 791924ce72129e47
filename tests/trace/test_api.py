"""The investigation API end to end on both backends: OpenAPI, problem+json, exports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.store.tables.trace import InvestigationRow
from outbreak.synth.city import phone_of
from outbreak.testing import test_settings
from outbreak.trace import service as inv
from outbreak.types import Role
from outbreak.web import create_app
from tests.trace.conftest import City
from tests.web.helpers import assert_problem, login
from tests.web.test_dashboard import sign_in

PID = 1
REASON = "confirmed case, route for the 2-day window"


@pytest.fixture
def api(
    city: City, engine: sa.Engine, tmp_path: Path, make_user: Callable[..., Principal]
) -> Iterator[TestClient]:
    settings = test_settings(
        tmp_path, parquet_dir=city.store.root.parent, registry_dir=city.root / "city"
    )
    make_user("kim", Role.INVESTIGATOR, scopes=("11",))
    make_user("lee", Role.DATA_APPROVER, scopes=("11",))
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def _case(client: TestClient, headers: dict[str, str]) -> int:
    phone = str(phone_of(np.array([PID]))[0])
    person = client.post(
        "/api/v1/persons",
        headers=headers,
        json={
            "identifier": phone,
            "identifier_kind": "phone",
            "district_code": "11230",
            "phone": phone,
        },
    )
    assert person.status_code == 201, person.text
    case = client.post(
        "/api/v1/cases",
        headers=headers,
        json={
            "person_key": person.json()["key"],
            "district_code": "11230",
            "confirmed_on": "2020-05-05",
            "sample_on": "2020-05-05",
            "source": "local",
        },
    )
    assert case.status_code == 201, case.text
    return int(case.json()["id"])


def test_investigation_over_http(api: TestClient) -> None:
    kim, lee = login(api, "kim"), login(api, "lee")
    opened = api.post(
        "/api/v1/investigations",
        headers=kim,
        json={"case_id": _case(api, kim), "min_minutes": 15},
    )
    assert opened.status_code == 201, opened.text
    i = opened.json()["id"]
    assert opened.json()["window_basis"] == "sample"
    refused = api.post(f"/api/v1/investigations/{i}/route", headers=kim)
    assert_problem(refused, 403, "permission_denied", "source")
    for source in ("gps", "checkins", "card", "place_devices"):
        r = api.post(
            f"/api/v1/investigations/{i}/requests",
            headers=kim,
            json={"source": source, "reason": REASON},
        )
        assert r.status_code == 201, r.text
    pending = api.get("/api/v1/data-requests", headers=lee).json()
    assert len(pending) == 4
    self_approval = api.post(
        f"/api/v1/data-requests/{pending[0]['id']}/decision",
        headers=kim,
        json={"approve": True},
    )
    assert_problem(self_approval, 403, "permission_denied")
    for r in pending:
        d = api.post(
            f"/api/v1/data-requests/{r['id']}/decision",
            headers=lee,
            json={"approve": True, "note": "ok"},
        )
        assert d.json()["state"] == "approved"
    route = api.post(f"/api/v1/investigations/{i}/route", headers=kim)
    assert route.status_code == 200, route.text
    stays = route.json()
    assert stays and {"lat", "lon", "sources", "confidence"} <= set(stays[0])
    assert 37 < stays[0]["lat"] < 38 and 126 < stays[0]["lon"] < 128
    csv = api.get(f"/api/v1/investigations/{i}/route.csv", headers=kim)
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == len(stays) + 1
    geo = api.get(f"/api/v1/investigations/{i}/route.geojson", headers=kim).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(stays)
    found = api.post(f"/api/v1/investigations/{i}/contacts", headers=kim).json()
    bulk = api.post(
        "/api/v1/investigations/contacts", headers=kim, json={"investigation_ids": [i]}
    )
    assert bulk.status_code == 200, bulk.text
    assert {c["key"] for c in bulk.json()[str(i)]} == {c["key"] for c in found}
    assert found and all(len(c["key"]) == 16 for c in found)
    assert {"person_key", "phone", "name"}.isdisjoint(found[0])  # allowlisted fields
    orders = api.post(
        f"/api/v1/investigations/{i}/orders",
        headers=kim,
        json={"contact_ids": [found[0]["id"]], "kind": "quarantine"},
    )
    assert orders.status_code == 201, orders.text
    # contact of contact: its own requests, naming the contacts
    assert_problem(
        api.post(f"/api/v1/investigations/{i}/contacts-of-contacts", headers=kim),
        403,
        "permission_denied",
        "source",
    )
    named = [c["id"] for c in found if c["kind"] == "co_location"][:4]
    for source in ("gps", "place_devices"):
        r = api.post(
            f"/api/v1/investigations/{i}/requests",
            headers=kim,
            json={"source": source, "reason": REASON, "contact_ids": named},
        )
        assert r.status_code == 201 and r.json()["contact_ids"] == sorted(named)
        api.post(
            f"/api/v1/data-requests/{r.json()['id']}/decision",
            headers=lee,
            json={"approve": True},
        )
    second = api.post(f"/api/v1/investigations/{i}/contacts-of-contacts", headers=kim)
    assert second.status_code == 200, second.text
    assert second.json() and {c["degree"] for c in second.json()} == {2}
    listed = api.get(f"/api/v1/investigations/{i}/contacts", headers=kim).json()
    by_id = {c["id"]: c for c in listed}
    assert all(by_id[c["via_contact_id"]]["degree"] == 1 for c in second.json())
    net = api.get("/api/v1/network", headers=kim).json()
    assert net["cases"] == 1 and net["hotspots"]
    assert "<graphml" in api.get("/api/v1/network/graph.graphml", headers=kim).text


def test_bad_input_names_the_field(api: TestClient) -> None:
    kim = login(api, "kim")
    case_id = _case(api, kim)
    i = api.post(
        "/api/v1/investigations", headers=kim, json={"case_id": case_id}
    ).json()["id"]
    bad = api.post(
        f"/api/v1/investigations/{i}/requests",
        headers=kim,
        json={"source": "telepathy", "reason": REASON},
    )
    assert_problem(bad, 422, "invalid_input", "source")
    short = api.post(
        f"/api/v1/investigations/{i}/requests",
        headers=kim,
        json={"source": "gps", "reason": "why"},
    )
    assert_problem(short, 422, "invalid_input", "reason")
    vague = api.post(
        "/api/v1/investigations",
        headers=kim,
        json={"case_id": case_id, "passers_by": "sometimes"},
    )
    assert_problem(vague, 422, "invalid_input", "passers_by")
    stranger = api.post(
        f"/api/v1/investigations/{i}/requests",
        headers=kim,
        json={"source": "gps", "reason": REASON, "contact_ids": [424242]},
    )
    assert_problem(stranger, 404, "not_found", "contact_ids")
    missing = api.get("/api/v1/investigations/999", headers=kim)
    assert_problem(missing, 404, "not_found", "investigation_id")
    spec = api.get("/openapi.json").json()
    assert "/api/v1/investigations/{inv_id}/route.geojson" in spec["paths"]
    assert "/api/v1/investigations/{inv_id}/contacts-of-contacts" in spec["paths"]
    rule = spec["components"]["schemas"]["InvestigationCreate"]["properties"]
    assert "passers_by" in rule and "distance_m" in rule


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_decide_rebuild_and_order_from_the_dashboard(api: TestClient) -> None:
    """The investigation page takes its users' actions: the approver decides
    pending requests (the requester cannot), the investigator rebuilds the route
    and contacts and issues orders to ticked contacts — each a CSRF-checked form
    post through the same services (and audit) as the API."""
    kim = login(api, "kim")
    opened = api.post(
        "/api/v1/investigations", headers=kim, json={"case_id": _case(api, kim)}
    )
    i = opened.json()["id"]
    for source in ("gps", "checkins", "place_devices"):
        r = api.post(
            f"/api/v1/investigations/{i}/requests",
            headers=kim,
            json={"source": source, "reason": REASON},
        )
        assert r.status_code == 201, r.text
    sign_in(api, "kim")  # the requester sees no decision buttons, nor may post one
    page = api.get(f"/investigations/{i}?lang=en").text
    assert 'class="decide"' not in page and 'id="rebuild-submit"' in page
    ids = [int(x) for x in re.findall(r'data-request="(\d+)"', page)]
    assert len(ids) == 3
    mine = api.post(
        f"/investigations/{i}/requests/{ids[0]}",
        data={"csrf": _csrf(page), "decision": "approve"},
    )
    assert mine.status_code == 403
    api.cookies.clear()
    sign_in(api, "lee")
    page = api.get(f"/investigations/{i}?lang=en").text
    assert page.count('class="decide"') == 3 and 'id="rebuild-submit"' not in page
    forged = api.post(
        f"/investigations/{i}/requests/{ids[0]}",
        data={"csrf": "0" * 64, "decision": "approve"},
    )
    assert forged.status_code == 403
    for rid in ids:
        r = api.post(
            f"/investigations/{i}/requests/{rid}",
            data={"csrf": _csrf(page), "decision": "approve", "note": "ok"},
        )
        assert r.status_code == 200 and "Request approved." in r.text
    again = api.post(
        f"/investigations/{i}/requests/{ids[0]}",
        data={"csrf": _csrf(page), "decision": "reject"},
    )
    assert "That request was already decided." in again.text
    assert api.post(
        f"/investigations/{i}/rebuild", data={"csrf": _csrf(page)}
    ).status_code == 403  # fmt: skip
    api.cookies.clear()
    sign_in(api, "kim")
    page = api.get(f"/investigations/{i}?lang=en").text
    r = api.post(f"/investigations/{i}/rebuild", data={"csrf": _csrf(page)})
    assert "Route and contacts rebuilt." in r.text and 'id="route-map"' in r.text
    contacts = [int(x) for x in re.findall(r'name="contact_ids" value="(\d+)"', r.text)]
    assert len(contacts) >= 2
    r = api.post(
        f"/investigations/{i}/orders",
        data={"csrf": _csrf(r.text), "kind": "quarantine", "contact_ids": contacts[:2]},
    )
    assert "2 self-quarantine orders." in r.text
    orders = api.get(f"/api/v1/investigations/{i}/orders", headers=kim).json()
    assert sorted(o["contact_id"] for o in orders) == sorted(contacts[:2])
    # the ticked contacts' movements, to trace whom they met: two requests, or none
    assert 'id="coc-submit"' in r.text
    none = api.post(
        f"/investigations/{i}/contact-requests",
        data={"csrf": _csrf(r.text), "reason": REASON},
    )
    assert "Not done: tick the contacts to trace" in none.text
    r = api.post(
        f"/investigations/{i}/contact-requests",
        data={"csrf": _csrf(r.text), "reason": REASON, "contact_ids": contacts[:2]},
    )
    assert "Data requested" in r.text
    asked = api.get(f"/api/v1/investigations/{i}/requests", headers=kim).json()
    mine = [q for q in asked if q["contact_ids"]]
    assert sorted(q["source"] for q in mine) == ["gps", "place_devices"]
    assert all(sorted(q["contact_ids"]) == sorted(contacts[:2]) for q in mine)
    short = api.post(
        f"/investigations/{i}/contact-requests",
        data={"csrf": _csrf(r.text), "reason": "who", "contact_ids": contacts[:1]},
    )
    assert "give a reason of at least 10 characters" in short.text
    after = api.get(f"/api/v1/investigations/{i}/requests", headers=kim).json()
    assert len(after) == len(asked)  # neither request of the refused pair was kept
    korean = api.get(f"/investigations/{i}?lang=ko&done=orders_quarantine_2").text
    assert "자가격리 통지 2건." in korean
    assert "<script>" not in api.get(f"/investigations/{i}?done=<script>").text


def test_open_request_and_note_from_the_dashboard(api: TestClient) -> None:
    """An investigator runs the workflow's first steps on the dashboard: opens an
    investigation for a case, asks for data, adds the phone the case named and an
    interview note with a reported place, then closes it; refused input comes back
    naming the field, in the page's language."""
    kim = login(api, "kim")
    case_id = _case(api, kim)
    sign_in(api, "kim")
    listing = api.get("/investigations?lang=en").text
    assert 'id="open-investigation"' in listing
    csrf = _csrf(listing)
    bad = api.post("/investigations", data={"csrf": csrf, "case_id": "9999"})
    assert bad.status_code == 200 and "Not done: check the case number" in bad.text
    assert "Also people passing by" in listing
    r = api.post(
        "/investigations",
        data={"csrf": csrf, "case_id": str(case_id), "passers_by": "1"},
    )
    assert r.status_code == 200 and "Investigation opened." in r.text
    i = int(re.search(r"/investigations/(\d+)\?", str(r.url)).group(1))  # type: ignore[union-attr]
    with api.app.state.sessions() as s:  # type: ignore[attr-defined]
        assert inv.contact_rule(s.get(InvestigationRow, i)).passers_by
    again = api.post(
        "/investigations?lang=ko", data={"csrf": csrf, "case_id": str(case_id)}
    )
    assert "처리하지 못했습니다: 확진자 번호를 확인하세요" in again.text
    api.get("/investigations?lang=en")  # back to English (the choice is a cookie)
    assert api.post(
        "/investigations", data={"csrf": "0" * 64, "case_id": str(case_id)}
    ).status_code == 403  # fmt: skip

    short = api.post(
        f"/investigations/{i}/requests",
        data={"csrf": csrf, "source": "telecom", "reason": "why"},
    )
    assert "give a reason of at least 10 characters" in short.text
    backwards = api.post(
        f"/investigations/{i}/requests",
        data={"csrf": csrf, "source": "telecom", "reason": REASON,
              "start": "2020-05-04T12:00", "end": "2020-05-04T09:00"},
    )  # fmt: skip
    assert "the end must come after the start" in backwards.text
    r = api.post(
        f"/investigations/{i}/requests",
        data={"csrf": csrf, "source": "telecom", "reason": REASON,
              "start": "2020-05-04T09:00", "end": "2020-05-04T12:00"},
    )  # fmt: skip
    assert "Data requested" in r.text
    requests = api.get(f"/api/v1/investigations/{i}/requests", headers=kim).json()
    assert [(q["source"], q["state"]) for q in requests] == [("telecom", "pending")]
    assert requests[0]["window_start"].startswith("2020-05-04T00:00")  # 09:00 KST

    phone = "010-1234-5678"
    r = api.post(
        f"/investigations/{i}/identifiers",
        data={"csrf": csrf, "kind": "card", "value": "4111111111111111"},
    )
    assert "Identifier added." in r.text
    r = api.post(
        f"/investigations/{i}/identifiers",
        data={"csrf": csrf, "kind": "passport", "value": phone},
    )
    assert "check the kind" in r.text
    r = api.post(
        f"/investigations/{i}/notes",
        data={"csrf": csrf, "text": "went to church", "place_id": "3"},
    )
    assert "a reported place needs place, start and end" in r.text
    r = api.post(
        f"/investigations/{i}/notes",
        data={"csrf": csrf, "text": "went to church", "place_id": "3",
              "start": "2020-05-04T10:00", "end": "2020-05-04T11:30"},
    )  # fmt: skip
    assert "Note saved." in r.text and 'id="notes-table"' in r.text
    notes = api.get(f"/api/v1/investigations/{i}/notes", headers=kim).json()
    assert [(n["text"], n["place_id"]) for n in notes] == [("went to church", 3)]
    assert "4111" not in r.text  # the card number itself is never shown or kept

    r = api.post(f"/investigations/{i}/close", data={"csrf": csrf})
    assert "Investigation closed." in r.text and 'id="request-data"' not in r.text
    r = api.post(f"/investigations/{i}/close", data={"csrf": csrf})
    assert "the investigation is closed" in r.text
    assert "<script>" not in api.get(f"/investigations/{i}?error=<script>").text
    api.cookies.clear()
    sign_in(api, "lee")  # a data approver may not open investigations
    assert 'id="open-investigation"' not in api.get("/investigations").text
    refused = api.post("/investigations", data={"csrf": csrf, "case_id": str(case_id)})
    assert refused.status_code == 403
