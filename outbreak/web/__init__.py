"""Web: the FastAPI app (REST API, OpenAPI docs, dashboard) and the public site."""

from outbreak.web.app import create_app, create_public_app

__all__ = ["create_app", "create_public_app"]
