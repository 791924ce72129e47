"""Benchmark: the investigation engine on a synthetic city, against pandas.

    python bench/trace.py                     # 100,000 people × 1 day, Q1 + Q2 + pandas
    python bench/trace.py --people 1000000 --no-pandas   # the issue's size
    python bench/trace.py --accuracy          # recall / precision per source mix
    python bench/trace.py --smoke             # CI

Q1: one index case over the whole period → route + close contacts, from the
partitioned store. Q2: 100 index cases. Baseline, same data, same run: a
straightforward pandas implementation of Q1 — load the day's pings, merge the index
case's pings with everyone's on (5-minute bin, 20 m cell and its 8 neighbours), keep
pairs within 20 m, count ≥ 3 shared bins (``notes/tracing.md`` §2).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.ingest import MovementStore, ingest_city
from outbreak.ingest.schema import GKEY_STRIDE
from outbreak.ingest.store import spilling
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker, upgrade
from outbreak.synth.generate import START, generate
from outbreak.trace.contacts import ContactRule
from outbreak.trace.graph import (
    HALF_NEIGHBOURS,
    contact_graph_dask,
    day_files,
    first_bins,
    write_contact_graph,
)
from outbreak.trace.route import RouteRule
from outbreak.trace.score import MIXES, CityScorer
from outbreak.trace.window import kst_midnight
from outbreak.types import Role

KEYS = Keys(pseudonym_key="b" * 40, data_key="d" * 40)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def build(root: Path, people: int, days: int, seed: int) -> MovementStore:
    """Generate and ingest a city (timed and printed); a city already built in
    ``root`` by an earlier run (``--root``) is reused."""
    done = root / "built.txt"
    if done.exists():
        print(f"reusing the city in {root} ({done.read_text().strip()})")
        return MovementStore(root / "movement")
    began = time.perf_counter()
    generate(root / "city", people=people, days=days, seed=seed)
    engine = make_engine(f"sqlite:///{root / 'db.sqlite'}")
    upgrade(engine)
    session = make_sessionmaker(engine)()
    admin = Principal("bench", frozenset({Role.ADMIN}), frozenset({"*"}))
    access = Access(session, admin, "benchmark")
    store = MovementStore(root / "movement")
    ingest_city(access, KEYS, store, root / "city")
    session.close()
    engine.dispose()
    print(
        f"city of {people:,} × {days} day(s) built and ingested in "
        f"{time.perf_counter() - began:.0f} s"
    )
    done.write_text(f"{people} people, {days} days, seed {seed}\n")
    return store


def pandas_q1(store: MovementStore, key: int) -> tuple[float, float, int]:
    """The naive baseline: (load s, query s, contacts)."""
    import pandas as pd  # the baseline's own dependency

    began = time.perf_counter()
    df = pd.concat(
        [
            pd.read_parquet(
                f, columns=["person_key", "bin", "gkey", "x_dm", "y_dm", "source"]
            )
            for f in store.files("pings")
        ],
        ignore_index=True,
    )
    df = df[df["source"] == "gps"].drop(columns="source")
    loaded = time.perf_counter()
    mine = df[df["person_key"] == key]
    offsets = [dx * GKEY_STRIDE + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    probe = pd.concat([mine.assign(gkey=mine["gkey"] + o) for o in offsets])
    m = df.merge(probe, on=["bin", "gkey"], suffixes=("", "_i"))
    near = np.hypot(m["x_dm"] - m["x_dm_i"], m["y_dm"] - m["y_dm_i"]) <= 200
    m = m[near & (m["person_key"] != key)]
    bins = m.groupby("person_key")["bin"].nunique()
    found = int((bins >= 3).sum())
    return loaded - began, time.perf_counter() - loaded, found


def timed_queries(
    scorer: CityScorer, pids: list[int], window: tuple[int, int], repeat: int
) -> tuple[list[float], float, int]:
    rule, route_rule = ContactRule(), RouteRule()
    q1 = []
    found = 0
    for _ in range(repeat):
        began = time.perf_counter()
        found = len(scorer.contacts_of(pids[0], window, MIXES["all"], rule, route_rule))
        q1.append(time.perf_counter() - began)
    began = time.perf_counter()
    scorer.contacts_many(pids, window, MIXES["all"], rule, route_rule)
    return q1, time.perf_counter() - began, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--index-cases", type=int, default=100)
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--no-q3", action="store_true")
    parser.add_argument("--dask", action="store_true", help="Q3 on Dask as well")
    parser.add_argument(
        "--no-q3-baseline", action="store_true", help="skip Q3's SQL baseline"
    )
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--root", type=Path, help="build the city here and keep it (reused if built)"
    )
    args = parser.parse_args()
    if args.accuracy:
        people, days, seed, n_index = 10_000, 2, 3, 30
    else:
        people, days, seed, n_index = args.people, args.days, 1, args.index_cases
    if args.smoke:
        people, days, n_index = 400, 1, 3
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        store = build(root, people, days, seed)
        scorer = CityScorer(root / "city", store, KEYS.pseudonymiser)
        t0 = int(kst_midnight(START).timestamp())
        window = (t0, t0 + days * 86_400)
        rng = np.random.default_rng(7)
        pids = sorted(rng.choice(len(scorer.pids), n_index, replace=False).tolist())
        if args.accuracy or args.smoke:
            print(
                "| source mix | index cases | true contacts | reported | recall "
                "| precision |"
            )
            print("|---|---|---|---|---|---|")
            for s in scorer.score(pids, window):
                print(
                    f"| {s.mix} | {s.index_cases} | {s.true:,} | {s.reported:,} | "
                    f"{s.recall:.3f} | {s.precision:.3f} |"
                )
            if not args.smoke:
                return
        q1, q2, found = timed_queries(
            scorer, pids, window, repeat=3 if args.smoke else 5
        )
        print(
            f"Q1 one index case, route + contacts: "
            f"median {statistics.median(q1):.3f} s "
            f"(first {q1[0]:.3f} s), {found} contacts"
        )
        print(f"Q2 {len(pids)} index cases: {q2:.2f} s")
        if not args.no_pandas:
            load_s, query_s, base = pandas_q1(store, scorer.phone_key[pids[0]])
            print(
                f"baseline pandas Q1: load {load_s:.2f} s + query {query_s:.2f} s, "
                f"{base} contacts (ping pairs within 20 m, >= 3 bins)"
            )
            ours = statistics.median(q1)
            print(
                f"ratio: Q1 {query_s / ours:.1f}× faster than the pandas query alone, "
                f"{(load_s + query_s) / ours:.1f}× with its load"
            )
        if not args.no_q3:
            q3(store, root, args.dask or args.smoke, not args.no_q3_baseline)
        print(f"peak RSS {peak_rss_gib():.2f} GiB")


def sql_q3(store: MovementStore) -> pa.Table:
    """Baseline: the same grid join written as one DuckDB SQL query per hour (the
    engine's first version), partial counts summed in DuckDB."""
    files = day_files(store, START)
    con = spilling("3GB", Path(tempfile.gettempdir()) / "outbreak-duckdb")
    con.execute("CREATE TABLE acc (pa BIGINT, pb BIGINT, bins BIGINT)")
    offsets = ", ".join(str(o) for o in HALF_NEIGHBOURS)
    for first in first_bins(START):
        con.execute(
            "INSERT INTO acc "
            "WITH p AS (SELECT person_key, bin, gkey, x_dm, y_dm FROM read_parquet(?) "
            "  WHERE source = 'gps' AND bin BETWEEN ? AND ?), "
            f"b AS (SELECT *, unnest([{offsets}]) AS off FROM p) "
            "SELECT least(a.person_key, b.person_key), "
            "greatest(a.person_key, b.person_key), count(*) "
            "FROM p a JOIN b ON a.bin = b.bin AND a.gkey = b.gkey - b.off "
            "WHERE (b.off <> 0 OR a.person_key < b.person_key) "
            "AND a.person_key <> b.person_key "
            "AND (a.x_dm - b.x_dm) * (a.x_dm - b.x_dm) "
            "+ (a.y_dm - b.y_dm) * (a.y_dm - b.y_dm) <= 40000 GROUP BY ALL",
            [files, first, first + 11],
        )
    out = con.sql(
        "SELECT pa, pb, sum(bins)::BIGINT AS bins FROM acc GROUP BY ALL "
        "HAVING sum(bins) >= 3 ORDER BY pa, pb"
    ).to_arrow_table()
    con.close()
    return out


def q3(store: MovementStore, root: Path, with_dask: bool, with_sql: bool) -> None:
    """The day's whole contact graph written to Parquet, in one process; optionally
    on Dask and as the SQL baseline, with the answers compared."""
    out = root / "q3-pairs.parquet"
    began = time.perf_counter()
    pairs = write_contact_graph(store, START, out)
    single_s = time.perf_counter() - began
    pair_bins = sum(
        int(pc.sum(b.column("bins")).as_py() or 0)
        for b in pq.ParquetFile(out).iter_batches(columns=["bins"])
    )
    print(
        f"Q3 the day's contact graph: {pairs:,} pairs "
        f"({pair_bins:,} pair-bins) in {single_s:.1f} s, written to Parquet "
        f"(peak RSS so far {peak_rss_gib():.2f} GiB)"
    )
    if not (with_sql or with_dask):
        return
    single = pq.read_table(out)
    if with_sql:
        began = time.perf_counter()
        base = sql_q3(store)
        base_s = time.perf_counter() - began
        print(
            f"baseline Q3 as DuckDB SQL per hour: {base_s:.1f} s, identical: "
            f"{base.equals(single)}; ratio {base_s / single_s:.1f}×"
        )
    if with_dask:
        began = time.perf_counter()
        spread = contact_graph_dask(store, START)
        print(
            f"Q3 on a local Dask cluster (2 workers): "
            f"{time.perf_counter() - began:.1f} s, "
            f"identical: {spread.equals(single)}"
        )


if __name__ == "__main__":
    main()
