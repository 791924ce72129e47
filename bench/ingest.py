"""Benchmark: synthetic city generation and movement ingest, against pandas.

    python bench/ingest.py                    # 100,000 people × 1 day
    python bench/ingest.py --people 1000000   # the issue's size (≈ 5 GB of disk)
    python bench/ingest.py --people 100000 --days 14
    python bench/ingest.py --smoke            # CI

Measures generation time, ingest rows/s per source, bytes on disk per ping and peak
memory (max RSS of this process); baseline, on the same GPS data in the same run:
pandas ``read_csv`` + ``to_parquet`` of one raw GPS file (one chunk of 50,000 people ×
one day) without partitioning, keys or validation (the CSV is written first and not
timed).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.ingest import MovementStore, city_reference, compact, ingest_file
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker, upgrade
from outbreak.synth.generate import FEEDS, generate
from outbreak.types import Role


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    people = 300 if args.smoke else args.people
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        days = 1 if args.smoke else args.days
        manifest = generate(root / "city", people=people, days=days, seed=1)
        gen_s = time.perf_counter() - began
        print(
            f"generate {people:,} people × {days} day(s): {gen_s:.1f} s; "
            f"{manifest.rows['gps']:,} GPS fixes ({manifest.bytes_per_row('gps'):.1f} "
            f"B/fix raw), peak RSS {peak_rss_gib():.2f} GiB"
        )

        engine = make_engine(f"sqlite:///{root / 'db.sqlite'}")
        upgrade(engine)
        session = make_sessionmaker(engine)()
        access = Access(
            session,
            Principal("bench", frozenset({Role.ADMIN}), frozenset({"*"})),
            "benchmark",
        )
        keys = Keys(pseudonym_key="b" * 40, data_key="d" * 40)
        store = MovementStore(root / "movement")
        ref = city_reference(root / "city")
        rates = {}
        for feed in FEEDS:
            files = sorted((root / "city" / "feeds" / feed).rglob("*.parquet"))
            began = time.perf_counter()
            rows = sum(
                ingest_file(access, keys, store, feed, f, ref).rows_in for f in files
            )
            elapsed = time.perf_counter() - began
            rates[feed] = rows / elapsed
            print(
                f"ingest {feed:12s} {rows:>12,} rows {elapsed:7.2f} s "
                f"{rows / elapsed:>12,.0f} rows/s"
            )
        files_before = len(store.files("pings"))
        began = time.perf_counter()
        done = compact(access, store)
        print(
            f"compact: {done.partitions:,} partitions, {done.files_before:,} → "
            f"{done.files_after:,} files ({files_before:,} ping files before), "
            f"{done.rows:,} rows rewritten in {time.perf_counter() - began:.1f} s"
        )
        ping_files = store.files("pings")
        pings = ds.dataset(ping_files).count_rows()
        size = sum(f.stat().st_size for f in ping_files)
        print(
            f"canonical pings: {pings:,} rows, {size / 1e6:,.0f} MB, "
            f"{size / max(pings, 1):.1f} bytes/ping, {len(ping_files)} files"
        )

        import pandas as pd  # the baseline's own dependency

        # Baseline on the first GPS file (one chunk of people × one day), so that it
        # fits in memory at any city size; rates are per row, so they compare.
        gps_raw = root / "gps.csv"
        first = sorted((root / "city" / "feeds" / "gps").rglob("*.parquet"))[0]
        table = ds.dataset(first).to_table()
        pacsv.write_csv(
            table.cast(
                table.schema.set(
                    0,
                    table.schema.field(0).with_type(
                        table.schema.field(0).type.value_type
                    ),
                )
            ),
            gps_raw,
        )
        began = time.perf_counter()
        pd.read_csv(gps_raw).to_parquet(root / "baseline.parquet")
        base_s = time.perf_counter() - began
        base_rate = table.num_rows / base_s
        print(
            f"baseline pandas read_csv + to_parquet ({table.num_rows:,} rows of "
            f"{first.parent.name}/{first.name}): {base_s:.2f} s, "
            f"{base_rate:,.0f} rows/s"
        )
        print(
            f"ratio: GPS ingest {rates['gps'] / base_rate:.2f}× the pandas baseline "
            f"(which does no pseudonymisation, validation or partitioning)"
        )
        print(f"peak RSS {peak_rss_gib():.2f} GiB")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
