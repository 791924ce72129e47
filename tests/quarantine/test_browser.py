"""A real Chromium on the officer's worklist: acting on an alert."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from outbreak.demo import DEMO_PASSWORD, load_demo
from outbreak.quarantine.demo import load_quarantine
from outbreak.store import make_engine, make_sessionmaker, session_scope
from outbreak.testing import TemplateDatabases, test_settings
from outbreak.trace.demo import load_investigations
from outbreak.trace.service import TraceContext
from outbreak.web import create_app
from tests.browser.test_dashboard_browser import _free_port, browser
from tests.trace.conftest import City

__all__ = ["browser"]
pytestmark = pytest.mark.browser


@pytest.fixture
def server(city: City, ctx: TraceContext, tmp_path: Path) -> Iterator[str]:
    settings = test_settings(
        tmp_path, parquet_dir=city.store.root.parent, registry_dir=city.root / "city"
    )
    engine = make_engine(TemplateDatabases(tmp_path).sqlite_url())
    with session_scope(make_sessionmaker(engine)) as session:
        load_demo(session, city.keys, today=date.today(), scale=0.01)
    with session_scope(make_sessionmaker(engine)) as session:
        load_investigations(
            session, ctx, city.root / "city" / "people", last_day=date(2020, 5, 5)
        )
    with session_scope(make_sessionmaker(engine)) as session:
        assert load_quarantine(session, city.keys) >= 3
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine=engine), port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_officer_acknowledges_an_alert_from_the_worklist(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page(locale="ko-KR")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=자가격리")
    page.click("#q-all")
    page.wait_for_selector("#worklist")
    rows = page.locator("#worklist tbody tr")
    assert rows.count() >= 3
    # riskiest first: the rows with alerts lead
    assert "has-alert" in (rows.first.get_attribute("class") or "")
    forms = page.locator("#worklist form.ack")
    before = forms.count()
    assert before >= 2
    assert "이탈" in page.locator("#worklist").inner_text()  # someone left home
    page.screenshot(path=str(tmp_path / "worklist.png"), full_page=True)
    forms.first.locator("input[name=note]").fill("전화 확인: 귀가 조치")
    forms.first.locator("button").click()
    page.wait_for_selector("#worklist")
    assert page.locator("#worklist form.ack").count() == before - 1
    assert page.locator("#district-stats tbody tr").count() >= 1
    # bulk: ask two people to get tested
    boxes = page.locator("#worklist input[name=order_ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("select[name=action]", "test")
    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-result")
    assert "2건 처리, 0건 거부" in page.locator("#bulk-result").inner_text()
    # the order page: timeline without positions, in Korean and English
    page.locator("#worklist a").first.click()
    page.wait_for_selector("#timeline")
    assert page.locator("#timeline tbody tr").count() >= 1
    page.click("#lang-en")
    page.wait_for_selector("#timeline")
    assert "Reports" in page.content() and "Order" in page.locator("h1").inner_text()
    assert errors == []
