"""Helpers for API tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def login(
    client: TestClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    """Bearer headers for ``username``."""
    r = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def assert_problem(response, status: int, code: str, field: str | None = None) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Check an RFC 9457 problem+json response and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(body)
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:outbreak:error:{code}"
    if field is not None:
        assert body["field"] == field, body
        assert any(e["field"] == field for e in body["errors"])
    return body
