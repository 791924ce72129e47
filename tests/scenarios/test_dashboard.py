"""The scenario pages: compose and run a comparison, see its bands and tables, in
Korean and English; refusals shown on the page."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from outbreak.auth import Principal
from outbreak.types import Role
from tests.web.test_dashboard import sign_in


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


FORM = {
    "name": "December", "kind": "city", "agents": "2000", "start_date": "2020-11-16",
    "days": "30", "seeds": "2", "base": "1.5", "level": "3",
    "level_from": "2020-11-26", "closures": ["karaoke", "church"], "tti": "true",
}  # fmt: skip


def test_compose_run_and_compare(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("analyst", Role.ANALYST)
    sign_in(client, "analyst")
    page = client.get("/scenarios?lang=en").text
    assert "Compose a scenario" in page and 'id="levels"' in page
    r = client.post("/scenarios?lang=en", data={"csrf": _csrf(page), **FORM})
    assert r.status_code == 200 and "/scenarios/" in str(r.url)
    html = r.text
    assert 'id="infections-chart"' in html and 'id="beds-chart"' in html
    assert "Compared with the baseline" in html and "Peak ICU beds" in html
    assert "level 3" in html and "level 1.5" in html
    assert 'id="districts"' in html and "강남구" in html  # the city's districts
    assert ".parquet" in html
    run_url = str(r.url).split("?")[0]
    korean = client.get(run_url + "?lang=ko").text
    assert "기준 대비 비교" in korean and "최대 중환자 병상 수요" in korean
    listing = client.get("/scenarios?lang=en").text
    assert "December" in listing and "Done" in listing


def test_refusals_are_shown(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("analyst", Role.ANALYST)
    sign_in(client, "analyst")
    page = client.get("/scenarios?lang=en").text
    bad = {**FORM, "level_from": "2020-11-01"}  # before the start
    r = client.post("/scenarios?lang=en", data={"csrf": _csrf(page), **bad})
    assert 'id="error"' in r.text and "before the study starts" in r.text
    r = client.post("/scenarios?lang=en", data={"csrf": "0" * 64, **FORM})
    assert "expired" in r.text
    make_user("officer", Role.QUARANTINE_OFFICER)
    client.cookies.clear()
    sign_in(client, "officer")
    page = client.get("/scenarios?lang=en").text
    assert 'id="compose"' not in page  # may read runs, not start them
    make_user("pharm", Role.PHARMACIST)
    client.cookies.clear()
    sign_in(client, "pharm")
    assert client.get("/scenarios").status_code == 403
