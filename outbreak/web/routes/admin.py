"""Login, users, API keys, audit log, districts and health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import AwareDatetime

from outbreak import __version__, auth
from outbreak.audit import AuditFields, verify
from outbreak.auth import Permission, authorize
from outbreak.cases.links import active_cases_by_district
from outbreak.errors import NotAuthenticated, NotFound
from outbreak.store import check_database, current_revision
from outbreak.store.queries import audit as audit_queries
from outbreak.store.queries import geo as geo_queries
from outbreak.store.queries import users as user_queries
from outbreak.web.deps import (
    AccessDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    page_of,
)
from outbreak.web.schemas.admin import (
    ApiKeyCreate,
    ApiKeyIssued,
    AuditEntryPublic,
    AuditVerifyPublic,
    DistrictCount,
    DistrictPublic,
    Health,
    Token,
    UserCreate,
    UserPublic,
)
from outbreak.web.schemas.common import Page

router = APIRouter(prefix="/api/v1")


def login(
    session: SessionDep, settings: SettingsDep, username: str, password: str
) -> str:
    """Check credentials, audit the attempt, and issue a token."""
    try:
        principal = auth.authenticate(session, username, password)
    except NotAuthenticated:
        session.rollback()
        audit_queries.append_entry(
            session=session,
            fields=AuditFields(
                username, "-", "auth.login", "user", username, "login", "denied"
            ),
        )
        session.commit()
        raise
    audit_queries.append_entry(
        session=session,
        fields=AuditFields(
            username,
            principal.role_label,
            "auth.login",
            "user",
            username,
            "login",
            "allowed",
        ),
    )
    return auth.issue_token(
        username,
        secret=settings.secret_key.get_secret_value(),
        lifetime_min=settings.token_lifetime_min,
    )


@router.post("/auth/token", response_model=Token, tags=["auth"])
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> object:
    """OAuth2 password flow: trade a username and password for a bearer token."""
    access_token = login(session, settings, form.username, form.password)
    return Token(access_token=access_token, expires_in=settings.token_lifetime_min * 60)


def _user_public(session: SessionDep, username: str) -> UserPublic:
    principal = auth.principal_for(session, username)
    return UserPublic(
        username=principal.username,
        roles=sorted(principal.roles),
        scopes=sorted(principal.scopes),
    )


@router.get("/me", response_model=UserPublic, tags=["auth"])
def me(principal: PrincipalDep) -> object:
    """The caller's roles and scopes."""
    return UserPublic(
        username=principal.username,
        roles=sorted(principal.roles),
        scopes=sorted(principal.scopes),
    )


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    tags=["users"],
)
def create_user(body: UserCreate, access: AccessDep) -> object:
    """Create a user (admin)."""
    access.check(Permission.USER_MANAGE, subject_type="user", subject_id=body.username)
    auth.create_user(access.session, **body.model_dump())
    return _user_public(access.session, body.username)


@router.get("/users", response_model=Page[UserPublic], tags=["users"])
def list_users(session: SessionDep, principal: PrincipalDep, page: PageDep) -> object:
    """Users (admin)."""
    authorize(principal, Permission.USER_MANAGE)
    rows, count = user_queries.list_users(
        session=session, limit=page.limit, offset=page.offset
    )
    users = [_user_public(session, row.username) for row in rows]
    return page_of(users, count, page)


@router.post(
    "/users/{username}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyIssued,
    tags=["users"],
)
def create_api_key(username: str, body: ApiKeyCreate, access: AccessDep) -> object:
    """Issue an API key acting as ``username`` (admin). The key is shown once."""
    access.check(
        Permission.USER_MANAGE,
        subject_type="user",
        subject_id=username,
        detail=f"api key {body.name!r}",
    )
    key = auth.create_api_key(access.session, username=username, name=body.name)
    return ApiKeyIssued(name=body.name, key=key)


@router.get("/audit", response_model=Page[AuditEntryPublic], tags=["audit"])
def list_audit(
    access: AccessDep,
    page: PageDep,
    actor: str | None = None,
    subject_id: str | None = None,
    since: AwareDatetime | None = None,
) -> object:
    """Audit entries, newest first (reading them is itself audited)."""
    access.check(Permission.AUDIT_READ, subject_type="audit", subject_id="list")
    rows, count = audit_queries.list_entries(
        session=access.session,
        actor=actor,
        subject_id=subject_id,
        since=since,
        limit=page.limit,
        offset=page.offset,
    )
    return page_of(rows, count, page)


@router.get("/audit/verify", response_model=AuditVerifyPublic, tags=["audit"])
def verify_audit(access: AccessDep) -> object:
    """Check the whole hash chain for edited, deleted or inserted entries."""
    access.check(Permission.AUDIT_READ, subject_type="audit", subject_id="verify")
    report = verify(access.session)
    return AuditVerifyPublic(
        ok=report.ok,
        count=report.count,
        head_hash=report.head_hash,
        problems=[str(p) for p in report.problems],
    )


@router.get("/districts", response_model=Page[DistrictPublic], tags=["districts"])
def list_districts(
    session: SessionDep,
    _principal: PrincipalDep,
    page: PageDep,
    level: Annotated[str | None, Query(pattern="^(sido|sigungu)$")] = None,
    parent_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> object:
    """Provinces and municipalities with their official codes."""
    rows = geo_queries.list_districts(
        session=session, level=level, parent_code=parent_code
    )
    return page_of(rows[page.offset : page.offset + page.limit], len(rows), page)


@router.get("/districts/{code}", response_model=DistrictPublic, tags=["districts"])
def get_district(code: str, session: SessionDep, _principal: PrincipalDep) -> object:
    """One district."""
    row = geo_queries.get_district(session=session, code=code)
    if row is None:
        raise NotFound(
            f"Unknown district code {code!r}; see GET /api/v1/districts", field="code"
        )
    return row


@router.get(
    "/stats/active-cases", response_model=list[DistrictCount], tags=["districts"]
)
def active_cases(
    session: SessionDep,
    principal: PrincipalDep,
    parent_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> object:
    """Active cases per municipality (an aggregate with no personal data)."""
    counts = active_cases_by_district(session, principal)
    rows = geo_queries.list_districts(
        session=session, level="sigungu", parent_code=parent_code
    )
    return [
        DistrictCount(
            code=r.code,
            name_ko=r.name_ko,
            name_en=r.name_en,
            active_cases=counts.get(r.code, 0),
        )
        for r in rows
    ]


health_router = APIRouter(tags=["health"])


@health_router.get("/health", response_model=Health)
def health(request: Request) -> object:
    """Liveness and database reachability (no authentication)."""
    engine = request.app.state.engine
    check_database(engine)
    return Health(
        status="ok",
        database=engine.dialect.name,
        schema_revision=current_revision(engine),
        version=__version__,
    )
