"""Write a synthetic city and its raw feeds to disk, chunk by chunk (the I/O edge).

Layout under ``out``::

    city/places.parquet   city/towers.parquet   city/people/part-NNNNN.parquet
    feeds/<feed>/date=YYYY-MM-DD/part-NNNNN.parquet     feed ∈ gps, telecom, card,
                                                        qr, qr_identity, phone
    truth/stays/date=YYYY-MM-DD/part-NNNNN.parquet      (accuracy tests only)
    manifest.json

Only one chunk of people (50,000) and one day are in memory at a time; every file is
written to a temporary name and renamed, so an interrupted run leaves no half file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from outbreak.errors import InvalidInput
from outbreak.geo.metric import dong_of, fast_degrees, seoul_gu
from outbreak.synth.city import CHUNK, KINDS, Places, build_city, phone_of, residents
from outbreak.synth.feeds import gps_and_telecom, transactions, truth
from outbreak.synth.itinerary import day_stays

SEOUL_TZ = ZoneInfo("Asia/Seoul")
FEEDS = ("gps", "telecom", "card", "qr", "qr_identity", "phone")

START = date(2020, 5, 4)  # a Monday in May 2020, the week of the Itaewon clubs cluster


@dataclass
class Manifest:
    """What was generated: parameters, row counts and bytes on disk per feed."""

    people: int
    days: int
    seed: int
    start: str
    rows: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)

    def bytes_per_row(self, feed: str) -> float:
        """Bytes on disk per row of ``feed``."""
        return self.bytes.get(feed, 0) / max(self.rows.get(feed, 0), 1)


def write_table(table: pa.Table, path: Path) -> int:
    """Write ``table`` as zstd Parquet atomically; returns the file size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=256_000)
    tmp.replace(path)
    return path.stat().st_size


def _addresses(places: Places) -> list[str]:
    """Real places keep their address; a made-up one gets its gu and dong (the
    finest level that is true of it)."""
    gus = seoul_gu()
    dongs = dong_of(places.x, places.y)
    return [
        a or f"서울특별시 {gus[g].name_ko} {d}".rstrip()
        for a, g, d in zip(places.address, places.gu, dongs, strict=True)
    ]


def _city_tables(city_people: int, seed: int, out: Path) -> None:
    city = build_city(city_people, seed)
    pl = city.places
    lon, lat = fast_degrees()(pl.x, pl.y)
    gus = seoul_gu()
    write_table(
        pa.table(
            {
                "place_id": pa.array(np.arange(len(pl), dtype=np.int32)),
                "kind": pa.array([KINDS[k] for k in pl.kind]).dictionary_encode(),
                "name": pa.array(pl.name),
                "district_code": pa.array(
                    [gus[g].code for g in pl.gu]
                ).dictionary_encode(),
                "phone": pa.array(pl.phone),
                "address": pa.array(_addresses(pl)),
                "lat": pa.array(np.round(lat, 6)),
                "lon": pa.array(np.round(lon, 6)),
            }
        ),
        out / "city" / "places.parquet",
    )
    tlon, tlat = fast_degrees()(city.towers_x, city.towers_y)
    write_table(
        pa.table(
            {
                "cell_id": pa.array(np.arange(len(tlon), dtype=np.int32)),
                "lat": pa.array(np.round(tlat, 6)),
                "lon": pa.array(np.round(tlon, 6)),
            }
        ),
        out / "city" / "towers.parquet",
    )


def generate(
    out: Path,
    *,
    people: int,
    days: int,
    seed: int,
    start: date = START,
    progress: Callable[[int, int], None] | None = None,
) -> Manifest:
    """Generate the city and ``days`` days of feeds into ``out``."""
    if people < 100:
        raise InvalidInput("A city needs at least 100 people", field="people")
    if not 1 <= days <= 366:
        raise InvalidInput("days must be 1..366", field="days")
    city = build_city(people, seed)
    _city_tables(people, seed, out)
    manifest = Manifest(people, days, seed, start.isoformat())
    chunks = -(-people // CHUNK)
    steps, done = chunks * days, 0
    gus = seoul_gu()

    def add(feed: str, table: pa.Table, path: Path) -> None:
        manifest.rows[feed] = manifest.rows.get(feed, 0) + table.num_rows
        manifest.bytes[feed] = manifest.bytes.get(feed, 0) + write_table(table, path)

    for chunk in range(chunks):
        res = residents(city, chunk)
        add(
            "people",
            pa.table(
                {
                    "pid": pa.array(res.pid.astype(np.int32)),
                    "household": pa.array(res.household.astype(np.int32)),
                    "age": pa.array(res.age.astype(np.int8)),
                    "sex": pa.array(res.sex),
                    "district_code": pa.array(
                        [gus[g].code for g in res.gu]
                    ).dictionary_encode(),
                    "phone": pa.array(phone_of(res.pid)),
                    "workplace_id": pa.array(res.work.astype(np.int32)),
                    "school_id": pa.array(res.school.astype(np.int32)),
                }
            ),
            out / "city" / "people" / f"part-{chunk:05d}.parquet",
        )
        for day in range(days):
            when = start + timedelta(days=day)
            day_start = int(datetime.combine(when, time(0), SEOUL_TZ).timestamp())
            stays = day_stays(city, res, day, when.weekday())
            part = f"date={when.isoformat()}/part-{chunk:05d}.parquet"
            gps, telecom = gps_and_telecom(city, stays, day, day_start, chunk)
            add("gps", gps, out / "feeds" / "gps" / part)
            add("telecom", telecom, out / "feeds" / "telecom" / part)
            for feed, table in transactions(city, stays, day, day_start, chunk).items():
                add(feed, table, out / "feeds" / feed / part)
            add("truth", truth(stays, day_start), out / "truth" / "stays" / part)
            done += 1
            if progress is not None:
                progress(done, steps)
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(manifest.__dict__, indent=2))
    return manifest
