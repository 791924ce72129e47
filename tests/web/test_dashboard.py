"""Dashboard pages through the app (the browser test drives a real Chromium)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.web.helpers import PASSWORD, login
from tests.web.test_api import new_case, new_person


def sign_in(client: TestClient, username: str) -> None:
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "outbreak_session" in r.cookies or client.cookies.get("outbreak_session")


def test_pages_redirect_to_login(client: TestClient) -> None:
    for path in ("/", "/cases"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_login_failure_is_shown_in_the_chosen_language(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("kim", Role.INVESTIGATOR)
    r = client.post(
        "/login?lang=ko", data={"username": "kim", "password": "nope-nope-nope"}
    )
    assert r.status_code == 401 and "틀렸습니다" in r.text
    r = client.post(
        "/login?lang=en", data={"username": "kim", "password": "nope-nope-nope"}
    )
    assert "Incorrect username or password" in r.text


def test_overview_map_and_language_switch(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("admin", Role.ADMIN)
    headers = login(client, "admin")
    new_case(client, headers, new_person(client, headers, "010-5000-0001"))
    sign_in(client, "admin")
    ko = client.get("/?lang=ko")
    assert ko.status_code == 200 and '<html lang="ko">' in ko.text
    assert ko.text.count('class="district"') == 25
    assert 'data-code="11230" data-value="1"' in ko.text
    assert "지역별 격리 중 확진자" in ko.text and "강남구" in ko.text
    en = client.get("/")  # the language cookie now says ko; switch:
    assert '<html lang="ko">' in en.text
    en = client.get("/?lang=en")
    assert "Active cases by district" in en.text and "Gangnam-gu" in en.text
    assert '<html lang="en">' in client.get("/").text  # remembered
    korea = client.get("/?region=korea")
    assert korea.text.count('class="district"') == 251
    assert "cdn" not in ko.text.lower() and "https://" not in ko.text


def test_case_list_is_scoped(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("admin", Role.ADMIN)
    headers = login(client, "admin")
    new_case(client, headers, new_person(client, headers, "010-5000-0002"))
    new_case(
        client, headers, new_person(client, headers, "010-5000-0003", "11240"), "11240"
    )
    make_user("gangnam", Role.INVESTIGATOR, scopes=("11230",))
    sign_in(client, "gangnam")
    page = client.get("/cases?lang=en").text
    assert "Gangnam-gu" in page and "Songpa-gu" not in page
    assert "1–1 of 1" in page
    make_user("analyst", Role.ANALYST)
    sign_in(client, "analyst")
    assert client.get("/cases").status_code == 403
    assert client.get("/").status_code == 200  # aggregates are fine


def test_static_assets_and_docs_ship_with_the_package(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200
    docs = client.get("/docs")
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert "cdn" not in docs.text.lower()
    assert client.get("/openapi.json").json()["paths"]["/api/v1/cases"]
