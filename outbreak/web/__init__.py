"""Web: the FastAPI app (REST API, OpenAPI docs, dashboard)."""

from outbreak.web.app import create_app

__all__ = ["create_app"]
