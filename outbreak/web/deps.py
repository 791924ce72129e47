"""Request dependencies: settings, database session, caller, access context."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal, principal_for, principal_for_api_key, read_token
from outbreak.config import Settings
from outbreak.errors import NotAuthenticated
from outbreak.privacy import Keys
from outbreak.store import session_scope

SESSION_COOKIE = "outbreak_session"
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_keys(request: Request) -> Keys:
    """The deployment's pseudonymisation and encryption keys."""
    keys: Keys = request.app.state.keys
    return keys


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, else rolled back."""
    with session_scope(request.app.state.sessions) as session:
        yield session


def get_now(request: Request) -> datetime:
    """The current time: the app's ``state.clock`` if one is set (tests, replays)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
KeysDep = Annotated[Keys, Depends(get_keys)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from a bearer token, an API key or the dashboard cookie."""
    if api_key:
        return principal_for_api_key(session, api_key)
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated(
            "Not authenticated: send 'Authorization: Bearer <token>' (from "
            "POST /api/v1/auth/token) or 'X-API-Key'"
        )
    username = read_token(token, secret=settings.secret_key.get_secret_value())
    return principal_for(session, username)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_access(
    session: SessionDep,
    principal: PrincipalDep,
    x_purpose: Annotated[
        str | None,
        Header(
            description="Why personal data is accessed; written to the audit log. "
            "Defaults to 'case management'."
        ),
    ] = None,
) -> Access:
    """The caller acting for a stated purpose, for services that touch personal data."""
    return Access(session, principal, x_purpose or "case management")


AccessDep = Annotated[Access, Depends(get_access)]


class PageParams:
    """``limit`` and ``offset`` query parameters, bounded by settings."""

    def __init__(
        self,
        settings: SettingsDep,
        limit: Annotated[int, Query(ge=1, description="Page size.")] = 50,
        offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
    ) -> None:
        self.limit = min(limit, settings.page_size_max)
        self.offset = offset


PageDep = Annotated[PageParams, Depends()]


def page_of(rows: Sequence[object], count: int, page: PageParams) -> dict[str, object]:
    """The body of a list response; its ``response_model`` allowlists the rows."""
    return {"data": rows, "count": count, "limit": page.limit, "offset": page.offset}
