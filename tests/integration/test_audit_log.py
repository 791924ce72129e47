"""The audit log in the database: append-only, tamper-evident, linear under load."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbreak.audit import AuditFields, verify
from outbreak.store import make_sessionmaker, session_scope
from outbreak.store.queries.audit import append_entry
from outbreak.store.tables import AuditRow


def fields(i: int) -> AuditFields:
    return AuditFields(
        "kim", "investigator", "case.read", "case", str(i), "tracing", "allowed"
    )


def fill(session: Session, n: int) -> None:
    for i in range(n):
        append_entry(session=session, fields=fields(i))
    session.commit()


def tamper(engine: sa.Engine, statement: str) -> None:
    """What a database administrator could do: bypass the append-only trigger."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(sa.text(statement))
            conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            triggers = (
                conn.execute(
                    sa.text("SELECT sql FROM sqlite_master WHERE type='trigger'")
                )
                .scalars()
                .all()
            )
            conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
            conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(sa.text(statement))
            for sql in triggers:
                conn.execute(sa.text(sql))


def test_intact_log_verifies(session: Session) -> None:
    fill(session, 20)
    report = verify(session)
    assert report.ok and report.count == 20 and report.head_hash is not None


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET purpose = 'x'", "DELETE FROM audit_log"],
)
def test_database_refuses_update_and_delete(
    session: Session, engine: sa.Engine, statement: str
) -> None:
    fill(session, 3)
    with (
        pytest.raises(sa.exc.DatabaseError, match="append-only"),
        engine.begin() as conn,
    ):
        conn.execute(sa.text(statement))
    assert verify(session).count == 3


def test_edited_row_is_detected_and_named(session: Session, engine: sa.Engine) -> None:
    fill(session, 10)
    tamper(engine, "UPDATE audit_log SET subject_id = '999' WHERE seq = 4")
    session.expire_all()
    report = verify(session)
    assert not report.ok
    assert [(p.seq, "edited" in p.problem) for p in report.problems] == [(4, True)]


def test_deleted_row_is_detected_and_named(session: Session, engine: sa.Engine) -> None:
    fill(session, 10)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 6")
    session.expire_all()
    report = verify(session)
    assert {p.seq for p in report.problems} == {7}
    assert report.count == 9


def test_concurrent_writers_keep_one_chain(engine: sa.Engine, session: Session) -> None:
    factory = make_sessionmaker(engine)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(15):
                with session_scope(factory) as s:
                    append_entry(session=s, fields=fields(offset + i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify(session)
    assert report.ok and report.count == 60
    seqs = session.scalars(sa.select(AuditRow.seq).order_by(AuditRow.seq)).all()
    assert seqs == list(range(1, 61))


def test_denied_attempt_survives_the_rollback(
    session: Session, make_user: Callable[..., object]
) -> None:
    from outbreak.audit import Access
    from outbreak.auth.roles import Permission
    from outbreak.errors import PermissionDenied
    from outbreak.types import Role

    principal = make_user("han", Role.ANALYST)
    access = Access(session, principal, "curiosity")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        access.check(Permission.PERSON_READ, subject_type="person", subject_id="abc")
    session.rollback()  # as the request would on error
    rows = session.scalars(sa.select(AuditRow)).all()
    assert [(r.actor, r.outcome, r.purpose) for r in rows] == [
        ("han", "denied", "curiosity")
    ]
