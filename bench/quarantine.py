"""Benchmark: the citizen app's reports through the HTTP API, on PostgreSQL.

    python bench/quarantine.py           # 100,000 active orders (the issue's size)
    python bench/quarantine.py --smoke   # tiny, for CI

A fresh PostgreSQL database (127.0.0.1:5432) gets ``--orders`` active orders; a
server (uvicorn, ``--workers`` processes, httptools and uvloop) serves the API on
loopback while a bounded load generator (wrk when installed, else a Python client)
replays a slice of a day — every order reports its location every 10 minutes and
checks in twice a day (``--minutes`` of that day, replayed as fast as the generator
allows: ``--concurrency`` requests in flight, ``--batch`` reports per request as an
app uploads what it queued). A small share of locations fall outside the fence;
their alerts must exist when the response returns (alert latency = the request's
latency; checked against the database afterwards).

Baseline, same run, server and database: the naive path — a route that, per report,
looks the order up through the ORM, checks for a duplicate, adds and commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import numpy as np
import sqlalchemy as sa
from loadgen import free_port, replay_posts, wait_ready
from sqlalchemy.orm import Session

from outbreak.quarantine import service as q
from outbreak.quarantine.service import token_hash
from outbreak.store import make_engine
from outbreak.store.tables import (
    QuarantineAlertRow,
    QuarantineOrderRow,
    QuarantineReportRow,
)
from outbreak.testing import TemplateDatabases
from outbreak.types import QuarantineSource, QuarantineState

OUTSIDE_SHARE = 0.002  # locations outside the fence: alerts
SERVER = """
from datetime import datetime
from typing import Any
from fastapi import Header
from outbreak.config import load_settings
from outbreak.quarantine.service import token_hash
from outbreak.store.tables import QuarantineOrderRow, QuarantineReportRow
from outbreak.types import ReportKind
from outbreak.web import create_app
from outbreak.web.asgi import tune_gc

app = create_app(load_settings())
tune_gc()  # as `outbreak serve` does


@app.post("/bench/naive")
def naive(body: dict[str, Any], token: str = Header(alias="X-Quarantine-Token")):
    # the baseline: per report, look the order up, check for a duplicate, add, commit
    done = 0
    for rep in body["reports"]:
        with app.state.sessions() as session:
            order = session.query(QuarantineOrderRow).filter_by(
                token_hash=token_hash(token)).one()
            kind = ReportKind(rep["kind"])
            cid = "n" + rep["client_id"]
            if session.query(QuarantineReportRow).filter_by(
                    order_id=order.id, kind=kind, client_id=cid).first() is None:
                session.add(QuarantineReportRow(
                    order_id=order.id, kind=kind, client_id=cid,
                    t=datetime.fromisoformat(rep["t"]), lat=rep.get("lat"),
                    lon=rep.get("lon"), temperature_c=rep.get("temperature_c"),
                    purge_after=order.purge_after))
                session.commit()
                done += 1
    return {"accepted": done}
"""


def seed_orders(url: str, n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``n`` active orders around Seoul; returns their tokens and fence centres."""
    rng = np.random.default_rng(1)
    lat = 37.45 + rng.random(n) * 0.2
    lon = 126.85 + rng.random(n) * 0.3
    tokens = [secrets.token_urlsafe(24) for _ in range(n)]
    today = datetime.now(UTC).date()
    rows = [
        {
            "key64": int(i),
            "source": QuarantineSource.ARRIVAL,
            "district_code": "11230",
            "fence_lat": float(lat[i]),
            "fence_lon": float(lon[i]),
            "fence_radius_m": 100.0,
            "start_on": today - timedelta(days=3),
            "end_on": today + timedelta(days=11),
            "officer": f"officer-{i % 2000}",
            "state": QuarantineState.ACTIVE,
            "test_required": False,
            "token_hash": token_hash(tokens[i]),
            "activated_at": datetime.now(UTC) - timedelta(days=3),
            "purge_after": today + timedelta(days=41),
            "created_at": datetime.now(UTC),
            "updated_at": datetime.now(UTC),
        }
        for i in range(n)
    ]
    engine = make_engine(url)
    with engine.begin() as conn:
        for lo in range(0, n, 10_000):
            conn.execute(sa.insert(QuarantineOrderRow), rows[lo : lo + 10_000])
    engine.dispose()
    return tokens, lat, lon


def workload(
    n: int, minutes: int, batch: int, lat: np.ndarray, lon: np.ndarray
) -> list[tuple[int, list[dict[str, object]], bool]]:
    """(order, reports, breaks the fence) per request, for ``minutes`` of a day:
    each order's location every 10 minutes, a self-check twice a day."""
    rng = np.random.default_rng(2)
    now = datetime.now(UTC)
    queued: dict[int, list[dict[str, object]]] = {}
    breaking: set[int] = set()
    out: list[tuple[int, list[dict[str, object]], bool]] = []
    for m in range(minutes):
        t = (now - timedelta(minutes=minutes - m)).isoformat()
        for i in range(m % 10, n, 10):  # a tenth of the orders each minute
            away = rng.random() < OUTSIDE_SHARE
            q = queued.setdefault(i, [])
            q.append(
                {
                    "kind": "location",
                    "client_id": f"l{m}",
                    "t": t,
                    "lat": float(lat[i]) + (0.01 if away else 0.0),
                    "lon": float(lon[i]),
                    "accuracy_m": 15.0,
                }
            )
            if rng.random() < 2 / 144:  # two self-checks a day
                q.append(
                    {
                        "kind": "check",
                        "client_id": f"c{m}",
                        "t": t,
                        "temperature_c": 36.6,
                    }
                )
            breaking |= {i} if away else set()
            if len(q) >= batch:
                out.append((i, q, i in breaking))
                queued[i] = []
                breaking.discard(i)
    out += [(i, q, i in breaking) for i, q in queued.items() if q]
    return out


async def replay(
    base: str,
    tokens: list[str],
    work: list[tuple[int, list[dict[str, object]], bool]],
    concurrency: int,
    path: str = "/api/v1/app/reports",
) -> tuple[float, list[float], list[float], int]:
    """Send the work with ``concurrency`` requests in flight; (seconds, latencies,
    latencies of fence-breaking requests, reports accepted)."""
    latencies: list[float] = []
    alerting: list[float] = []
    accepted = 0
    queue: asyncio.Queue[tuple[int, list[dict[str, object]], bool]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    limits = httpx2.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                i, reports, breaks = queue.get_nowait()
                began = time.perf_counter()
                r = await client.post(
                    path,
                    json={"reports": reports},
                    headers={"X-Quarantine-Token": tokens[i]},
                )
                took = time.perf_counter() - began
                r.raise_for_status()
                accepted += r.json()["accepted"]
                latencies.append(took)
                if breaks:
                    alerting.append(took)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies, alerting, accepted


def check_alerts(url: str) -> tuple[int, float]:
    """Open geofence alerts, and the largest gap between a breaking report's arrival
    and its alert (seconds)."""
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            sa.select(
                QuarantineAlertRow.raised_at, QuarantineReportRow.received_at
            ).join(
                QuarantineReportRow,
                QuarantineReportRow.id == QuarantineAlertRow.report_id,
            )
        ).all()
    engine.dispose()
    gaps = [(a - r).total_seconds() for a, r in rows]
    return len(rows), max(gaps, default=0.0)


def _stored(url: str, *, naive: bool) -> int:
    """Reports the app's route (or the baseline's, ``n``-prefixed) stored."""
    engine = make_engine(url)
    prefix = QuarantineReportRow.client_id.startswith("n")
    with Session(engine) as session:
        n = session.scalar(
            sa.select(sa.func.count())
            .select_from(QuarantineReportRow)
            .where(prefix if naive else ~prefix)
        )
    engine.dispose()
    return int(n or 0)


def drive(
    base: str,
    tokens: list[str],
    work: list[tuple[int, list[dict[str, object]], bool]],
    args: argparse.Namespace,
    path: str,
    seconds: float,
) -> tuple[float, float, float, str]:
    """Send the work in order for ``seconds`` (wrk) or whole (the Python client):
    (seconds, p50 ms, p99 ms, tool)."""
    if shutil.which("wrk"):
        items = [(tokens[i], json.dumps({"reports": r})) for i, r, _ in work]
        run = replay_posts(
            base,
            path,
            "X-Quarantine-Token",
            items,
            seconds=seconds,
            connections=args.concurrency,
        )
        assert run.errors == 0, f"{run.errors} requests failed"
        return run.seconds, run.p50_ms, run.p99_ms, "wrk"
    took, lat_s, _, _ = asyncio.run(replay(base, tokens, work, args.concurrency, path))
    p99 = statistics.quantiles(lat_s, n=100)[98] if len(lat_s) > 1 else 0.0
    return took, statistics.median(lat_s) * 1000, p99 * 1000, "python"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20, help="wrk's time box")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.orders, args.minutes, args.seconds = 300, 10, 2
    with tempfile.TemporaryDirectory() as tmp:
        dbs = TemplateDatabases(Path(tmp))
        url = dbs.postgres_url()
        server = None
        try:
            began = time.perf_counter()
            tokens, lat, lon = seed_orders(url, args.orders)
            print(
                f"{args.orders:,} active orders seeded in "
                f"{time.perf_counter() - began:.1f} s"
            )
            work = workload(args.orders, args.minutes, args.batch, lat, lon)
            n_reports = sum(len(w[1]) for w in work)
            port = free_port()
            env = {
                **os.environ,
                "OUTBREAK_DATABASE_URL": url,
                "OUTBREAK_DATA_DIR": tmp,
                "OUTBREAK_SECRET_KEY": "b" * 40,
                "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
                "OUTBREAK_DATA_KEY": "d" * 40,
                "OUTBREAK_LOG_LEVEL": "WARNING",
            }
            (Path(tmp) / "qserver.py").write_text(SERVER)
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "qserver:app", "--app-dir", tmp,
                 "--port", str(port), "--workers", str(args.workers),
                 "--log-level", "warning", "--no-access-log"],
                env=env,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/health")
            took, p50, p99, tool = drive(
                base, tokens, work, args, "/api/v1/app/reports", args.seconds
            )
            stored = _stored(url, naive=False)
            naive_s, _, naive_p99, _ = drive(
                base, tokens, work, args, "/bench/naive", args.seconds / 3
            )
            naive_n = _stored(url, naive=True)
            rate = stored / took
            print(
                f"HTTP API ({args.workers} workers, {tool}, {args.concurrency} in "
                f"flight, at most {args.batch} reports a request): {stored:,} of the "
                f"{n_reports:,} reports of {args.minutes} min of the day stored in "
                f"{took:.1f} s: {rate:,.0f} reports/s; p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms"
            )
            alerts, gap = check_alerts(url)
            print(
                f"fence alerts: {alerts:,} raised in the same transaction as their "
                f"report (largest gap {gap * 1000:.1f} ms); alert latency = request "
                f"latency: p99 {p99:.1f} ms"
            )
            engine = make_engine(url)
            with Session(engine) as session:
                began = time.perf_counter()
                changed = q.evaluate(session)
                session.commit()
                eval_s = time.perf_counter() - began
            engine.dispose()
            print(
                f"periodic evaluation of {args.orders:,} active orders (missed "
                f"self-checks, silent phones, escalation): {eval_s:.2f} s, "
                f"{len(changed):,} alerts raised or escalated"
            )
            naive_rate = naive_n / naive_s
            print(
                f"baseline, naive ORM path over the same HTTP (per report: look up, "
                f"check, add, commit): {naive_n:,} reports in {naive_s:.1f} s: "
                f"{naive_rate:,.0f} reports/s, p99 {naive_p99:.1f} ms"
            )
            print(f"ratio: {rate / naive_rate:.1f}× the naive path")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
            dbs.close()


if __name__ == "__main__":
    main()
