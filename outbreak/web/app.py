"""The app factory: ``create_app(settings)`` builds the API and the dashboard."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
import sqlalchemy as sa
import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outbreak import __version__
from outbreak.config import Settings
from outbreak.errors import Unavailable
from outbreak.ingest.store import MovementStore
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.web.dashboard import (
    disclose_views,
    quarantine_views,
    rt_views,
    scenario_views,
    trace_views,
    views,
)
from outbreak.web.errors import install_error_handlers
from outbreak.web.public_site import PublicSite
from outbreak.web.routes import (
    admin,
    cases,
    disclose,
    en,
    model,
    movement,
    public,
    quarantine,
    scenarios,
    trace,
)

log = logging.getLogger(__name__)
# The dashboard loads nothing from elsewhere: a strict policy costs nothing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
DOCS_CSP = "default-src 'self' 'unsafe-inline' data:"


def create_app(settings: Settings, *, engine: sa.Engine | None = None) -> FastAPI:
    """The outbreak web app for ``settings`` (tests may inject an ``engine``)."""
    app = FastAPI(
        title="outbreak",
        version=__version__,
        description="Open-source Test-Trace-Treat epidemic response. Errors are "
        "RFC 9457 problem+json; every access to personal data is audited.",
        docs_url=None,
        redoc_url=None,
        lifespan=_threads(settings.serve_threads),
    )
    engine = engine or make_engine(settings.db_url, pool_size=settings.db_pool_size)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.movement = MovementStore(settings.parquet_path / "movement")
    app.state.keys = Keys(
        pseudonym_key=settings.pseudonym_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
    )
    install_error_handlers(app)
    # The routes the public and the citizens' apps hit come first: a request is
    # matched against the routes in order, and each check costs (measured: the
    # app's reports behind ~70 staff routes spent 1.5 ms a request matching).
    app.include_router(quarantine.app_router)
    _install_public(app, settings)
    app.include_router(en.router)
    app.include_router(admin.health_router)
    app.include_router(admin.router)
    app.include_router(cases.router)
    app.include_router(model.router)
    app.include_router(scenarios.router)
    app.include_router(movement.router)
    app.include_router(trace.router)
    app.include_router(quarantine.router)
    app.include_router(disclose.router)
    app.include_router(views.router)
    app.include_router(rt_views.router)
    app.include_router(trace_views.router)
    app.include_router(quarantine_views.router)
    app.include_router(disclose_views.router)
    app.include_router(scenario_views.router)
    _install_docs(app)  # before /static: its mount would shadow /static/swagger
    _install_static(app)
    app.add_middleware(SecurityHeaders)
    return app


def create_public_app(settings: Settings) -> FastAPI:
    """The public site alone: exposure places, feeds, the self-check and the
    exposure-key exports — served from the public directory, with no database.

    Run it (``outbreak serve --public``) on as many hosts and workers as the load
    needs; publishing rewrites the files it reads.
    """
    app = FastAPI(
        title="outbreak public site",
        version=__version__,
        description="Published exposure places and exposure-notification key "
        "exports. No login, no personal data.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    _install_public(app, settings)
    _install_docs(app)
    _install_static(app)
    app.add_middleware(SecurityHeaders)
    return app


def _install_public(app: FastAPI, settings: Settings) -> None:
    site = PublicSite(
        settings.public_path,
        clock=lambda: getattr(app.state, "clock", _utcnow)(),
    )
    with contextlib.suppress(Unavailable):  # 503s until a good snapshot arrives
        site.current()  # read the snapshot now, not on the first request
    app.state.public_site = site
    app.include_router(public.router)
    app.include_router(en.public_router)


def _threads(n: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that runs blocking requests on ``n`` threads."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = n
        yield

    return lifespan


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _install_static(app: FastAPI) -> None:
    app.mount(
        "/static",
        StaticFiles(directory=Path(views.__file__).parent / "static"),
        name="static",
    )


class SecurityHeaders:
    """Adds the security headers to every response: a plain ASGI middleware (the
    ``@app.middleware`` kind wraps each response in a stream and costs ~1 ms)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = SECURITY_HEADERS
        if scope["path"] == "/docs":
            extra = {**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _install_docs(app: FastAPI) -> None:
    """Swagger UI served from the package (swagger-ui-bundle-v2): no CDN."""
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="outbreak API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )
