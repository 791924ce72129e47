"""ASGI factories for servers that start their own workers (``uvicorn --factory``):
each worker builds its app from the environment's settings."""

from __future__ import annotations

from fastapi import FastAPI

from outbreak.config import get_settings
from outbreak.web.app import create_app, create_public_app


def main_app() -> FastAPI:
    """The API and dashboard."""
    return create_app(get_settings())


def public_app() -> FastAPI:
    """The public site alone (no database)."""
    return create_public_app(get_settings())
