"""A real Chromium: a citizen checks a Takeout file on the public page (nothing is
uploaded), and a communicator publishes an exposure place from the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outbreak.disclose import snapshot as snap
from outbreak.disclose.public import PublishedItem, public_exposure
from outbreak.ingest import MovementStore
from outbreak.testing import test_settings
from outbreak.trace.registry import Households
from outbreak.trace.service import TraceContext
from outbreak.web import create_app, create_public_app
from outbreak.web import public_site as site_module
from tests.browser.test_dashboard_browser import browser, served
from tests.disclose.conftest import NOW, World, kst
from tests.disclose.takeout import Point, Stay, records_json, semantic_json
from tests.web.helpers import PASSWORD

__all__ = ["browser"]
pytestmark = pytest.mark.browser
LAT, LON = 37.50012, 127.03011
GANGNAM = ("강남구", "Gangnam-gu", "서울특별시", "Seoul")


def _item(
    pid: str, place: int, lat: float, lon: float, h0: int, h1: int
) -> PublishedItem:
    e = public_exposure(
        public_id=pid,
        district_code="11230",
        names=GANGNAM,
        kind="restaurant",
        name=f"식당 {pid}",
        address="서울특별시 강남구 테헤란로 1",
        lat=lat,
        lon=lon,
        start=kst(4, h0),
        end=kst(4, h1),
        disinfected=False,
    )
    return PublishedItem(
        e, f"p{place}", NOW + timedelta(days=3650)
    )  # public for the test


@pytest.fixture
def public_site(tmp_path: Path) -> Iterator[str]:
    settings = test_settings(tmp_path, public_dir=tmp_path / "public")
    clinic = {
        "name": "강남구보건소",
        "address": "서울특별시 강남구 선릉로 668 (삼성동)",
        "phone": "02-3423-5555",
        "district_code": "11230",
        "lat": 37.5164,
        "lon": 127.0475,
    }
    items = [
        _item("aaaa000000000001", 1, LAT, LON, 12, 14),  # where the citizen was
        _item("bbbb000000000002", 2, 37.6, 127.1, 12, 14),  # elsewhere
        _item("cccc000000000003", 3, LAT, LON + 0.0001, 18, 19),  # there, later
    ]
    snap.write(settings.public_path, snap.build(items, [], [clinic], now=NOW))
    with served(create_public_app(settings)) as url:
        yield url


@pytest.mark.parametrize("kind", ["records", "semantic"])
def test_a_takeout_file_is_matched_in_the_browser_and_never_uploaded(
    public_site: str, browser: object, tmp_path: Path, kind: str
) -> None:
    if kind == "records":
        data = records_json([Point(LAT, LON, kst(4, 12, m)) for m in range(0, 50, 5)])
    else:
        data = semantic_json([Stay(LAT, LON, kst(4, 12, 30), kst(4, 13, 15), "식당")])
    history = tmp_path / ("Records.json" if kind == "records" else "2020_MAY.json")
    history.write_bytes(data)
    page = browser.new_page(locale="en-US")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent: list[tuple[str, str, object]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data)))
    page.goto(f"{public_site}/public/self-check?lang=en")
    page.wait_for_load_state("networkidle")
    before = len(sent)
    page.set_input_files("#history-file", str(history))
    page.wait_for_selector(".selfcheck-match")
    matches = page.locator(".selfcheck-match")
    assert matches.count() == 1
    assert matches.first.get_attribute("data-exposure-id") == "aaaa000000000001"
    text = matches.first.inner_text()
    assert "12:" in text and "강남구보건소" in text  # the overlap, the nearest clinic
    # the network log: the page, its script and the published lists, all GETs
    # without a body; once the file is chosen, nothing at all
    urls = [u for _, u, _ in sent]
    assert any("/public/api/v1/exposures" in u for u in urls[:before])
    assert all(m == "GET" and body is None for m, _, body in sent), sent
    assert all(u.startswith(public_site) for u in urls), urls
    assert sent[before:] == []
    assert not errors


def test_a_bad_file_says_so_and_sends_nothing(
    public_site: str, browser: object, tmp_path: Path
) -> None:
    bad = tmp_path / "Records.json"
    bad.write_text('{"locations": [{"latitudeE7": "north"}]}')
    page = browser.new_page(locale="ko-KR")  # type: ignore[attr-defined]
    page.goto(f"{public_site}/public/self-check")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.method) if r.method != "GET" else 0)
    page.set_input_files("#history-file", str(bad))
    page.wait_for_function(
        "document.getElementById('selfcheck-status').textContent.length > 0"
    )
    assert page.locator(".selfcheck-match").count() == 0
    assert page.locator("#selfcheck-status").inner_text().strip()
    assert not posted


@pytest.fixture
def staff_site(
    world: World,
    engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    monkeypatch.setattr(site_module, "STAT_EVERY_S", 0.0)  # see each publication
    settings = test_settings(tmp_path, public_dir=tmp_path / "public")
    app = create_app(settings, engine=engine)
    app.state.clock = lambda: NOW
    app.state.trace = TraceContext(
        store=MovementStore(tmp_path / "movement"),
        places=world.places,
        households=Households.empty(),
        keys=world.keys,
    )
    world.investigation([(1, kst(4, 12, 3), kst(4, 13, 7)), (4, kst(4, 21), kst(5, 8))])
    with served(app) as url:
        yield url


def test_a_communicator_publishes_from_the_dashboard(
    staff_site: str, browser: object
) -> None:
    page = browser.new_page(locale="en-US")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{staff_site}/login")
    page.fill("input[name=username]", "choi")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{staff_site}/disclosure?lang=en")
    page.click("#derive")
    page.wait_for_selector("#dis-done")
    rows = page.locator("tr[data-state=proposed]")
    assert rows.count() == 1 and "행복식당" in rows.first.inner_text()
    page.click("#tab-withheld")
    assert "Residence" in page.locator("table.disclosures").inner_text()
    page.click("#tab-proposed")
    page.check("tr[data-state=proposed] input[name=entry_ids]")
    page.click("#publish")
    page.wait_for_selector("#dis-done")
    page.goto(f"{staff_site}/public/exposures?lang=en")
    listed = page.locator("tr.exposure")
    assert listed.count() == 1 and "행복식당" in listed.first.inner_text()
    assert page.locator("#exposure-map circle.exposure").count() == 1
    assert not errors
