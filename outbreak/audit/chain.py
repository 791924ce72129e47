"""The audit log's hash chain (pure).

Each entry's hash is SHA-256 over its own fields and the previous entry's hash, and
each entry carries a sequence number one above the previous one. Editing an entry
breaks its own hash; deleting or inserting one breaks the next entry's link and the
sequence. Deleting entries at the *end* leaves a valid shorter chain: compare the head
hash with one kept elsewhere (``outbreak audit verify --expect-head``) to catch that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64
FIELD_LIMITS = {"actor": 64, "role": 200, "action": 40, "subject_type": 20,
                "subject_id": 64, "purpose": 200, "outcome": 10}  # fmt: skip


@dataclass(frozen=True)
class AuditFields:
    """What an audit entry says: who did what to whom, why, and how it ended."""

    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str
    outcome: str  # "allowed" or "denied"
    detail: str = ""

    def __post_init__(self) -> None:
        # Fit the columns (PostgreSQL refuses longer values, which would lose the
        # entry — worst of all for a denied attempt): cut, and mark the cut.
        for name, limit in FIELD_LIMITS.items():
            value = getattr(self, name)
            if len(value) > limit:
                object.__setattr__(self, name, value[: limit - 1] + "…")


@dataclass(frozen=True)
class ChainedEntry:
    """An audit entry as stored: its fields plus its place in the chain."""

    seq: int
    at: datetime
    fields: AuditFields
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    """One place where the stored chain does not verify."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def _utc_iso(at: datetime) -> str:
    # SQLite gives back naive datetimes, PostgreSQL aware ones: hash UTC either way.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(seq: int, at: datetime, fields: AuditFields, prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's canonical JSON form, chained to ``prev_hash``."""
    body = {
        "seq": seq,
        "at": _utc_iso(at),
        "prev": prev_hash,
        **fields.__dict__,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_chain(entries: Iterable[ChainedEntry]) -> list[ChainProblem]:
    """Every break in ``entries`` (in stored order); an empty list means intact.

    Examples
    --------
    >>> from datetime import datetime
    >>> f = AuditFields("kim", "admin", "case.read", "case", "1", "review", "allowed")
    >>> t = datetime(2020, 3, 1)
    >>> h1 = entry_hash(1, t, f, GENESIS_HASH)
    >>> good = [ChainedEntry(1, t, f, GENESIS_HASH, h1)]
    >>> verify_chain(good)
    []
    >>> forged = AuditFields("kim", "admin", "case.read", "case", "2", "review",
    ...                      "allowed")
    >>> bad = [ChainedEntry(1, t, forged, GENESIS_HASH, h1)]
    >>> [str(p) for p in verify_chain(bad)]
    ['entry 1: contents do not match its hash (edited)']
    """
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS_HASH, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(
                    entry.seq,
                    f"sequence jumps from {expected_seq - 1} to {entry.seq} "
                    f"({entry.seq - expected_seq} entries deleted?)",
                )
            )
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    entry.seq,
                    "link to the previous entry is broken (deleted or "
                    "inserted entry before it)",
                )
            )
        if entry_hash(entry.seq, entry.at, entry.fields, entry.prev_hash) != entry.hash:
            problems.append(
                ChainProblem(entry.seq, "contents do not match its hash (edited)")
            )
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    return problems
