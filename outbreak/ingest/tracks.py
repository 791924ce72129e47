"""A person-ordered copy of each day's pings: a case's own fixes in a few row groups.

``pings`` is laid out by place and time, which is what finding *who else was there*
needs; but reading one person's own fixes from it means scanning every tile they
visited, and for 100 index cases that is most of the city's day (``notes/tracing.md``
§4.2). ``tracks/date=…/`` holds the same day's pings ordered by person key and time,
in small row groups whose key ranges are in the file's metadata, so a hundred
people's fixes are a hundred row groups away.

Beside it, ``stays-….parquet`` holds everyone's stays that day (:data:`STAYS`: who
dwelt where, from when to when — a few rows a person instead of 288 fixes), which is
how the engine finds who was with a case at a stay without reading every fix near it.

The copy is an index, never the truth: ``tracks.json`` beside it names the ping files
it was built from, and a reader uses it only while the day's live ping files are
exactly those (otherwise it falls back to the tiles). Built after compaction, written
to staging and moved in by rename, the manifest last — a crash leaves the old copy or
none, never a wrong one.
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from outbreak.files import write_atomic
from outbreak.ingest.schema import STAYS
from outbreak.ingest.store import MovementStore, spilling
from outbreak.jit import split_map
from outbreak.staypoints import StayRule, everyone_stays

TABLE = "tracks"
MANIFEST = "tracks.json"
ROW_GROUP = 16_384  # ~100 people's day at 5-minute fixes: one person, one read
BATCH = 1 << 22  # fixes a stay-finding pass holds at once
COLUMNS = ("person_key", "t", "x_dm", "y_dm", "source")
Ints = NDArray[np.int64]
DWELL = StayRule()  # everyone's stays are found as a route finds one person's


def day_ping_files(
    store: MovementStore, files: list[Path] | None = None
) -> dict[date, list[str]]:
    """The live ping files of each day (``files`` if listed already), as paths
    relative to the ``pings`` folder, sorted."""
    out: dict[date, list[str]] = {}
    for path in sorted(store.files("pings") if files is None else files):
        rel = path.relative_to(store.root / "pings")
        day = date.fromisoformat(rel.parts[0].removeprefix("date="))
        out.setdefault(day, []).append(str(rel))
    return out


def build_tracks(store: MovementStore, *, memory_limit: str = "3GB") -> list[date]:
    """Build the copy of every day whose copy is missing or stale; the days built.

    Call under the store's lock (as :func:`outbreak.ingest.compact` does).
    """
    staging = store.root / ".staging" / TABLE
    shutil.rmtree(staging, ignore_errors=True)  # a dead build's leftovers
    built = []
    for day, files in sorted(day_ping_files(store).items()):
        folder = store.root / TABLE / f"date={day.isoformat()}"
        manifest = _manifest(folder)
        if manifest.get("covers") == files and manifest.get("stays"):
            continue  # current (a copy from before stays were kept is rebuilt)
        _build_day(store, folder, files, memory_limit)
        built.append(day)
    return built


def _manifest(folder: Path) -> dict[str, Any]:
    """What the day's copy was built from (empty when there is none)."""
    try:
        found = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _build_day(
    store: MovementStore, folder: Path, files: list[str], memory_limit: str
) -> None:
    staging = store.root / ".staging" / TABLE
    name = f"part-{time.time_ns()}.parquet"
    staged, spill = staging / name, staging / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    paths = [str(store.root / "pings" / f) for f in files]
    con = spilling(memory_limit, spill)
    try:
        con.execute(
            f"COPY (SELECT {', '.join(COLUMNS)} FROM read_parquet(?) "  # noqa: S608
            "ORDER BY person_key, t) TO '" + str(staged) + "' "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})",
            [paths],
        )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    stays_name = f"stays-{time.time_ns()}.parquet"
    _write_stays(staged, staging / stays_name)
    folder.mkdir(parents=True, exist_ok=True)
    staged.replace(folder / name)
    (staging / stays_name).replace(folder / stays_name)
    write_atomic(
        folder / MANIFEST,
        json.dumps({"file": name, "stays": stays_name, "covers": files}).encode(),
    )
    for old in folder.glob("*.parquet"):
        if old.name not in (name, stays_name):
            old.unlink()


def _write_stays(tracks: Path, out: Path) -> None:
    """Everyone's GPS stays of the day (:data:`DWELL`), from the person-ordered
    copy read :data:`BATCH` rows at a time (a person a batch cuts carries over),
    each batch's people split over the cores."""
    found: list[tuple[Ints, ...]] = []
    carry = [np.empty(0, np.int64)] * 4
    # no pre-buffering: it reads every row group's columns ahead (the whole file)
    copy = pq.ParquetFile(tracks, read_dictionary=["source"], pre_buffer=False)
    batches = copy.iter_batches(batch_size=BATCH, columns=list(COLUMNS))
    for batch in itertools.chain(batches, [None]):
        cols = carry
        if batch is not None:
            source = batch.column("source")
            gps = np.asarray(source.indices) == source.dictionary.index("gps").as_py()
            new = [
                batch.column(c).to_numpy()[gps].astype(np.int64)
                for c in ("person_key", "t", "x_dm", "y_dm")
            ]
            cols = [np.concatenate([c, n]) for c, n in zip(carry, new, strict=True)]
        if not len(cols[0]):
            continue
        # the last person may go on in the next batch: keep them for it
        cut = len(cols[0]) if batch is None else _run_start(cols[0], -1)
        carry = [c[cut:] for c in cols]
        if cut:
            found += split_map(partial(_stays_of, [c[:cut] for c in cols]), cut)
    pq.write_table(
        pa.table(
            {
                n: np.concatenate([f[i] for f in found]) if found else np.empty(0)
                for i, n in enumerate(STAYS.names)
            }
        ).cast(STAYS),
        out,
        compression="zstd",
    )


def _stays_of(cols: list[Ints], part: slice) -> tuple[Ints, ...]:
    """Stays of the people whose rows begin in ``part`` (whole people only)."""
    keys = cols[0]
    a = _run_start(keys, part.start)
    b = len(keys) if part.stop >= len(keys) else _run_start(keys, part.stop)
    person, t, x, y = (c[a:b] for c in cols)
    return everyone_stays(person, t, x, y, *DWELL.kernel_args)


def _run_start(person: Ints, i: int) -> int:
    """Where the rows of the person at row ``i`` begin (rows sorted by person)."""
    return int(np.searchsorted(person, person[i], side="left"))


def _key_ranges(meta: pq.FileMetaData) -> tuple[Ints, Ints]:
    """Each row group's lowest and highest person key, from the footer."""
    at = meta.schema.names.index("person_key")
    stats = [
        meta.row_group(i).column(at).statistics for i in range(meta.num_row_groups)
    ]
    low = np.array([s.min for s in stats], dtype=np.int64)
    return low, np.array([s.max for s in stats], dtype=np.int64)


@dataclass(frozen=True)
class DayTracks:
    """One day's copy: its file, footer, and each row group's lowest and highest
    key (the footer of a city's day is megabytes: parsed once)."""

    path: Path
    meta: pq.FileMetaData
    low: Ints
    high: Ints
    stays: Path | None = None  # everyone's stays that day (:data:`STAYS`)

    @classmethod
    def open(cls, path: Path, stays: Path | None = None) -> DayTracks:
        meta = pq.ParquetFile(path).metadata
        return cls(path, meta, *_key_ranges(meta), stays)

    def read(self, keys: NDArray[np.int64]) -> pa.Table:
        """The rows of ``keys`` (sorted): only the row groups whose range holds one."""
        first = np.searchsorted(keys, self.low, side="left")
        past = np.searchsorted(keys, self.high, side="right")
        groups = np.flatnonzero(past > first).tolist()
        table = pq.ParquetFile(self.path, metadata=self.meta).read_row_groups(
            groups, columns=list(COLUMNS)
        )
        mine = np.isin(table["person_key"].to_numpy(), keys)
        return table.filter(pa.array(mine))


def open_tracks(store: MovementStore, day: date, live: list[str]) -> DayTracks | None:
    """The day's copy if it is current for ``live`` (the day's ping files as
    :func:`day_ping_files` lists them), else None."""
    folder = store.root / TABLE / f"date={day.isoformat()}"
    manifest = _manifest(folder)
    if manifest.get("covers") != live or not manifest.get("file"):
        return None
    path = folder / manifest["file"]
    if not path.exists():
        return None
    stays = folder / manifest["stays"] if manifest.get("stays") else None
    return DayTracks.open(path, stays if stays and stays.exists() else None)
