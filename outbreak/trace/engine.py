"""Reading what an investigation needs from the movement store (the I/O edge).

Three reads, each shaped by ``../shared/design/notes/tracing.md``:

* the case's own pings — the ``presence`` index names the (day, tile) files and bins
  that hold them, so a fortnight's route opens a few dozen files, not all of them;
* other people's pings near the case's stays — one join of those tiles' pings with a
  small *probe* table (one row per stay and 5-minute bin, with the stay's box), the
  probe pinned as the hash-join build side (DuckDB otherwise misjudges a many-file scan
  and hashes the big side);
* visits at the route's places, with KI-Pass tokens resolved to people.

Nothing here checks permissions: :mod:`outbreak.trace.service` does, before calling.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from outbreak.ingest import MovementStore
from outbreak.ingest.schema import BIN_S, TILE_DM
from outbreak.trace.contacts import GPS, TELECOM, Candidates, PlaceVisits
from outbreak.trace.route import RouteStay, Track, Visits

KST_S = 9 * 3600


def _day(t: int) -> date:
    return datetime.fromtimestamp(t + KST_S, UTC).date()


def _files(store: MovementStore, cells: Iterable[tuple[date, int, int]]) -> list[str]:
    out = []
    for day, tx, ty in sorted(set(cells)):
        folder = store.root / "pings" / f"date={day.isoformat()}" / f"tile={tx}_{ty}"
        out += [str(p) for p in sorted(folder.glob("*.parquet"))]
    return out


def _arrow(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object]
) -> pa.Table:
    table = con.sql(query, params=params).to_arrow_table()
    assert table is not None  # a SELECT always has a result
    return table


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    return con


def own_pings(
    store: MovementStore, keys: list[int], window: tuple[int, int]
) -> tuple[Track, Track]:
    """The case's GPS and base-station pings in the window, each sorted by time."""
    if not keys or not store.files("presence"):
        return Track.empty(), Track.empty()
    con, presence = store.query("presence")
    t0, t1 = window
    rows = con.execute(
        f"SELECT date, code, min(bin_min), max(bin_max) FROM {presence} "  # noqa: S608
        "WHERE person_key IN (SELECT unnest(?)) AND date BETWEEN ? AND ? "
        "GROUP BY ALL",
        [keys, _day(t0), _day(t1)],
    ).fetchall()
    files = _files(store, ((d, c // 10_000, c % 10_000) for d, c, _, _ in rows))
    if not files:
        return Track.empty(), Track.empty()
    b0, b1 = min(r[2] for r in rows), max(r[3] for r in rows)
    table = _arrow(
        _connect(),
        "SELECT t, x_dm, y_dm, source = 'gps' AS gps FROM read_parquet(?) "
        "WHERE person_key IN (SELECT unnest(?)) AND bin BETWEEN ? AND ? "
        "AND t BETWEEN ? AND ? ORDER BY t",
        [files, keys, b0, b1, t0, t1],
    )
    gps = table["gps"].to_numpy(zero_copy_only=False)

    def track(mask: np.ndarray) -> Track:
        return Track(
            *(table[c].to_numpy().astype(np.int64)[mask] for c in ("t", "x_dm", "y_dm"))
        )

    return track(gps), track(~gps)


def own_visits(
    store: MovementStore,
    *,
    phone_keys: list[int],
    card_keys: list[int],
    window: tuple[int, int],
    sources: set[str],
) -> Visits:
    """The case's card payments and check-ins (QR tokens resolved by phone)."""
    if not store.files("visits") or not sources:
        return Visits.empty()
    con, visits = store.query("visits")
    parts = []
    args: list[object] = []
    if "card" in sources and card_keys:
        parts.append("(source = 'card' AND person_key IN (SELECT unnest(?)))")
        args.append(card_keys)
    if "phone" in sources and phone_keys:
        parts.append("(source = 'phone' AND person_key IN (SELECT unnest(?)))")
        args.append(phone_keys)
    if "qr" in sources and phone_keys and store.files("qr_identity"):
        _, identity = store.query("qr_identity")
        parts.append(
            f"(source = 'qr' AND person_key IN (SELECT token_key FROM {identity} "  # noqa: S608
            "WHERE person_key IN (SELECT unnest(?))))"
        )
        args.append(phone_keys)
    if not parts:
        return Visits.empty()
    rows = con.execute(
        f"SELECT t, place_id, source FROM {visits} "  # noqa: S608 - our own paths
        f"WHERE t BETWEEN ? AND ? AND ({' OR '.join(parts)}) ORDER BY t",
        [*window, *args],
    ).fetchall()
    return Visits(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        tuple(str(r[2]) for r in rows),
    )


def _probe(
    stays: list[RouteStay], search_dm: int
) -> tuple[pa.Table, set[tuple[date, int, int]]]:
    """One row per stay and bin with the stay's box; the (day, tile) cells to read."""
    cols: dict[str, list[int]] = {k: [] for k in ("bin", "x0", "x1", "y0", "y1")}
    cells: set[tuple[date, int, int]] = set()
    for s in stays:
        bins = range(s.t_start // BIN_S, s.t_end // BIN_S + 1)
        box = (
            s.x_dm - search_dm,
            s.x_dm + search_dm,
            s.y_dm - search_dm,
            s.y_dm + search_dm,
        )
        for b in bins:
            cols["bin"].append(b)
            for k, v in zip(("x0", "x1", "y0", "y1"), box, strict=True):
                cols[k].append(v)
        days = {_day(b * BIN_S) for b in (bins[0], bins[-1])}
        for day in days:
            for tx in range(box[0] // TILE_DM, box[1] // TILE_DM + 1):
                for ty in range(box[2] // TILE_DM, box[3] // TILE_DM + 1):
                    cells.add((day, tx, ty))
    return pa.table({k: pa.array(v, pa.int64()) for k, v in cols.items()}), cells


def nearby_pings(
    store: MovementStore, stays: list[RouteStay], *, exclude: list[int], search_m: float
) -> Candidates:
    """Everyone else's pings within ``search_m`` of a stay, during it."""
    if not stays:
        return Candidates.empty()
    probe, cells = _probe(stays, int(search_m * 10))
    files = _files(store, cells)
    if not files:
        return Candidates.empty()
    con = _connect()
    con.register("probe", probe)
    table = _arrow(
        con,
        "SELECT DISTINCT p.person_key, p.t, p.x_dm, p.y_dm, p.source = 'gps' AS gps "
        "FROM read_parquet(?) p JOIN probe q ON p.bin = q.bin "
        "WHERE p.x_dm BETWEEN q.x0 AND q.x1 AND p.y_dm BETWEEN q.y0 AND q.y1 "
        "AND p.person_key NOT IN (SELECT unnest(?))",
        [files, exclude or [0]],
    )
    gps = table["gps"].to_numpy(zero_copy_only=False)
    person, t, x, y = (
        table[c].to_numpy().astype(np.int64)
        for c in ("person_key", "t", "x_dm", "y_dm")
    )
    return Candidates(person, t, x, y, np.where(gps, GPS, TELECOM).astype(np.int8))


def place_visits(
    store: MovementStore,
    place_ids: list[int],
    window: tuple[int, int],
    *,
    exclude: list[int],
) -> PlaceVisits:
    """Everyone's visits at the places in the window, KI-Pass tokens resolved."""
    if not place_ids or not store.files("visits"):
        return PlaceVisits.empty()
    con, visits = store.query("visits")
    person = "v.person_key"
    join = ""
    if store.files("qr_identity"):
        _, identity = store.query("qr_identity")
        join = (
            f"LEFT JOIN {identity} i ON v.source = 'qr' AND i.token_key = v.person_key"
        )
        person = "coalesce(i.person_key, v.person_key)"
    rows = con.execute(
        f"SELECT {person} AS person, v.place_id, v.t, v.source FROM {visits} v {join} "  # noqa: S608
        "WHERE v.place_id IN (SELECT unnest(?)) AND v.t BETWEEN ? AND ? "
        f"AND {person} NOT IN (SELECT unnest(?)) ORDER BY v.t",
        [place_ids, *window, exclude or [0]],
    ).fetchall()
    return PlaceVisits(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int64),
        tuple(str(r[3]) for r in rows),
    )
