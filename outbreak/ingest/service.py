"""Ingest files into the movement store: catalogued, idempotent, audited.

A file is identified by its SHA-256: ingesting the same content again changes
nothing. Each file is one batch: its catalog row is committed as ``committing`` before
any file moves, and set to ``done`` after; a batch found ``committing`` later (the
process died) is undone by :func:`recover` before anything else is ingested.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.errors import InvalidInput
from outbreak.ingest.adapters import ADAPTERS, TABLE_OF, Adapted, Reference
from outbreak.ingest.compact import SOURCE as COMPACT_SOURCE
from outbreak.ingest.compact import finish_compaction
from outbreak.ingest.store import MovementStore
from outbreak.privacy import Keys
from outbreak.store.base import utcnow
from outbreak.store.tables import IngestBatchRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchSummary:
    """What happened to one file."""

    batch: int
    file: str
    source: str
    rows_in: int
    accepted: int
    rejected: int
    counts: dict[str, int]
    skipped: bool = False


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_raw(path: Path) -> pa.Table:
    """A raw feed file: Parquet, or CSV with a header row."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        # Every column as text: type guessing would turn 01012345678 into an integer
        # and lose the leading zero; the adapters parse numbers themselves.
        with path.open(encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
        options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
        )
        return pacsv.read_csv(path, convert_options=options)
    raise InvalidInput(f"{path.name}: expected a .parquet or .csv file", field="files")


def recover(session: Session, store: MovementStore) -> int:
    """Undo batches a crash left half-committed (compactions: see there); how many."""
    stuck = session.scalars(
        sa.select(IngestBatchRow).where(IngestBatchRow.state == "committing")
    ).all()
    for row in stuck:
        if row.source == COMPACT_SOURCE:
            finish_compaction(session, store, row)
            log.warning("Finished interrupted compaction %s: %s", row.id, row.state)
            continue
        removed = store.abort(row.id)
        row.state, row.finished_at = "failed", utcnow()
        log.warning("Undid interrupted batch %s (%s files removed)", row.id, removed)
    session.commit()
    return len(stuck)


def ingest_file(
    access: Access,
    keys: Keys,
    store: MovementStore,
    source: str,
    path: Path,
    ref: Reference,
) -> BatchSummary:
    """Ingest one file of ``source`` (gps, telecom, card, qr, qr_identity, phone)."""
    if source not in ADAPTERS:
        raise InvalidInput(
            f"Unknown source {source!r}; expected one of {', '.join(ADAPTERS)}",
            field="source",
        )
    session = access.session
    access.check(
        Permission.MOVEMENT_INGEST,
        subject_type="file",
        subject_id=path.name[:64],
        detail=f"ingest {source}",
    )
    session.commit()
    sha = file_sha256(path)
    with store.lock():  # one ingest at a time: recovery cannot touch a live batch
        recover(session, store)
        done = session.scalar(
            sa.select(IngestBatchRow).where(
                IngestBatchRow.source == source,
                IngestBatchRow.sha256 == sha,
                IngestBatchRow.state == "done",
            )
        )
        if done is not None:
            return BatchSummary(
                done.id,
                path.name,
                source,
                done.rows_in,
                done.accepted,
                done.rejected,
                json.loads(done.detail),
                skipped=True,
            )
        raw = read_raw(path)
        adapted = ADAPTERS[source](raw, keys.pseudonymiser, ref)
        return _commit(
            session,
            store,
            source,
            path,
            sha,
            raw.num_rows,
            adapted,
            access.principal.username,
        )


def _commit(
    session: Session,
    store: MovementStore,
    source: str,
    path: Path,
    sha: str,
    rows_in: int,
    adapted: Adapted,
    actor: str,
) -> BatchSummary:
    batch = IngestBatchRow(
        source=source,
        file_name=str(path)[-500:],
        sha256=sha,
        state="committing",
        actor=actor,
        rows_in=rows_in,
    )
    session.add(batch)
    session.commit()  # the crash marker: recover() undoes a batch left like this
    try:
        store.stage(TABLE_OF[source], adapted.accepted, batch.id)
        store.stage_rejects(source, adapted.rejects, batch.id, date.today())
        store.commit(batch.id)
    except BaseException:
        store.abort(batch.id)
        batch.state = "failed"
        session.commit()
        raise
    counts = adapted.counts
    batch.state, batch.finished_at = "done", utcnow()
    batch.accepted, batch.rejected = adapted.accepted.num_rows, adapted.rejects.num_rows
    batch.detail = json.dumps(counts)
    session.commit()
    return BatchSummary(
        batch.id, path.name, source, rows_in, batch.accepted, batch.rejected, counts
    )


def ingest_city(
    access: Access,
    keys: Keys,
    store: MovementStore,
    city_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Ingest every feed of a synthetic city (``outbreak synth city``) and compact;
    returns the rows newly accepted (0 when all was ingested before)."""
    from outbreak.ingest.compact import compact
    from outbreak.ingest.reference import city_reference

    ref = city_reference(city_dir)
    files = [
        (source, f)
        for source in ADAPTERS
        for f in sorted((city_dir / "feeds" / source).rglob("*.parquet"))
    ]
    new = 0
    for done, (source, path) in enumerate(files, 1):
        summary = ingest_file(access, keys, store, source, path, ref)
        new += 0 if summary.skipped else summary.accepted
        if progress is not None:
            progress(done, len(files))
    compact(access, store)
    return new
