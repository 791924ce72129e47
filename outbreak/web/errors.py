"""The one mapping from exceptions to RFC 9457 ``application/problem+json``.

Every error response has ``type, title, status, detail, instance, code``; validation
errors add ``errors[]`` with one ``{field, message}`` per bad value, and ``field``
names the first. Unknown exceptions become a bare 500; their details go to the log.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from outbreak.errors import NotAuthenticated, OutbreakError, named_field

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:outbreak:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if errors:
        body["errors"] = errors
        body["field"] = errors[0]["field"]
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "confirmed_on") -> "confirmed_on"; ("query", "limit") -> "limit"
    parts = [
        str(p) for p in loc if p not in ("body", "query", "path", "header", "form")
    ]
    return ".".join(parts) or "body"


async def _outbreak_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OutbreakError)
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    headers = (
        {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    )
    if exc.status >= 500:
        log.error("%s at %s: %s", exc.code, request.url.path, exc.message)
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        detail=exc.message,
        errors=errors,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        field = _field(err["loc"])
        inner, message = named_field(str(err["msg"]))
        if inner is not None:
            field = inner if field == "body" else f"{field}.{inner}"
        entry: dict[str, Any] = {"field": field, "message": message}
        if "input" in err and isinstance(err["input"], str | int | float | bool):
            entry["value"] = err["input"]
        errors.append(entry)
    first = errors[0]
    detail = f"Invalid value for {first['field']}: {first['message']}"
    if "value" in first:
        detail += f" (got {first['value']!r})"
    return problem(
        request, status=422, code="invalid_input", detail=detail, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return problem(
        request,
        status=exc.status_code,
        code=code,
        detail=str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("Unhandled error at %s", request.url.path, exc_info=exc)
    return problem(
        request,
        status=500,
        code="internal_error",
        detail="An unexpected error occurred; it has been logged.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(OutbreakError, _outbreak_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
