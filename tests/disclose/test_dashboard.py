"""The communicator's page through the app: every form action, CSRF, the refusals
shown on the page, and what each role sees."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.disclose.conftest import World, kst
from tests.web.test_dashboard import sign_in


@pytest.fixture
def page(staff: TestClient, world: World) -> Iterator[TestClient]:
    world.investigation([(1, kst(4, 12, 3), kst(4, 13, 7)), (3, kst(4, 9), kst(4, 18))])
    yield staff


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def act(client: TestClient, action: str, **form: object) -> str:
    token = csrf(client.get("/disclosure?lang=en").text)
    r = client.post(f"/disclosure/{action}", data={"csrf": token, **form})
    assert r.status_code == 200, r.text  # followed the redirect back to the list
    return r.text


def entry_id(html: str, state: str) -> str:
    found = re.search(rf'id="entry-(\d+)" data-state="{state}"', html)
    assert found is not None, state
    return found.group(1)


def test_every_action_from_the_page(page: TestClient) -> None:
    sign_in(page, "choi")
    listed = act(page, "derive")
    assert 'id="dis-done"' in listed
    food = entry_id(listed, "proposed")
    act(
        page, "edit", entry_id=food, name="행복식당 2층", address="", disinfected="true"
    )
    refused = act(page, "edit", entry_id=food, name="확진자 7번 방문")
    assert 'id="dis-error"' in refused and "case number" in refused
    act(page, "publish", entry_ids=[food])
    shown = page.get("/public/api/v1/exposures").json()["data"]
    assert [(e["name"], e["disinfected"]) for e in shown] == [("행복식당 2층", True)]
    act(page, "withdraw", entry_id=food, back="published", reason="the wrong branch")
    assert page.get("/public/api/v1/exposures").json()["count"] == 0
    work = entry_id(page.get("/disclosure?state=withheld").text, "withheld")
    short = act(page, "public-risk", entry_id=work, reason="many")
    assert "at least 10 characters" in short
    act(page, "public-risk", entry_id=work, reason="a call floor open to visitors")
    assert entry_id(page.get("/disclosure?state=proposed").text, "proposed") == work
    act(page, "hide", entry_id=work, reason="the company calls every visitor")
    act(page, "unhide", entry_id=work, back="hidden")
    assert entry_id(page.get("/disclosure?state=proposed").text, "proposed") == work
    unknown = act(page, "explode", entry_id=work)
    assert "Unknown action" in unknown


def test_a_form_without_the_session_token_is_refused(page: TestClient) -> None:
    sign_in(page, "choi")
    r = page.post("/disclosure/derive", data={"csrf": "0" * 64})
    assert "expired" in r.text and 'id="dis-error"' in r.text
    assert "행복식당" not in page.get("/disclosure").text  # nothing was derived


def test_each_role_sees_its_own_buttons(page: TestClient) -> None:
    sign_in(page, "choi")
    act(page, "derive")
    mine = page.get("/disclosure?lang=en").text
    assert 'id="publish"' in mine and "All contacts identified" not in mine
    page.cookies.clear()
    sign_in(page, "kim")
    theirs = page.get("/disclosure?lang=en").text
    assert 'id="publish"' not in theirs and "All contacts identified" in theirs
    food = entry_id(theirs, "proposed")
    act(page, "identified", entry_id=food, identified="true")
    assert 'data-state="proposed"' not in page.get("/disclosure").text
    page.cookies.clear()
    assert page.get("/disclosure", follow_redirects=False).status_code == 303
