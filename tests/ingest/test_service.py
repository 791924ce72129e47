"""Ingest end to end: catalog, idempotence, crash safety, audited reads, retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.errors import PermissionDenied
from outbreak.ingest import (
    ADAPTERS,
    MovementStore,
    Reference,
    apply_retention,
    ingest_file,
    person_pings,
    recover,
    resolve_qr_visitors,
)
from outbreak.privacy import Keys, key64
from outbreak.store.tables import AuditRow, IngestBatchRow
from outbreak.types import IdentifierKind, Role
from tests.ingest.test_adapters import PHONE, REF, T0, gps

MakeUser = Callable[..., Principal]


@pytest.fixture
def store(tmp_path: Path) -> MovementStore:
    return MovementStore(tmp_path / "movement")


@pytest.fixture
def ops(session: Session, make_user: MakeUser) -> Access:
    return Access(session, make_user("ops", Role.INVESTIGATOR), "tracing test")


def write(tmp_path: Path, name: str, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def gps_file(tmp_path: Path, name: str = "gps.parquet") -> Path:
    rows = [gps(T0 + 300 * i + 7) for i in range(24)] + [gps(None)]  # type: ignore[arg-type]
    return write(tmp_path, name, rows)


def test_ingest_is_catalogued_and_idempotent(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path, session: Session
) -> None:
    path = gps_file(tmp_path)
    first = ingest_file(ops, keys, store, "gps", path, REF)
    assert (first.rows_in, first.accepted, first.rejected) == (25, 24, 1)
    assert first.counts == {"accepted": 24, "bad_time": 1}
    files = sorted(p.name for p in store.root.rglob("*.parquet"))
    again = ingest_file(ops, keys, store, "gps", path, REF)
    assert again.skipped and again.batch == first.batch
    assert sorted(p.name for p in store.root.rglob("*.parquet")) == files
    batch = session.get(IngestBatchRow, first.batch)
    assert batch is not None and batch.state == "done" and batch.actor == "ops"
    con, rel = store.query("pings")
    assert con.execute(f"SELECT count(*) FROM {rel}").fetchone() == (24,)  # noqa: S608
    rejects = list(store.root.glob("rejects/date=*/source=gps/*.parquet"))
    assert pq.read_table(rejects[0])["reason"].to_pylist() == ["bad_time"]


def test_partitions_are_sorted_for_queries(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    ingest_file(ops, keys, store, "gps", gps_file(tmp_path), REF)
    for f in store.files("pings"):
        assert "date=2020-05-04" in str(f) and "tile=" in str(f)
        table = pq.read_table(f)
        bins = table["bin"].to_pylist()
        assert bins == sorted(bins)


def test_crash_mid_commit_leaves_nothing(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(
        tmp_path,
        "many.parquet",
        [
            gps(T0 + 86_400 * d + 7, lat=37.4 + 0.05 * k, device=f"0101234567{k}")
            for d in range(3)
            for k in range(3)
        ],
    )
    moved: list[Path] = []
    real_replace = Path.replace

    def dying_replace(self: Path, target: Path) -> Path:  # type: ignore[override]
        if moved:
            raise KeyboardInterrupt("killed mid-commit")  # after one file moved
        moved.append(Path(target))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(ops, keys, store, "gps", path, REF)
    monkeypatch.undo()
    assert moved and not store.files("pings"), "the moved file was undone"
    failed = session.scalars(sa.select(IngestBatchRow)).all()
    assert [b.state for b in failed] == ["failed"]
    summary = ingest_file(ops, keys, store, "gps", path, REF)  # the retry works
    assert summary.accepted == 9 and not summary.skipped


def test_recover_undoes_a_batch_left_committing(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,
) -> None:
    done = ingest_file(ops, keys, store, "gps", gps_file(tmp_path), REF)
    # what a SIGKILL after the first rename leaves: a committing row, files in place
    row = IngestBatchRow(
        source="gps", file_name="x", sha256="0" * 64, state="committing", actor="ops"
    )
    session.add(row)
    session.commit()
    orphan = (
        store.root / "pings" / "date=2020-05-04" / "tile=1_1" / f"part-{row.id}.parquet"
    )
    orphan.parent.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1]}), orphan)
    assert recover(session, store) == 1
    assert not orphan.exists() and store.files("pings")
    assert session.get(IngestBatchRow, row.id).state == "failed"  # type: ignore[union-attr]
    assert session.get(IngestBatchRow, done.batch).state == "done"  # type: ignore[union-attr]


def test_qr_identity_join_is_authorised_and_audited(
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,
    make_user: MakeUser,
) -> None:
    token = "0a6a44dee36a0bbf"
    ingest_file(
        ops,
        keys,
        store,
        "qr",
        write(
            tmp_path,
            "qr.parquet",
            [{"venue_id": 100, "visitor_token": token, "timestamp": T0 + 3600}],
        ),
        REF,
    )
    ingest_file(
        ops,
        keys,
        store,
        "qr_identity",
        write(
            tmp_path,
            "id.parquet",
            [{"visitor_token": token, "phone": PHONE, "issued_at": T0 + 3590}],
        ),
        REF,
    )
    person = key64(keys.pseudonymiser.person_key(PHONE, IdentifierKind.PHONE))
    con, visits = store.query("visits")
    stored = con.execute(f"SELECT person_key FROM {visits}").fetchall()  # noqa: S608
    assert stored != [(person,)], "visits hold the token's key, not the person's"
    found = resolve_qr_visitors(ops, store, 100, T0, T0 + 7200)
    assert found == [{"person_key": person, "t": T0 + 3600}]
    analyst = Access(session, make_user("lee", Role.ANALYST), "curiosity")
    with pytest.raises(PermissionDenied):
        resolve_qr_visitors(analyst, store, 100, T0, T0 + 7200)
    entries = session.scalars(
        sa.select(AuditRow).where(AuditRow.subject_type == "place")
    ).all()
    assert [(e.actor, e.outcome) for e in entries] == [
        ("ops", "allowed"),
        ("lee", "denied"),
    ]


def test_person_pings_are_audited(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path, session: Session
) -> None:
    ingest_file(ops, keys, store, "gps", gps_file(tmp_path), REF)
    person = key64(keys.pseudonymiser.person_key(PHONE, IdentifierKind.PHONE))
    pings = person_pings(ops, store, person, T0, T0 + 3600)
    assert len(pings) == 12 and pings[0]["source"] == "gps"
    last = session.scalars(sa.select(AuditRow).order_by(AuditRow.seq.desc())).first()
    assert last is not None and last.action == "movement.read"


def test_retention_deletes_exactly_what_is_past(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path, session: Session
) -> None:
    rows = [gps(T0 + 86_400 * d + 7) for d in range(5)]  # 2020-05-04 .. 05-08
    ingest_file(ops, keys, store, "gps", write(tmp_path, "days.parquet", rows), REF)
    dry = apply_retention(
        session,
        store,
        today=date(2020, 5, 10),
        visits_days=28,
        pings_days=4,
        dry_run=True,
    )
    # pings and their presence index go together
    assert sorted((g.table, g.day.isoformat()) for g in dry) == [
        (table, day)
        for table in ("pings", "presence")
        for day in ("2020-05-04", "2020-05-05")
    ]
    assert len(list(store.partitions("pings"))) == 5
    apply_retention(
        session, store, today=date(2020, 5, 10), visits_days=28, pings_days=4
    )
    for table in ("pings", "presence"):
        assert [d.isoformat() for d, _ in store.partitions(table)] == [
            "2020-05-06",
            "2020-05-07",
            "2020-05-08",
        ]
    purges = session.scalars(
        sa.select(AuditRow).where(AuditRow.action == "movement.purge")
    ).all()
    assert sorted((p.subject_type, p.subject_id) for p in purges) == sorted(
        (t, d) for t in ("pings", "presence") for d in ("2020-05-04", "2020-05-05")
    )


fixes = st.lists(
    st.tuples(
        st.integers(0, 86_399),
        st.floats(37.45, 37.65),
        st.floats(126.85, 127.15),
        st.integers(5, 60),
        st.sampled_from([PHONE, "01011112222", "01033334444"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fixes)
def test_round_trip_raw_to_parquet_to_canonical(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple]
) -> None:  # type: ignore[type-arg]
    from outbreak.privacy import Pseudonymiser

    pseudo = Pseudonymiser("round-trip-" + "k" * 32)
    raw = pa.Table.from_pylist(
        [
            {"device_id": d, "timestamp": T0 + s, "lat": la, "lon": lo, "accuracy_m": a}
            for s, la, lo, a, d in rows
        ]
    )
    adapted = ADAPTERS["gps"](raw, pseudo, Reference())
    assert adapted.accepted.num_rows + adapted.rejects.num_rows == len(rows)
    store = MovementStore(tmp_path_factory.mktemp("rt"))
    store.stage("pings", adapted.accepted, 1)
    store.commit(1)
    con, rel = store.query("pings")
    if adapted.accepted.num_rows == 0:
        return
    back = con.execute(
        f"SELECT person_key, t, x_dm, y_dm, accuracy_m, bin, gkey FROM {rel} "  # noqa: S608
        "ORDER BY person_key, t"
    ).fetchall()
    want = sorted(
        (
            r["person_key"],
            r["t"],
            r["x_dm"],
            r["y_dm"],
            r["accuracy_m"],
            r["bin"],
            r["gkey"],
        )
        for r in adapted.accepted.to_pylist()
    )
    assert back == want


KILLED_INGEST = r"""
import sys, time
from pathlib import Path
import sqlalchemy as sa
from outbreak.audit import Access
from outbreak.auth import Principal
from outbreak.ingest import MovementStore, ingest_file
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.types import Role
from tests.ingest.test_adapters import REF

real = Path.replace
def slow_replace(self, target):
    out = real(self, target)
    time.sleep(30)  # the parent kills us here, after the first file moved
    return out
Path.replace = slow_replace
url, root, path = sys.argv[1:4]
session = make_sessionmaker(make_engine(url))()
who = Principal("ops", frozenset({Role.INVESTIGATOR}), frozenset({"*"}))
keys = Keys(pseudonym_key="k" * 40, data_key="d" * 40)
ingest_file(Access(session, who, "kill test"), keys, MovementStore(Path(root)), "gps",
            Path(path), REF)
"""


def test_sigkill_mid_commit_is_undone_by_the_next_ingest(
    db_url: str,
    ops: Access,
    keys: Keys,
    store: MovementStore,
    tmp_path: Path,
    session: Session,
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = write(
        tmp_path,
        "many.parquet",
        [
            gps(T0 + 86_400 * d + 7, lat=37.4 + 0.05 * k, device=f"0101234567{k}")
            for d in range(3)
            for k in range(3)
        ],
    )
    child = subprocess.Popen(  # noqa: S603 - our own code
        [sys.executable, "-c", KILLED_INGEST, db_url, str(store.root), str(path)],
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 60
    while not store.files("pings"):
        assert child.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "no file was committed in time"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert len(store.files("pings")) >= 1  # a partial batch is on disk…
    stuck = session.scalars(sa.select(IngestBatchRow)).all()
    assert [b.state for b in stuck] == ["committing"]
    summary = ingest_file(ops, keys, store, "gps", path, REF)  # …until the next ingest
    assert summary.accepted == 9 and not summary.skipped
    con, rel = store.query("pings")
    assert con.execute(f"SELECT count(*) FROM {rel}").fetchone() == (9,)  # noqa: S608
    session.expire_all()
    states = sorted(b.state for b in session.scalars(sa.select(IngestBatchRow)))
    assert states == ["done", "failed"]
