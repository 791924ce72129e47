"""Source adapters: raw feed rows → canonical rows, or rejected rows with a reason.

One adapter per source, all through the same steps: parse time, pseudonymise the
identifier (each distinct value once; the raw value never leaves this function),
source checks, then duplicates. Every input row ends up either accepted or in the
rejects with its row number and reason — nothing is dropped silently. Rejected rows
are kept with their identifiers masked, so no raw identifier reaches the disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outbreak.errors import InvalidInput
from outbreak.geo.tm import to_5179_dm
from outbreak.ingest.checks import CHECKS, ping_checks
from outbreak.ingest.layout import ping_columns
from outbreak.ingest.schema import (
    PINGS,
    QR_IDENTITY,
    REJECTS,
    VISITS,
    Reason,
)
from outbreak.privacy import Pseudonymiser, key64
from outbreak.types import IdentifierKind

Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
T_MIN = 1_575_158_400  # 2019-12-01: nothing of COVID-19 is older
T_MAX = 2_147_483_647  # int32 seconds
KOREA_LAT = (33.0, 38.7)
KOREA_LON = (124.5, 132.0)
TELECOM_ACCURACY_M = 400  # a base station locates a phone to a few hundred metres
IDENTIFIER_COLUMNS = ("device_id", "msisdn", "card_token", "visitor_token", "phone",
                      "caller_number")  # fmt: skip


@dataclass
class Reference:
    """Lookups an adapter needs: towers and places, by id and by phone number."""

    towers: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → x_dm, y_dm
    places: dict[int, tuple[int, int]] = field(default_factory=dict)
    place_by_phone: dict[str, int] = field(default_factory=dict)

    def tower_arrays(self) -> tuple[Ints, Ints, Ints]:
        """Tower ids (sorted) with their positions, for vectorised lookups."""
        if not hasattr(self, "_towers"):
            ids = np.array(sorted(self.towers), dtype=np.int64)
            xy = np.array([self.towers[i] for i in ids], dtype=np.int64).reshape(-1, 2)
            self._towers = (ids, xy[:, 0], xy[:, 1])
        return self._towers


@dataclass
class Adapted:
    """An adapter's output: canonical rows and rejects (and QR identities)."""

    accepted: pa.Table
    rejects: pa.Table
    identities: pa.Table | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Accepted rows, and rejected rows per reason."""
        out = {"accepted": self.accepted.num_rows}
        reasons = self.rejects["reason"].to_pylist()
        for reason in sorted(set(reasons)):
            out[reason] = reasons.count(reason)
        return out


def mask(value: object) -> str:
    """Hide an identifier but its last two characters, whatever its length.

    Examples
    --------
    >>> mask("01012345678"), mask("1234"), mask("7")
    ('*********78', '**34', '*')
    """
    text = str(value)
    keep = 2 if len(text) > 3 else 0
    return "*" * (len(text) - keep) + text[len(text) - keep :]


@dataclass(frozen=True)
class Keys:
    """Pseudonymised identifiers as integer codes into a dictionary of keys."""

    codes: Ints  # into dictionary; missing → its last entry (key 0)
    dictionary: Ints  # key64 of each distinct identifier

    def take(self, mask: Bools) -> pa.Array:
        """The 64-bit keys of the rows in ``mask`` (as stored)."""
        return pa.array(self.dictionary[self.codes[mask]], pa.int64())


class _Rows:
    """Row bookkeeping shared by the adapters: which rows are still in, and why not."""

    def __init__(self, raw: pa.Table) -> None:
        self.raw = raw
        self.n = raw.num_rows
        self.ok: Bools = np.ones(self.n, dtype=bool)
        self.reason: list[tuple[Bools, Reason]] = []
        self.used: set[str] = set()

    def reject(self, bad: Bools, reason: Reason) -> None:
        newly = bad & self.ok
        if newly.any():
            self.reason.append((newly, reason))
            self.ok &= ~newly

    def column(self, name: str) -> pa.ChunkedArray:
        self.used.add(name)
        if name not in self.raw.column_names:
            raise InvalidInput(
                f"Input has no column {name!r} "
                f"(has: {', '.join(self.raw.column_names)})",
                field=name,
            )
        return self.raw[name]

    def numbers(self, name: str, low: float, high: float) -> NDArray[np.float64]:
        """A numeric column; unparseable or out-of-range values are BAD_VALUE."""
        col = self.column(name)
        try:
            x = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            x = np.array([_parse_int(v) for v in col.to_pylist()], dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        finite = np.isfinite(x)
        self.reject(~finite | (x < low) | (x > high), Reason.BAD_VALUE)
        return x if finite.all() else np.where(finite, x, 0.0)

    def times(self, name: str = "timestamp") -> Ints:
        col = self.column(name)
        try:
            t = pc.cast(col, pa.int64(), safe=False).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            t = np.array([_parse_int(v) for v in col.to_pylist()], dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        finite = np.isfinite(t)
        self.reject(~finite | (t < T_MIN) | (t > T_MAX), Reason.BAD_TIME)
        return np.where(finite, t, 0).astype(np.int64)

    def keys(self, name: str, kind: IdentifierKind, pseudo: Pseudonymiser) -> Keys:
        """Pseudonymise a column: each distinct identifier is hashed once.

        Codes are canonical: two rows share a code exactly when they share a key,
        even when the input's own dictionary holds a value twice.
        """
        col = self.column(name)
        if pa.types.is_dictionary(col.type):  # e.g. Parquet written by pyarrow
            encoded = col.unify_dictionaries().combine_chunks()
            encoded = pa.DictionaryArray.from_arrays(
                encoded.indices, pc.cast(encoded.dictionary, pa.string())
            )
        else:
            encoded = pc.dictionary_encode(pc.cast(col, pa.string())).combine_chunks()
        values = encoded.dictionary.to_pylist()
        keys = pseudo.person_keys([str(v) for v in values], kind)
        key64s = np.array([key64(k) if k else 0 for k in keys], dtype=np.int64)
        valid = np.array([k is not None for k in keys] + [False])
        dictionary, canon = np.unique(key64s, return_inverse=True)
        canon = np.append(canon, len(dictionary))  # null → the sentinel entry
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        codes = np.asarray(codes, dtype=np.int64)
        self.reject(~valid[codes], Reason.BAD_IDENTIFIER)
        return Keys(canon[codes], np.append(dictionary, 0).astype(np.int64))

    def rejects(self) -> pa.Table:
        lines, reasons = [], []
        for bad, reason in self.reason:
            idx = np.flatnonzero(bad)
            lines.append(idx)
            reasons.extend([reason.value] * len(idx))
        if not lines:
            return REJECTS.empty_table()
        idx = np.concatenate(lines)
        rows = self.raw.take(pa.array(idx)).to_pylist()
        raw = [
            json.dumps(
                {  # only columns the adapter reads; identifiers masked
                    k: (mask(v) if k in IDENTIFIER_COLUMNS else v)
                    for k, v in row.items()
                    if k in self.used
                },
                ensure_ascii=False,
                default=str,
            )
            for row in rows
        ]
        return pa.table(
            {
                "line": pa.array(idx + 1, pa.int64()),
                "reason": pa.array(reasons),
                "raw": pa.array(raw),
            },
            schema=REJECTS,
        )


def _parse_int(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return float("nan")


def _first_of(keys: list[Ints]) -> Bools:
    """True for the first row of each distinct combination of ``keys``."""
    order = np.lexsort(keys[::-1])
    first = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=bool)
        for k in keys:
            same &= k[order][1:] == k[order][:-1]
        first[1:] = ~same
    out = np.zeros(len(order), dtype=bool)
    out[order] = first
    return out


def _pings(
    key: Keys, ok: Bools, t: Ints, x: Ints, y: Ints, acc: Ints, source: str
) -> pa.Table:
    columns = ping_columns(ok, key.dictionary[key.codes], t, x, y, acc)
    n = len(columns["t"])
    source_column = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([source])
    )
    return (
        pa.table({**columns, "source": source_column}).select(PINGS.names).cast(PINGS)
    )


def _check_pings(
    rows: _Rows, key: Keys, t: Ints, acc: Ints, xy: tuple[Ints, Ints] | None = None
) -> None:
    """Duplicates, one fix per person and bin, and (with ``xy``) spikes."""
    code = ping_checks(rows.ok, key.codes, t, acc, xy)
    for i, reason in enumerate(CHECKS):
        rows.reject(code == i + 1, reason)


def adapt_gps(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """GPS fixes from apps: device_id (phone), timestamp, lat, lon, accuracy_m."""
    del ref
    rows = _Rows(raw)
    t = rows.times()
    key = rows.keys("device_id", IdentifierKind.PHONE, pseudo)
    lat = rows.numbers("lat", -90, 90)
    lon = rows.numbers("lon", -180, 180)
    inside = (
        (lat >= KOREA_LAT[0])
        & (lat <= KOREA_LAT[1])
        & (lon >= KOREA_LON[0])
        & (lon <= KOREA_LON[1])
    )
    rows.reject(~inside, Reason.OUTSIDE_COUNTRY)
    acc = rows.numbers("accuracy_m", 0, 10_000).astype(np.int64)
    x, y = to_5179_dm(np.where(rows.ok, lon, 127.5), np.where(rows.ok, lat, 38.0))
    _check_pings(rows, key, t, acc, (x, y))
    return Adapted(_pings(key, rows.ok, t, x, y, acc, "gps"), rows.rejects())


def adapt_telecom(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """Base-station records: msisdn, cell_id, timestamp → pings at the tower."""
    rows = _Rows(raw)
    t = rows.times()
    key = rows.keys("msisdn", IdentifierKind.PHONE, pseudo)
    cell = pc.cast(rows.column("cell_id"), pa.float64()).to_numpy(zero_copy_only=False)
    ids, tx, ty = ref.tower_arrays()
    cell_i = np.nan_to_num(cell, nan=-1).astype(np.int64)
    pos = np.clip(np.searchsorted(ids, cell_i), 0, max(len(ids) - 1, 0))
    known = (
        (len(ids) > 0) & (ids[pos] == cell_i) if len(ids) else np.zeros(rows.n, bool)
    )
    rows.reject(~known, Reason.UNKNOWN_TOWER)
    x, y = np.where(known, tx[pos], 0), np.where(known, ty[pos], 0)
    acc = np.full(rows.n, TELECOM_ACCURACY_M, dtype=np.int64)
    _check_pings(rows, key, t, acc)
    return Adapted(_pings(key, rows.ok, t, x, y, acc, "telecom"), rows.rejects())


def _visits(
    rows: _Rows, key: Keys, t: Ints, place: Ints, source: str, ref: Reference
) -> pa.Table:
    idx = np.flatnonzero(rows.ok)
    dup = ~_first_of([key.codes[idx], t[idx], place[idx]])
    bad = np.zeros(rows.n, dtype=bool)
    bad[idx[dup]] = True
    rows.reject(bad, Reason.DUPLICATE)
    ok = rows.ok
    xy = np.array([ref.places[int(p)] for p in place[ok]], dtype=np.int64).reshape(
        -1, 2
    )
    return pa.table(
        {
            "person_key": key.take(ok),
            "place_id": pa.array(place[ok], pa.int32()),
            "t": pa.array(t[ok], pa.int32()),
            "source": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(int(ok.sum()), dtype=np.int32)), pa.array([source])
            ),
            "x_dm": pa.array(xy[:, 0], pa.int32()),
            "y_dm": pa.array(xy[:, 1], pa.int32()),
        },
        schema=VISITS,
    )


def _known_places(rows: _Rows, ids: np.ndarray, ref: Reference) -> Ints:
    out = np.full(len(ids), -1, dtype=np.int64)
    for i, v in enumerate(ids):
        number = _parse_int(v) if v is not None else float("nan")
        if np.isfinite(number) and int(number) in ref.places:
            out[i] = int(number)
    rows.reject(out < 0, Reason.UNKNOWN_VENUE)
    return out


def adapt_card(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """Card transactions: card_token, merchant_id, timestamp, amount_krw → visits.

    The person key is the *card's* key; card issuers link cards to people.
    """
    rows = _Rows(raw)
    t = rows.times()
    key = rows.keys("card_token", IdentifierKind.CARD, pseudo)
    place = _known_places(
        rows, rows.column("merchant_id").to_numpy(zero_copy_only=False), ref
    )
    rows.numbers("amount_krw", 0, 1e9)
    return Adapted(_visits(rows, key, t, place, "card", ref), rows.rejects())


def adapt_qr(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """KI-Pass check-ins: venue_id, visitor_token, timestamp → visits by token key."""
    rows = _Rows(raw)
    t = rows.times()
    key = rows.keys("visitor_token", IdentifierKind.QR_TOKEN, pseudo)
    place = _known_places(
        rows, rows.column("venue_id").to_numpy(zero_copy_only=False), ref
    )
    return Adapted(_visits(rows, key, t, place, "qr", ref), rows.rejects())


def adapt_qr_identity(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """KI-Pass identity table: visitor_token, phone, issued_at → token key ↔ person key.

    Stored apart from the visits; joined only by an authorised, audited call.
    """
    del ref
    rows = _Rows(raw)
    t = rows.times("issued_at")
    token = rows.keys("visitor_token", IdentifierKind.QR_TOKEN, pseudo)
    person = rows.keys("phone", IdentifierKind.PHONE, pseudo)
    idx = np.flatnonzero(rows.ok)
    dup = ~_first_of([token.codes[idx]])
    bad = np.zeros(rows.n, dtype=bool)
    bad[idx[dup]] = True
    rows.reject(bad, Reason.DUPLICATE)
    ok = rows.ok
    table = pa.table(
        {
            "token_key": token.take(ok),
            "person_key": person.take(ok),
            "t": pa.array(t[ok], pa.int32()),
        },
        schema=QR_IDENTITY,
    )
    return Adapted(table, rows.rejects())


def adapt_phone(raw: pa.Table, pseudo: Pseudonymiser, ref: Reference) -> Adapted:
    """안심콜 check-ins: venue_number, caller_number, timestamp → visits."""
    rows = _Rows(raw)
    t = rows.times()
    key = rows.keys("caller_number", IdentifierKind.PHONE, pseudo)
    numbers = rows.column("venue_number").to_pylist()
    ids = np.array([ref.place_by_phone.get(str(n)) for n in numbers], dtype=object)
    place = _known_places(rows, ids, ref)
    return Adapted(_visits(rows, key, t, place, "phone", ref), rows.rejects())


ADAPTERS: dict[str, Callable[[pa.Table, Pseudonymiser, Reference], Adapted]] = {
    "gps": adapt_gps,
    "telecom": adapt_telecom,
    "card": adapt_card,
    "qr": adapt_qr,
    "qr_identity": adapt_qr_identity,
    "phone": adapt_phone,
}
TABLE_OF = {"gps": "pings", "telecom": "pings", "card": "visits", "qr": "visits",
            "phone": "visits", "qr_identity": "qr_identity"}  # fmt: skip
