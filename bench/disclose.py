"""Benchmark: the public exposure-places API under load, cache against database.

    python bench/disclose.py           # 10,000 published places (the issue's size)
    python bench/disclose.py --smoke   # tiny, for CI

A fresh PostgreSQL database (127.0.0.1:5432) gets ``--places`` published exposure
places (each at its own place, all still public) and the public snapshot is
written. Two servers then run on loopback, each ``uvicorn`` with ``--workers``
processes:

* the public site (``outbreak serve --public``): answers from the snapshot in
  memory, without a database;
* the baseline, the same endpoint served straight from the database: each request
  filters, counts, orders and pages the published rows in SQL and builds the same
  allowlisted JSON (``/bench/db/exposures``).

The same bounded load (wrk when installed, ``--connections`` in flight, gzip
accepted) cycles through the same requests on each — a district's places, a day's
places, pages of the whole list — and the answers are compared first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from loadgen import free_port, load, wait_ready

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.cases import create_case, register_person
from outbreak.disclose import snapshot as snap
from outbreak.geo.metric import seoul_gu
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.store.tables import DisclosureRow
from outbreak.testing import TemplateDatabases, test_settings
from outbreak.trace.service import open_investigation
from outbreak.types import DisclosureState, IdentifierKind, InfectionSource, Role

KINDS = ("restaurant", "cafe", "bar_club", "karaoke", "church", "gym", "pc_room")
DB_SERVER = """
import json
from datetime import UTC, date, datetime, timedelta
from fastapi import Response
import sqlalchemy as sa
from outbreak.config import load_settings
from outbreak.disclose import snapshot as snap
from outbreak.store.tables import DisclosureRow, InvestigationRow
from outbreak.types import KST, DisclosureState
from outbreak.web import create_app
from outbreak.web.asgi import tune_gc

settings = load_settings()
app = create_app(settings)
tune_gc()  # as `outbreak serve` does
POLICY = snap.policy_for(settings)


@app.get("/bench/db/exposures")
def from_db(district: str | None = None, on: date | None = None, limit: int = 100,
            offset: int = 0) -> Response:
    # the baseline: the same endpoint, straight from the database
    now = datetime.now(UTC)
    where = [DisclosureRow.state == DisclosureState.PUBLISHED,
             DisclosureRow.expires_at > now]
    if district:
        where.append(DisclosureRow.district_code.startswith(district))
    if on:
        day = datetime(on.year, on.month, on.day, tzinfo=KST)
        where += [DisclosureRow.t_start < day + timedelta(days=1),
                  DisclosureRow.t_end > day]
    with app.state.sessions() as s:
        count = s.scalar(sa.select(sa.func.count()).select_from(DisclosureRow)
                         .where(*where))
        rows = s.execute(
            sa.select(DisclosureRow, InvestigationRow)
            .join(InvestigationRow,
                  InvestigationRow.id == DisclosureRow.investigation_id)
            .where(*where)
            .order_by(DisclosureRow.district_code, DisclosureRow.t_start,
                      DisclosureRow.name.collate("C"), DisclosureRow.public_id)
            .limit(limit).offset(offset)).all()
        items = [snap.item_of(r, i, POLICY).exposure.as_json() for r, i in rows]
    body = {"data": items, "count": count, "limit": limit, "offset": offset,
            "generated_at": now.isoformat()}
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    media_type="application/json")
"""


def seed(url: str, n: int, tmp: Path) -> list[date]:
    """``n`` published places under 100 investigations; the snapshot; the days."""
    settings = test_settings(tmp, database_url=url, public_dir=tmp / "public")
    keys = Keys(
        pseudonym_key=settings.pseudonym_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
    )
    engine = make_engine(url)
    now = datetime.now(UTC)
    rng = np.random.default_rng(7)
    gus = seoul_gu()
    with make_sessionmaker(engine)() as session:
        admin = Access(
            session,
            Principal("bench", frozenset({Role.ADMIN}), frozenset({"*"})),
            "bench",
        )
        invs = []
        for k in range(min(100, n // 20 + 1)):
            person = register_person(
                admin,
                keys,
                identifier=f"DB{k:07d}",
                identifier_kind=IdentifierKind.PASSPORT,
                district_code="11230",
            )
            case = create_case(
                admin,
                person_key=person.key,
                district_code="11230",
                confirmed_on=now.date() - timedelta(days=1),
                sample_on=now.date() - timedelta(days=1),
                onset_on=now.date() - timedelta(days=12),
                source=InfectionSource.LOCAL,
            )
            invs.append(open_investigation(admin, keys, case.id, now=now).id)
        session.commit()
        # times on the 10-minute grid the public list rounds to, so that both
        # servers order and filter the same values
        base = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=12)
        start = base + timedelta(minutes=10) * rng.integers(0, 11 * 24 * 6, n)
        rows = []
        for i in range(n):
            g = gus[int(rng.integers(len(gus)))]
            t0 = start[i]
            t1 = t0 + timedelta(minutes=10 * int(rng.integers(2, 18)))
            kind = KINDS[i % len(KINDS)]
            rows.append(
                {
                    "investigation_id": invs[i % len(invs)],
                    "public_id": f"{rng.integers(2**63):016x}",
                    "place_id": i,
                    "kind": kind,
                    "name": f"{kind}-{i}",
                    "address": f"서울특별시 {g.name_ko} 어느동 {i}",
                    "district_code": g.code,
                    "lat": 37.45 + float(rng.random()) * 0.2,
                    "lon": 126.85 + float(rng.random()) * 0.3,
                    "t_start": t0,
                    "t_end": t1,
                    "state": DisclosureState.PUBLISHED,
                    "withheld_by": "",
                    "contacts_identified": False,
                    "public_risk": False,
                    "public_risk_reason": "",
                    "disinfected": False,
                    "hidden_reason": "",
                    "published_by": "bench",
                    "published_at": now,
                    "expires_at": t1 + timedelta(days=14),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for lo in range(0, n, 5000):
            session.execute(sa.insert(DisclosureRow), rows[lo : lo + 5000])
        session.commit()
        snap.refresh(session, settings, now=now)
    engine.dispose()
    return sorted({r["t_start"].astimezone(snap.KST).date() for r in rows})


def paths(prefix: str, days: list[date], date_param: str) -> list[str]:
    """The request mix: each district's places, each day's, pages of the list."""
    out = [f"{prefix}?district={g.code}&limit=50" for g in seoul_gu()]
    out += [f"{prefix}?{date_param}={d.isoformat()}&limit=50" for d in days[-10:]]
    out += [f"{prefix}?limit=100&offset={k * 100}" for k in range(10)]
    return out


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - loopback
        return json.loads(r.read())  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--places", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.places, args.seconds, args.connections = 300, 2, 8
    with tempfile.TemporaryDirectory() as tmp:
        dbs = TemplateDatabases(Path(tmp))
        url = dbs.postgres_url()
        env = {
            **os.environ,
            "OUTBREAK_ENV": "test",
            "OUTBREAK_DATABASE_URL": url,
            "OUTBREAK_DATA_DIR": tmp,
            "OUTBREAK_PUBLIC_DIR": str(Path(tmp) / "public"),
            "OUTBREAK_SECRET_KEY": "b" * 40,
            "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
            "OUTBREAK_DATA_KEY": "d" * 40,
            "OUTBREAK_LOG_LEVEL": "WARNING",
        }
        servers: list[subprocess.Popen[bytes]] = []
        try:
            began = time.perf_counter()
            days = seed(url, args.places, Path(tmp))
            print(
                f"{args.places:,} published places seeded, snapshot written in "
                f"{time.perf_counter() - began:.1f} s"
            )
            (Path(tmp) / "dbserver.py").write_text(DB_SERVER)
            cache_port, db_port = free_port(), free_port()
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "outbreak",
                        "serve",
                        "--public",
                        "--port",
                        str(cache_port),
                        "--workers",
                        str(args.workers),
                    ],
                    env=env,
                )  # fmt: skip
            )
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "dbserver:app",
                        "--app-dir",
                        tmp,
                        "--port",
                        str(db_port),
                        "--workers",
                        str(args.workers),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    env=env,
                )  # fmt: skip
            )
            cache = f"http://127.0.0.1:{cache_port}"
            db = f"http://127.0.0.1:{db_port}"
            wait_ready(f"{cache}/public/api/v1/clinics")
            wait_ready(f"{db}/health")
            mine = paths("/public/api/v1/exposures", days, "date")
            theirs = paths("/bench/db/exposures", days, "on")
            same = True
            for a, b in zip(mine[::7], theirs[::7], strict=True):
                x, y = _get(cache + a), _get(db + b)
                if (x["count"], x["data"]) != (y["count"], y["data"]):
                    same = False
                    print(f"differ: {a} ({x['count']}) vs {b} ({y['count']})")
                    for u, v in zip(x["data"], y["data"], strict=False):
                        if u != v:
                            print(" ", u, "\n ", v)
                            break
            print(f"answers identical on {len(mine[::7])} sampled requests: {same}")
            assert same
            print(
                f"load: {len(mine)} distinct requests cycled, {args.connections} "
                f"connections, {args.seconds:.0f} s each after 2 s of warm-up, "
                f"{args.workers} server workers, gzip accepted"
            )
            for base, some in ((cache, mine), (db, theirs)):  # warm both alike
                load(base, some, seconds=min(2, args.seconds), connections=4)
            fast = load(cache, mine, seconds=args.seconds, connections=args.connections)
            print(f"public site (snapshot in memory): {fast.line()}")
            slow = load(db, theirs, seconds=args.seconds, connections=args.connections)
            print(f"baseline, straight from PostgreSQL: {slow.line()}")
            print(
                f"ratio: {fast.rate / slow.rate:.1f}× the requests/s of the database "
                f"path; p99 {fast.p99_ms:.1f} ms against {slow.p99_ms:.1f} ms"
            )
            assert fast.errors == 0 and slow.errors == 0
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=20)
            dbs.close()


if __name__ == "__main__":
    main()
