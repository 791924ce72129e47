"""Compaction: fewer files, the same rows, and crash-safe both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.ingest import MovementStore, compact, ingest_file, recover
from outbreak.ingest.compact import _merge
from outbreak.privacy import Keys
from outbreak.store.tables import IngestBatchRow
from tests.ingest.test_adapters import OTHER, PHONE, REF, T0, gps
from tests.ingest.test_service import ops, store, write  # noqa: F401

__all__ = ["ops", "store"]


def _rows(store: MovementStore) -> list[tuple[object, ...]]:
    con, rel = store.query("pings")
    return con.execute(
        f"SELECT * EXCLUDE (date, tile) FROM {rel} ORDER BY ALL"
    ).fetchall()  # noqa: S608


def _presence(store: MovementStore) -> list[tuple[object, ...]]:
    con, rel = store.query("presence")
    return con.execute(f"SELECT * EXCLUDE (date) FROM {rel} ORDER BY ALL").fetchall()  # noqa: S608


def _two_files(tmp_path: Path) -> list[Path]:
    return [
        write(
            tmp_path,
            f"{who}.parquet",
            [gps(T0 + 300 * i + k, device=who) for i in range(30)],
        )
        for k, who in enumerate((PHONE, OTHER))
    ]


def test_compaction_merges_files_and_keeps_every_row(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,  # noqa: F811
) -> None:
    for path in _two_files(tmp_path):
        ingest_file(ops, keys, store, "gps", path, REF)
    before = _rows(store)
    files = store.files("pings") + store.files("presence")
    dirs = {p.parent for p in files}
    assert len(files) == 2 * len(dirs)
    presence = _presence(store)
    summary = compact(ops, store)
    assert (summary.partitions, summary.files_before) == (len(dirs), 2 * len(dirs))
    after = store.files("pings") + store.files("presence")
    assert len(after) == len(dirs) == summary.files_after
    assert _presence(store) == presence
    assert _rows(store) == before
    for f in store.files("pings"):
        bins = pq.read_table(f)["bin"].to_pylist()
        assert bins == sorted(bins)
    again = compact(ops, store)
    assert again.partitions == 0  # nothing left to merge
    # the catalog still knows the files: re-ingesting changes nothing
    assert all(
        ingest_file(ops, keys, store, "gps", p, REF).skipped
        for p in _two_files(tmp_path)
    )
    assert _rows(store) == before


@pytest.mark.parametrize("moved", [True, False])
def test_a_compaction_killed_midway_is_finished_or_undone(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,  # noqa: F811
    moved: bool,
) -> None:
    for path in _two_files(tmp_path):
        ingest_file(ops, keys, store, "gps", path, REF)
    before = _rows(store)
    files = sorted(store.files("pings"))
    directory = files[0].parent
    olds = sorted(directory.glob("part-*.parquet"))
    # what compact() leaves when killed: the marker, and the merged file staged or moved
    row = IngestBatchRow(
        source="compact",
        file_name=str(directory.relative_to(store.root)),
        sha256="-",
        state="committing",
        actor="ops",
        rows_in=0,
        detail=json.dumps([p.name for p in olds]),
    )
    session.add(row)
    session.commit()
    merged = _merge(olds, "pings")
    target = directory if moved else store.root / ".staging" / str(row.id)
    target.mkdir(parents=True, exist_ok=True)
    store.mark_superseded(directory, row.id, [p.name for p in olds])
    pq.write_table(merged, target / f"part-{row.id}.parquet")
    assert _rows(store) == before  # readers see each row once even before recovery
    assert recover(session, store) == 1
    session.refresh(row)
    assert row.state == ("done" if moved else "failed")
    names = sorted(p.name for p in directory.glob("*"))
    assert names == ([f"part-{row.id}.parquet"] if moved else [p.name for p in olds])
    assert not (store.root / ".staging" / str(row.id)).exists()
    assert _rows(store) == before  # no row lost, none doubled
