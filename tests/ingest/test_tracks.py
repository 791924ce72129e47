"""The person-ordered copy of each day: the same rows, current or not used at all."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.ingest import MovementStore, compact, ingest_file
from outbreak.ingest import tracks as tracks_module
from outbreak.ingest.retention import apply_retention
from outbreak.ingest.tracks import DayTracks, build_tracks, day_ping_files, open_tracks
from outbreak.privacy import Keys
from outbreak.trace.engine import MovementReader
from outbreak.trace.stays import detect_stays
from tests.ingest.test_adapters import OTHER, PHONE, REF, T0, gps
from tests.ingest.test_service import ops, store, write  # noqa: F401

__all__ = ["ops", "store"]
DAY = date(2020, 5, 4)


def _ingest(ops: Access, keys: Keys, store: MovementStore, tmp: Path, who: str,
            k: int = 0) -> None:  # fmt: skip
    path = write(tmp, f"{who}-{k}.parquet",
                 [gps(T0 + 300 * i + k, device=who) for i in range(40)])  # fmt: skip
    ingest_file(ops, keys, store, "gps", path, REF)


def _pings(store: MovementStore) -> list[tuple[int, int, int, int]]:
    con, rel = store.query("pings")
    return con.execute(
        f"SELECT person_key, t, x_dm, y_dm FROM {rel} ORDER BY ALL"  # noqa: S608
    ).fetchall()


def _copy(store: MovementStore, day: date) -> DayTracks:
    live = day_ping_files(store)[day]
    found = open_tracks(store, day, live)
    assert found is not None
    return found


def test_compaction_writes_a_person_ordered_copy_of_the_same_rows(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    for k, who in enumerate((PHONE, OTHER)):
        _ingest(ops, keys, store, tmp_path, who, k)
    compact(ops, store)
    copy = _copy(store, DAY)
    table = pq.read_table(copy.path)
    cols = ("person_key", "t", "x_dm", "y_dm")
    rows = list(zip(*(table[c].to_pylist() for c in cols), strict=True))
    assert rows == sorted(rows) == _pings(store)  # every ping, by person then time
    assert build_tracks(store) == []  # current: nothing to rebuild


def test_the_copy_carries_everyones_stays_as_a_route_finds_them(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Everyone's stays beside the copy are the stays :func:`detect_stays` finds in
    each person's fixes — also when a person's rows straddle two read batches."""
    for k, who in enumerate((PHONE, OTHER)):
        _ingest(ops, keys, store, tmp_path, who, k)
    monkeypatch.setattr(tracks_module, "BATCH", 7)  # cuts every person
    compact(ops, store)
    copy = _copy(store, DAY)
    assert copy.stays is not None
    stays = pq.read_table(copy.stays)
    assert stays.schema == tracks_module.STAYS
    rows = pq.read_table(copy.path)
    expected = []
    for person in sorted(set(rows["person_key"].to_pylist())):
        mine = rows.filter(pa.compute.equal(rows["person_key"], person))
        found = detect_stays(*(mine[c].to_numpy() for c in ("t", "x_dm", "y_dm")))
        expected += [
            (person, int(a), int(b), int(x), int(y))
            for a, b, x, y in zip(
                found.t_start, found.t_end, found.x_dm, found.y_dm, strict=True
            )
        ]
    got = list(
        zip(
            *(
                stays[c].to_pylist()
                for c in ("person_key", "t_start", "t_end", "x_dm", "y_dm")
            ),
            strict=True,
        )
    )
    assert len(expected) == 2 and got == expected  # one still phone, one stay each
    # a copy written before stays were kept is built again, with them
    manifest = copy.path.parent / tracks_module.MANIFEST
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({"file": old["file"], "covers": old["covers"]}))
    assert _copy(store, DAY).stays is None
    assert build_tracks(store) == [DAY] and _copy(store, DAY).stays is not None


def test_a_day_ingested_since_is_read_from_the_tiles_until_compacted(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    _ingest(ops, keys, store, tmp_path, PHONE)
    compact(ops, store)
    people = sorted({r[0] for r in _pings(store)})
    assert _copy(store, DAY)
    _ingest(ops, keys, store, tmp_path, OTHER, 1)  # a new file for the same day
    live = day_ping_files(store)[DAY]
    assert open_tracks(store, DAY, live) is None  # stale: not used
    everyone = sorted({r[0] for r in _pings(store)})
    assert len(everyone) == len(people) + 1
    window = (T0 - 3600, T0 + 86_400)
    owners = {k: [k] for k in everyone}
    stale = MovementReader(store).own_pings_many(owners, window)
    compact(ops, store)
    current = MovementReader(store).own_pings_many(owners, window)
    assert _copy(store, DAY) is not None
    for k in everyone:
        for a, b in zip(stale[k], current[k], strict=True):
            assert len(a.t) == 40 or len(a.t) == 0
            assert np.array_equal(a.t, b.t) and np.array_equal(a.x_dm, b.x_dm)
    assert sum(len(current[k][0].t) for k in everyone) == 80


def test_reads_only_the_row_groups_that_can_hold_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = np.repeat(np.array([-7, 3, 11, 40], np.int64), 30)  # by key, as built
    table = pa.table({"person_key": people, "t": np.arange(120, dtype=np.int32),
                      "x_dm": np.zeros(120, np.int32), "y_dm": np.zeros(120, np.int32),
                      "source": ["gps"] * 120})  # fmt: skip
    path = tmp_path / "day.parquet"
    pq.write_table(table, path, row_group_size=20)
    copy = DayTracks.open(path)
    assert copy.low.tolist() == [-7, -7, 3, 11, 11, 40]
    read: list[list[int]] = []
    real = pq.ParquetFile.read_row_groups

    def spy(self: pq.ParquetFile, groups: list[int], **kw: object) -> pa.Table:
        read.append(list(groups))
        return real(self, groups, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    rows = copy.read(np.array([3, 40], np.int64))
    assert rows["person_key"].to_pylist() == [3] * 30 + [40] * 30
    assert read[-1] == [1, 2, 4, 5]  # the groups whose key range holds 3 or 40
    assert copy.read(np.array([20], np.int64)).num_rows == 0  # in a range, absent
    assert read[-1] == [4]
    assert copy.read(np.array([99], np.int64)).num_rows == 0
    assert read[-1] == []


def test_a_dead_build_or_a_missing_file_never_serves_wrong_rows(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    _ingest(ops, keys, store, tmp_path, PHONE)
    compact(ops, store)
    copy = _copy(store, DAY)
    leftover = store.root / ".staging" / "tracks" / "part-1.parquet"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a file")
    copy.path.unlink()  # the manifest now names a file that is gone
    live = day_ping_files(store)[DAY]
    assert open_tracks(store, DAY, live) is None
    manifest = copy.path.parent / tracks_module.MANIFEST
    manifest.write_text("{not json")
    assert open_tracks(store, DAY, live) is None
    assert build_tracks(store) == [DAY]
    assert not leftover.exists()
    assert json.loads(manifest.read_text())["covers"] == live
    named = json.loads(manifest.read_text())
    assert sorted(p.name for p in copy.path.parent.glob("*.parquet")) == sorted(
        [named["file"], named["stays"]]
    )


def test_retention_drops_the_copy_with_the_pings(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path, session: Session
) -> None:
    _ingest(ops, keys, store, tmp_path, PHONE)
    compact(ops, store)
    gone = apply_retention(session, store, today=DAY + timedelta(days=30),
                           visits_days=28, pings_days=14)  # fmt: skip
    assert {g.table for g in gone} >= {"pings", "presence", "tracks"}
    assert not (store.root / "tracks" / f"date={DAY.isoformat()}").exists()


def test_a_reader_finds_a_copy_replaced_since_it_looked(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    """A task that opened a day's copy before a compaction replaced it reads the new
    copy, not an error (the old file is gone)."""
    _ingest(ops, keys, store, tmp_path, PHONE)
    compact(ops, store)
    reader = MovementReader(store)
    person = _pings(store)[0][0]
    window = (T0 - 3600, T0 + 86_400)
    before = reader.own_pings_many({1: [person]}, window)[1][0]
    old = _copy(store, DAY).path
    (old.parent / tracks_module.MANIFEST).unlink()
    assert build_tracks(store) == [DAY] and not old.exists()
    after = reader.own_pings_many({1: [person]}, window)[1][0]
    assert len(before.t) == 40 and np.array_equal(before.t, after.t)


def test_a_reader_relists_files_a_compaction_merged_away(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    """A task that listed the presence index before a compaction merged its files
    reads again with fresh listings (DuckDB's missing-file error, not a crash)."""
    for k, who in enumerate((PHONE, OTHER)):
        _ingest(ops, keys, store, tmp_path, who, k)
    reader = MovementReader(store)
    person = _pings(store)[0][0]
    window = (T0 - 3600, T0 + 86_400)
    tiled = reader.own_pings_many({1: [person]}, window)[1][0]  # no copy yet
    listed = reader.files_of("presence")
    compact(ops, store)
    assert not any(p.exists() for p in listed)  # merged away
    again = reader.own_pings_many({1: [person]}, window)[1][0]
    assert len(tiled.t) == 40 and np.array_equal(tiled.t, again.t)
    assert reader.files_of("presence") != listed
