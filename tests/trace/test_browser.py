"""A real Chromium on the investigation pages of a served demo city."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from outbreak.demo import load_demo
from outbreak.quarantine.demo import load_quarantine
from outbreak.store import make_engine, make_sessionmaker, session_scope
from outbreak.testing import TemplateDatabases, test_settings
from outbreak.trace.demo import load_investigations
from outbreak.trace.service import TraceContext
from outbreak.web import create_app
from tests.browser.test_dashboard_browser import browser, served, signed_in
from tests.trace.conftest import City

__all__ = ["browser"]
pytestmark = pytest.mark.browser


@contextmanager
def demo_city_server(
    city: City, ctx: TraceContext, tmp_path: Path, *, quarantine: bool = False
) -> Iterator[str]:
    """The demo (epidemic, investigations, optionally self-quarantine) on the test
    city, served on loopback."""
    settings = test_settings(
        tmp_path, parquet_dir=city.store.root.parent, registry_dir=city.root / "city"
    )
    engine = make_engine(TemplateDatabases(tmp_path).sqlite_url())
    with session_scope(make_sessionmaker(engine)) as session:
        load_demo(session, city.keys, today=date.today(), scale=0.01)
    with session_scope(make_sessionmaker(engine)) as session:
        opened = load_investigations(
            session, ctx, city.root / "city" / "people", last_day=date(2020, 5, 5)
        )
    assert opened == 3
    if quarantine:
        with session_scope(make_sessionmaker(engine)) as session:
            assert load_quarantine(session, city.keys) >= 3
    with served(create_app(settings, engine=engine)) as url:
        yield url
    engine.dispose()


@pytest.fixture
def server(city: City, ctx: TraceContext, tmp_path: Path) -> Iterator[str]:
    with demo_city_server(city, ctx, tmp_path) as url:
        yield url


def test_investigation_page_shows_route_contacts_and_chain(
    server: str, browser: object, tmp_path: Path
) -> None:
    page, errors = signed_in(browser, server, "seoul")
    page.click("nav >> text=역학조사")
    page.wait_for_selector("#investigations-table")
    assert page.locator("#investigations-table tbody tr").count() == 3
    page.locator("#investigations-table a").last.click()
    page.wait_for_selector("#route-map")
    stays = page.locator("#route-map g.stay")
    assert stays.count() >= 2
    assert page.locator("#route-table tbody tr").count() == stays.count()
    assert page.locator("#contacts-table tbody tr").count() >= 1
    assert "승인" in page.locator("#requests-table").inner_text()
    box = page.locator("#route-map").bounding_box()
    assert box is not None and box["width"] > 300
    page.screenshot(path=str(tmp_path / "investigation.png"), full_page=True)
    # the index case's closest contacts were traced in turn: their contacts are listed
    page.click("nav >> text=역학조사")
    links = page.locator("#investigations-table a").all()
    hrefs = [a.get_attribute("href") for a in links]
    with_second = []
    for href in hrefs:
        page.goto(f"{server}{href}")
        rows = page.locator("#second-degree-table tbody tr")
        if rows.count():
            with_second.append(href)
            assert "2차" in rows.first.inner_text()
            assert "접촉자" in page.locator("#requests-table").inner_text()
    assert len(with_second) == 1
    page.click("#lang-en")
    page.wait_for_selector("#route-map")
    assert page.locator("h1").inner_text().startswith("Investigation")
    assert "Approved" in page.locator("#requests-table").inner_text()
    page.click("nav >> text=Chains")
    page.wait_for_selector("#chain-graph")
    assert page.locator("#chain-graph g.case-node").count() == 3
    assert page.locator("#chain-graph line.link").count() >= 1
    assert page.locator("#clusters-table tbody tr").count() >= 1
    assert "-gu" in page.locator("#districts-table").inner_text()  # district names
    page.screenshot(path=str(tmp_path / "network.png"), full_page=True)
    assert errors == []
    # the data approver decides the request the demo left pending, on the page
    page, errors = signed_in(browser, server, "approver")
    page.goto(f"{server}{with_second[0]}?lang=en")
    form = page.locator("form.decide")
    assert form.count() == 1
    form.locator("input[name=note]").fill("gaps checked")
    form.locator("button[value=approve]").click()
    page.wait_for_selector("#action-result")
    assert page.locator("#action-result").inner_text() == "Request approved."
    assert page.locator("form.decide").count() == 0
    assert errors == []
    # the investigator asks for more data on the page; a short reason is refused
    page, errors = signed_in(browser, server, "seoul")
    page.goto(f"{server}{with_second[0]}?lang=en")
    page.click("#workflow summary")
    form = page.locator("#request-data")
    form.locator("select[name=source]").select_option("card")
    form.locator("input[name=reason]").fill("card payments near the cluster venue")
    form.locator("button").click()
    page.wait_for_selector("#action-result")
    assert "Data requested" in page.locator("#action-result").inner_text()
    assert "Pending" in page.locator("#requests-table tbody tr").last.inner_text()
    assert errors == []
