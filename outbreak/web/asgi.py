"""Server processes: ASGI factories for servers that start their own workers
(``uvicorn --factory``; each worker builds its app from the environment's settings),
and the garbage-collector tuning every server process gets."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from outbreak.config import get_settings
from outbreak.web.app import create_app, create_public_app

# Young-generation collections every 50,000 allocations instead of 700: a request
# allocates thousands of short-lived objects, and each full collection walks the
# whole heap of a loaded app (measured on bench/quarantine.py: p99 136 ms -> 38 ms).
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc() -> None:
    """Move what is loaded so far (modules, the app, its routes) out of the
    collector's sight and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main_app() -> FastAPI:
    """The API and dashboard."""
    app = create_app(get_settings())
    tune_gc()
    return app


def public_app() -> FastAPI:
    """The public site alone (no database)."""
    app = create_public_app(get_settings())
    tune_gc()
    return app
