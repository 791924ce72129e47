"""Benchmark: the citizen app's reports through the HTTP API, on PostgreSQL.

    python bench/quarantine.py           # 100,000 active orders (the issue's size)
    python bench/quarantine.py --smoke   # tiny, for CI

A fresh PostgreSQL database (127.0.0.1:5432) gets ``--orders`` active orders; a
server process (uvicorn, one worker) serves the API on loopback while this process
replays a slice of a day — every order reports its location every 10 minutes and
checks in twice a day (``--minutes`` of that day, replayed as fast as the bounded
load generator allows: ``--concurrency`` requests in flight, ``--batch`` reports per
request as an app uploads what it queued). A small share of locations fall outside
the fence; their alerts must exist when the response returns (alert latency = the
request's latency; checked against the database afterwards).

Baseline, same run and database: the naive path — one report per transaction
through the ORM (look the order up, check for a duplicate, add, commit), in-process
with no HTTP at all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
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
import uvicorn
from fastapi import Header
from outbreak.config import load_settings
from outbreak.quarantine.service import token_hash
from outbreak.store.tables import QuarantineOrderRow, QuarantineReportRow
from outbreak.types import ReportKind
from outbreak.web import create_app

app = create_app(load_settings())


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
    return {{"accepted": done}}


uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--naive-requests", type=int, default=3_000)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.orders, args.minutes, args.naive_requests = 300, 10, 100
    with tempfile.TemporaryDirectory() as tmp:
        dbs = TemplateDatabases(Path(tmp))
        url = dbs.postgres_url()
        try:
            began = time.perf_counter()
            tokens, lat, lon = seed_orders(url, args.orders)
            print(
                f"{args.orders:,} active orders seeded in "
                f"{time.perf_counter() - began:.1f} s"
            )
            work = workload(args.orders, args.minutes, args.batch, lat, lon)
            n_reports = sum(len(w[1]) for w in work)
            port = _free_port()
            env = {
                **os.environ,
                "OUTBREAK_DATABASE_URL": url,
                "OUTBREAK_DATA_DIR": tmp,
                "OUTBREAK_SECRET_KEY": "b" * 40,
                "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
                "OUTBREAK_DATA_KEY": "d" * 40,
                "OUTBREAK_LOG_LEVEL": "WARNING",
            }
            server = subprocess.Popen(
                [sys.executable, "-c", SERVER.format(port=port)], env=env
            )
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx2.get(f"{base}/health", timeout=1).status_code < 500:
                            break
                    except httpx2.HTTPError:
                        pass
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
                took, lat_s, alert_s, accepted = asyncio.run(
                    replay(base, tokens, work, args.concurrency)
                )
                sample = work[: args.naive_requests]
                naive_s, naive_lat, _, naive_n = asyncio.run(
                    replay(base, tokens, sample, args.concurrency, "/bench/naive")
                )
            finally:
                server.terminate()
                server.wait(timeout=20)
            p99 = (
                statistics.quantiles(lat_s, n=100)[98] * 1000 if len(lat_s) > 1 else 0.0
            )
            rate = accepted / took
            print(
                f"HTTP API: {len(work):,} requests, {n_reports:,} reports "
                f"({args.batch} per request at most, {args.concurrency} in flight) "
                f"in {took:.1f} s: "
                f"{rate:,.0f} reports/s, {len(work) / took:,.0f} requests/s; "
                f"p50 {statistics.median(lat_s) * 1000:.1f} ms, p99 {p99:.1f} ms"
            )
            assert accepted == n_reports, (accepted, n_reports)
            alerts, gap = check_alerts(url)
            worst = max(alert_s, default=0.0) * 1000
            print(
                f"fence alerts: {alerts:,} raised in the same transaction as their "
                f"report (largest gap {gap * 1000:.1f} ms); alert latency = request "
                f"latency, worst {worst:.1f} ms over {len(alert_s):,} breaking requests"
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
            naive_p99 = statistics.quantiles(naive_lat, n=100)[98] * 1000
            print(
                f"baseline, naive ORM path over the same HTTP (per report: look up, "
                f"check, add, commit): {naive_n:,} reports in {naive_s:.1f} s: "
                f"{naive_rate:,.0f} reports/s, p99 {naive_p99:.1f} ms"
            )
            print(f"ratio: {rate / naive_rate:.1f}× the naive path")
        finally:
            dbs.close()


if __name__ == "__main__":
    main()
