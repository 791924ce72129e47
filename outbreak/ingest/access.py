"""Reading movement data: only through authorised, audited calls.

KI-Pass kept visit records and identities apart; so do we. Visits from QR check-ins
carry only the *token's* key; :func:`resolve_qr_visitors` joins tokens to people, and
only for a health authority (``movement.read``) stating a purpose, one audit entry
per call naming the venue and window.
"""

from __future__ import annotations

from outbreak.audit import Access
from outbreak.auth.roles import Permission
from outbreak.ingest.store import MovementStore


def person_pings(
    access: Access, store: MovementStore, person_key: int, start: int, end: int
) -> list[dict[str, object]]:
    """A person's pings (by ``key64`` of the person key) between two times (audited)."""
    access.check(
        Permission.MOVEMENT_READ,
        subject_type="person",
        subject_id=str(person_key),
        detail=f"pings {start}-{end}",
    )
    con, rel = store.query("pings")
    rows = con.execute(
        f"SELECT t, x_dm, y_dm, accuracy_m, source FROM {rel} "  # noqa: S608 - our path
        "WHERE person_key = ? AND t BETWEEN ? AND ? ORDER BY t",
        [person_key, start, end],
    ).fetchall()
    return [
        dict(zip(("t", "x_dm", "y_dm", "accuracy_m", "source"), r, strict=True))
        for r in rows
    ]


def resolve_qr_visitors(
    access: Access, store: MovementStore, place_id: int, start: int, end: int
) -> list[dict[str, object]]:
    """People who checked in by QR at a place in a window: the KI-Pass join."""
    access.check(
        Permission.MOVEMENT_READ,
        subject_type="place",
        subject_id=str(place_id),
        detail=f"KI-Pass identity join {start}-{end}",
    )
    con, visits = store.query("visits")
    _, identity = store.query("qr_identity")
    if not store.files("visits") or not store.files("qr_identity"):
        return []
    rows = con.execute(
        f"SELECT i.person_key, v.t FROM {visits} v "  # noqa: S608 - our own paths
        f"JOIN {identity} i ON i.token_key = v.person_key "
        "WHERE v.source = 'qr' AND v.place_id = ? AND v.t BETWEEN ? AND ? ORDER BY v.t",
        [place_id, start, end],
    ).fetchall()
    return [{"person_key": r[0], "t": r[1]} for r in rows]
