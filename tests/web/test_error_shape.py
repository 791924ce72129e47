"""Every error category renders the same RFC 9457 shape (style rule 12)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from outbreak.config import Settings
from outbreak.errors import ALL_ERRORS, OutbreakError
from outbreak.store import make_engine
from outbreak.web import create_app
from outbreak.web.errors import install_error_handlers
from tests.web.helpers import assert_problem


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings, engine=make_engine("sqlite://"))

    @app.get("/_raise/{name}")
    def raise_error(name: str) -> None:
        cls = {c.__name__: c for c in ALL_ERRORS}[name]
        raise cls(f"{name} happened", field="thing")

    @app.get("/_query")
    def query(
        limit: Annotated[int, Query(ge=1)], offset: Annotated[int, Query(ge=0)]
    ) -> None:
        """Two validated query parameters."""

    @app.get("/_crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    return app


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_each_category(app: FastAPI, cls: type[OutbreakError]) -> None:
    r = TestClient(app).get(f"/_raise/{cls.__name__}")
    body = assert_problem(r, cls.status, cls.code, field="thing")
    assert body["detail"] == f"{cls.__name__} happened"
    assert body["instance"] == f"/_raise/{cls.__name__}"


def test_unknown_exception_hides_details(app: FastAPI) -> None:
    r = TestClient(app, raise_server_exceptions=False).get("/_crash")
    body = assert_problem(r, 500, "internal_error")
    assert "secret" not in r.text and "errors" not in body


def test_routing_errors_are_problems(app: FastAPI) -> None:
    client = TestClient(app)
    assert_problem(client.get("/no/such/path"), 404, "not_found")
    assert_problem(client.delete("/health"), 405, "method_not_allowed")


def test_validation_lists_every_bad_field(app: FastAPI) -> None:
    r = TestClient(app).get("/_query", params={"limit": "many", "offset": -1})
    body = assert_problem(r, 422, "invalid_input", field="limit")
    assert [e["field"] for e in body["errors"]] == ["limit", "offset"]
    assert body["errors"][0]["value"] == "many"


def test_handlers_install_on_a_bare_app() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x")
    def x() -> None:
        raise OutbreakError("root")

    assert_problem(TestClient(app).get("/x"), 500, "error")


def test_missing_field_has_no_value(app: FastAPI) -> None:
    body = assert_problem(TestClient(app).get("/_query"), 422, "invalid_input", "limit")
    assert body["detail"] == "Invalid value for limit: Field required"
    assert "value" not in body["errors"][0]
