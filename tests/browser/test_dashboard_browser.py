"""A real Chromium against a real server: log in, switch language, see the map."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from outbreak.demo import DEMO_PASSWORD, load_demo
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker, session_scope
from outbreak.testing import TemplateDatabases, test_settings
from outbreak.web import create_app

CHROMIUM = os.environ.get("OUTBREAK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_in(
    browser: object, server: str, username: str, *, locale: str = "ko-KR"
) -> tuple[object, list[str]]:
    """A new page logged in as ``username``, on the page the login leads to, and the
    list its page errors and failed requests go to (a test ends by asserting it is
    empty). The landing page has loaded on return: a caller's next ``goto`` would
    otherwise abort it, and the aborted request would count as a failure."""
    page = browser.new_page(locale=locale)  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("button[type=submit]")
    return page, errors


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` on a free loopback port in a thread, for as long as the block runs."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("browser")
    settings = test_settings(workdir)
    dbs = TemplateDatabases(workdir)
    engine = make_engine(dbs.sqlite_url())
    keys = Keys(pseudonym_key="p" * 32, data_key="d" * 32)
    with session_scope(make_sessionmaker(engine)) as session:
        load_demo(session, keys, today=date.today(), scale=0.05)
    with served(create_app(settings, engine=engine)) as url:
        yield url
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_login_switch_language_and_see_the_map(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page(locale="ko-KR")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(f"{server}/")
    assert page.url.startswith(f"{server}/login")
    assert page.locator("h1").inner_text() == "로그인"
    page.fill("input[name=username]", "seoul")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#district-map")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "지역별 격리 중 확진자" in page.locator(".map h2").inner_text()
    districts = page.locator("#district-map path.district")
    assert districts.count() == 25
    box = page.locator("#district-map").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    coloured = [
        districts.nth(i).get_attribute("fill") for i in range(districts.count())
    ]
    assert len(set(coloured)) > 2, "the map should be coloured by active cases"

    page.click("#lang-en")
    page.wait_for_selector("#district-map")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Active cases by district" in page.locator(".map h2").inner_text()
    assert "Gangnam-gu" in page.locator("#district-map").inner_html()

    page.click("nav >> text=Cases")
    page.wait_for_selector("#case-table")
    assert page.locator("#case-table tbody tr").count() > 5
    page.screenshot(path=str(tmp_path / "cases.png"))
    assert errors == []


def test_rt_page_draws_charts_offline(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page(locale="en-GB")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(f"{server}/login?lang=en")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server}/rt")
    page.wait_for_selector("#rt-chart .main-svg", timeout=30_000)
    page.wait_for_selector("#projection-chart .main-svg", timeout=30_000)
    assert page.locator("#rt-chart .scatterlayer .trace").count() >= 2  # band + Rt
    assert page.locator("#rt-map path.district").count() == 17
    page.select_option("#region", "22")  # Daegu
    page.click("form.filters button")
    page.wait_for_selector("#rt-chart .main-svg")
    assert "Daegu" in page.locator(".cards").inner_text()
    page.locator('#rt-map path[data-code="11"]').click()  # Seoul, from the map
    page.wait_for_selector("#rt-chart .main-svg")
    assert page.locator("#region").input_value() == "11"
    page.screenshot(path=str(tmp_path / "rt.png"), full_page=True)
    assert errors == []


def test_scenarios_compose_run_and_draw_bands(
    server: str, browser: object, tmp_path: Path
) -> None:
    """An analyst composes a distancing comparison on the page, it runs in the
    server's background, and the page refreshes itself into the bands."""
    page, errors = signed_in(browser, server, "analyst", locale="en-GB")
    page.goto(f"{server}/scenarios?lang=en")  # type: ignore[attr-defined]
    page.select_option("select[name=agents]", "20000")  # type: ignore[attr-defined]
    page.fill("input[name=days]", "40")  # type: ignore[attr-defined]
    page.fill("input[name=seeds]", "2")  # type: ignore[attr-defined]
    page.select_option("#level", "3")  # type: ignore[attr-defined]
    page.check("input[name=closures][value=karaoke]")  # type: ignore[attr-defined]
    page.click("#run")  # type: ignore[attr-defined]
    page.wait_for_selector("#infections-chart .main-svg", timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_selector("#beds-chart .main-svg")  # type: ignore[attr-defined]
    # two scenarios, each a band and a median line
    assert page.locator("#infections-chart .scatterlayer .trace").count() == 4  # type: ignore[attr-defined]
    assert page.locator("#comparison tbody tr").count() >= 8  # type: ignore[attr-defined]
    assert "Done" in page.locator("#state").inner_text()  # type: ignore[attr-defined]
    page.click("#lang-ko")  # type: ignore[attr-defined]
    page.wait_for_selector("#infections-chart .main-svg")  # type: ignore[attr-defined]
    assert "기준 대비 비교" in page.content()  # type: ignore[attr-defined]
    page.screenshot(path=str(tmp_path / "scenario.png"), full_page=True)  # type: ignore[attr-defined]
    assert errors == []
