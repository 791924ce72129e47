"""A real Chromium on the officer's worklist: acting on an alert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outbreak.trace.service import TraceContext
from tests.browser.test_dashboard_browser import browser, signed_in
from tests.trace.conftest import City
from tests.trace.test_browser import demo_city_server

__all__ = ["browser"]
pytestmark = pytest.mark.browser


@pytest.fixture
def server(city: City, ctx: TraceContext, tmp_path: Path) -> Iterator[str]:
    with demo_city_server(city, ctx, tmp_path, quarantine=True) as url:
        yield url


def test_officer_acknowledges_an_alert_from_the_worklist(
    server: str, browser: object, tmp_path: Path
) -> None:
    page, errors = signed_in(browser, server, "officer")
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
