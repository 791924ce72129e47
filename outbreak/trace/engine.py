"""Reading what an investigation needs from the movement store (the I/O edge).

Three reads, each shaped by ``../shared/design/notes/tracing.md``:

* the case's own pings — from each day's person-ordered copy (``tracks``), a few row
  groups per person; for a day not yet copied, the ``presence`` index names the
  (day, tile) files and bins that hold them;
* other people's pings near the case's stays — one join of those tiles' pings with a
  small *probe* table (one row per stay and 5-minute bin, with the stay's box), the
  probe pinned as the hash-join build side (DuckDB otherwise misjudges a many-file scan
  and hashes the big side);
* visits at the route's places, with KI-Pass tokens resolved to people.

Nothing here checks permissions: :mod:`outbreak.trace.service` does, before calling.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outbreak.arrays import spread
from outbreak.ingest import MovementStore
from outbreak.ingest.schema import BIN_S, TILE_DM
from outbreak.ingest.store import read_parquet_sql
from outbreak.ingest.tracks import DayTracks, day_ping_files, open_tracks
from outbreak.trace.contacts import GPS, TELECOM, PlaceVisits, Presences
from outbreak.trace.route import RouteStay, Track, Visits
from outbreak.trace.stays import HALF_BIN_S
from outbreak.types import KST

Ints = NDArray[np.int64]

# The join key beside the bin: a 500 m cell, so a ping meets only the stays whose box
# overlaps its cell (joining on the bin alone paired every ping of a busy bin with
# every index case's stay in it: 100 index cases cost 100× the rows).
COARSE_DM = 5_000


_PER_STAY_PERSON = (
    "SELECT q.owner, q.sid, p.person_key, p.source = 'gps' AS gps, "
    "avg(p.x_dm) AS x, avg(p.y_dm) AS y, count(DISTINCT p.bin) AS bins, "
    "min(p.t) AS first, max(p.t) AS last "
)
# GPS fixes within the radius of a stay while it lasted; the source filter applies
# as the files are scanned, so base-station rows never reach the join
NEAR_FIXES = (
    f"{_PER_STAY_PERSON} FROM (SELECT * FROM read_parquet(?) WHERE source = 'gps') p "  # noqa: S608
    f"JOIN probe q ON p.bin = q.bin AND p.x_dm // {COARSE_DM} = q.cx "
    f"AND p.y_dm // {COARSE_DM} = q.cy WHERE p.t BETWEEN q.t0 AND q.t1 "
    "AND (p.x_dm - q.sx) * (p.x_dm - q.sx) + (p.y_dm - q.sy) * (p.y_dm - q.sy) "
    "<= q.r2 GROUP BY ALL"
)
# everyone's stays within the radius of a stay, overlapping it: each stands for
# the fixes it holds — its centre, for its share of its fixes in the overlap (a
# stay bridges gaps of up to half an hour without fixes), first and last fix half
# a bin inside the overlap — so the result reads like NEAR_FIXES'
NEAR_STAYS = (
    "SELECT owner, sid, person_key, true AS gps, sum(x_dm * b) / sum(b) AS x, "  # noqa: S608
    "sum(y_dm * b) / sum(b) AS y, sum(b)::BIGINT AS bins, "
    f"min(s0) + {HALF_BIN_S} AS first, max(s1) - {HALF_BIN_S} AS last "
    "FROM (SELECT q.owner, q.sid, s.person_key, s.x_dm, s.y_dm, "
    "greatest(s.t_start, q.t0) AS s0, least(s.t_end, q.t1) AS s1, "
    "greatest(round((s1 - s0) * s.n / (s.t_end - s.t_start)), 1) AS b "
    "FROM read_parquet(?) s "
    f"JOIN near q ON s.x_dm // {COARSE_DM} = q.cx AND s.y_dm // {COARSE_DM} = q.cy "
    "WHERE s.t_start < q.t1 AND s.t_end > q.t0 "
    "AND (s.x_dm - q.sx) * (s.x_dm - q.sx) + (s.y_dm - q.sy) * (s.y_dm - q.sy) "
    "<= q.r2) GROUP BY ALL"
)
# base stations: the stay's own tower (its centre) in the same bins
SAME_TOWER = (
    f"{_PER_STAY_PERSON} FROM (SELECT * FROM read_parquet(?) "  # noqa: S608
    "WHERE source = 'telecom') p JOIN (SELECT DISTINCT owner, sid, bin, sx, sy, "
    "t0, t1 FROM probe) q ON p.bin = q.bin AND p.x_dm = q.sx AND p.y_dm = q.sy "
    "WHERE p.t BETWEEN q.t0 AND q.t1 GROUP BY ALL"
)


def _day(t: int) -> date:
    return datetime.fromtimestamp(t, KST).date()


def _days(window: tuple[int, int]) -> list[date]:
    d0, d1 = _day(window[0]), _day(window[1])
    return [d0 + timedelta(days=k) for k in range((d1 - d0).days + 1)]


def _files(store: MovementStore, cells: Iterable[tuple[date, int, int]]) -> list[str]:
    out = []
    for day, tx, ty in sorted(set(cells)):
        folder = store.root / "pings" / f"date={day.isoformat()}" / f"tile={tx}_{ty}"
        out += [str(p) for p in store.live(folder)] if folder.exists() else []
    return out


def _arrow(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object]
) -> pa.Table:
    table = con.sql(query, params=params).to_arrow_table()
    assert table is not None  # a SELECT always has a result
    return table


P = ParamSpec("P")
R = TypeVar("R")


def _relisted(
    read: Callable[Concatenate[MovementReader, P], R],
) -> Callable[Concatenate[MovementReader, P], R]:
    """Read again, once, with fresh file listings if a file listed earlier has gone:
    a compaction that finished after the reader listed a table replaced it."""

    def again(self: MovementReader, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return read(self, *args, **kwargs)
        except (FileNotFoundError, duckdb.IOException):
            self.forget()
            return read(self, *args, **kwargs)

    functools.update_wrapper(again, read)
    return again


class MovementReader:
    """One DuckDB connection over the store, reused by every read of a task.

    Opening a connection and listing a table's files cost ~15 ms each: per read
    they were half of a one-case query. Not shared across threads.
    """

    def __init__(self, store: MovementStore) -> None:
        self.store = store
        self.con = duckdb.connect()
        self.con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
        self._files: dict[str, list[Path]] = {}
        self._day_files: dict[date, list[str]] | None = None
        self._tracks: dict[date, DayTracks | None] = {}

    def forget(self) -> None:
        """Drop the file listings (the next read lists the store again)."""
        self._files, self._day_files, self._tracks = {}, None, {}

    def files_of(self, table: str) -> list[Path]:
        """A table's files, listed once."""
        if table not in self._files:
            self._files[table] = self.store.files(table)
        return self._files[table]

    def files(self, table: str) -> list[str]:
        """A table's files as strings (for DuckDB)."""
        return [str(p) for p in self.files_of(table)]

    def rel(self, table: str) -> str:
        """A ``read_parquet`` expression over a table's files (hive partitions on)."""
        return read_parquet_sql(self.files(table))

    def own_pings(
        self, keys: list[int], window: tuple[int, int]
    ) -> tuple[Track, Track]:
        """The case's GPS and base-station pings in the window, each sorted by time."""
        return self.own_pings_many({0: keys}, window).get(0, (Track.empty(),) * 2)

    @_relisted
    def own_pings_many(
        self, keys: dict[int, list[int]], window: tuple[int, int]
    ) -> dict[int, tuple[Track, Track]]:
        """(GPS, base-station) tracks of many people at once, keyed by owner.

        Each day is read from its person-ordered copy (:mod:`outbreak.ingest.tracks`)
        where that copy is current, from the tiles the ``presence`` index names
        where it is not (a day ingested since the last compaction).
        """
        every = np.array(sorted({k for ks in keys.values() for k in ks}), np.int64)
        if not len(every):
            return {}
        t0, t1 = window
        by_day = self.day_files()
        parts, tiled = [], []
        for day in _days(window):
            if day not in by_day:
                continue
            copy = self._day_copy(day)
            if copy is None:
                tiled.append(day)
                continue
            rows = copy.read(every)
            t = rows["t"].to_numpy()
            inside = (t >= t0) & (t <= t1)
            parts.append(
                {
                    "person_key": rows["person_key"].to_numpy()[inside],
                    "t": t[inside],
                    "x_dm": rows["x_dm"].to_numpy()[inside],
                    "y_dm": rows["y_dm"].to_numpy()[inside],
                    "gps": np.asarray(
                        rows["source"].to_numpy(zero_copy_only=False) == "gps"
                    )[inside],
                }  # fmt: skip
            )
        if tiled:
            parts.append(self._tile_pings(every, window, tiled))
        if not parts:
            return {}
        cols = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
        order = np.argsort(cols["t"], kind="stable")
        person, gps = cols["person_key"][order], cols["gps"][order].astype(bool)
        xyz = [cols[c][order].astype(np.int64) for c in ("t", "x_dm", "y_dm")]
        out = {}
        for owner, ks in keys.items():
            mine = np.isin(person, ks)
            out[owner] = (
                Track(*(c[mine & gps] for c in xyz)),
                Track(*(c[mine & ~gps] for c in xyz)),
            )
        return out

    def _day_copy(self, day: date) -> DayTracks | None:
        """The day's person-ordered copy (with everyone's stays) if it is current
        for the day's live ping files, opened once; else None."""
        if day not in self._tracks:
            live = self.day_files().get(day)
            self._tracks[day] = open_tracks(self.store, day, live) if live else None
        return self._tracks[day]

    def day_files(self) -> dict[date, list[str]]:
        """Each day's live ping files, listed once."""
        if self._day_files is None:
            self._day_files = day_ping_files(self.store, self.files_of("pings"))
        return self._day_files

    def _tile_pings(
        self, every: np.ndarray, window: tuple[int, int], days: list[date]
    ) -> dict[str, np.ndarray]:
        """The people's pings on ``days`` from the tiles the presence index names."""
        empty = {c: np.empty(0, np.int64) for c in ("person_key", "t", "x_dm", "y_dm")}
        empty["gps"] = np.empty(0, bool)
        if not self.files("presence"):
            return empty
        t0, t1 = window
        presence = self.rel("presence")
        rows = self.con.execute(
            f"SELECT date, code, min(bin_min), max(bin_max) FROM {presence} "  # noqa: S608
            "WHERE person_key IN (SELECT unnest(?)) AND date IN (SELECT unnest(?)) "
            "GROUP BY ALL",
            [every.tolist(), days],
        ).fetchall()
        files = _files(
            self.store, ((d, c // 10_000, c % 10_000) for d, c, _, _ in rows)
        )
        if not files:
            return empty
        b0, b1 = min(r[2] for r in rows), max(r[3] for r in rows)
        table = _arrow(
            self.con,
            "SELECT person_key, t, x_dm, y_dm, source = 'gps' AS gps "
            "FROM read_parquet(?) WHERE person_key IN (SELECT unnest(?)) "
            "AND bin BETWEEN ? AND ? AND t BETWEEN ? AND ?",
            [files, every.tolist(), b0, b1, t0, t1],
        )
        return {
            c: table[c].to_numpy(zero_copy_only=False)
            for c in ("person_key", "t", "x_dm", "y_dm", "gps")
        }

    def own_visits(
        self,
        *,
        phone_keys: list[int],
        card_keys: list[int],
        window: tuple[int, int],
        sources: set[str],
    ) -> Visits:
        """The case's card payments and check-ins (QR tokens resolved by phone)."""
        found = self.own_visits_many(
            {0: (phone_keys, card_keys)}, window=window, sources=sources
        )
        return found.get(0, Visits.empty())

    @_relisted
    def own_visits_many(
        self,
        keys: dict[int, tuple[list[int], list[int]]],
        *,
        window: tuple[int, int],
        sources: set[str],
    ) -> dict[int, Visits]:
        """Visits of many people, keyed by owner: ``keys`` → (phone keys, card keys)."""
        if not self.files("visits") or not sources:
            return {}
        phones = sorted({k for p, _ in keys.values() for k in p})
        cards = sorted({k for _, c in keys.values() for k in c})
        visits = self.rel("visits")
        parts, args = [], []
        if "card" in sources and cards:
            parts.append(
                "SELECT person_key AS who, t, place_id, source FROM v "
                "WHERE source = 'card' AND person_key IN (SELECT unnest(?))"
            )
            args.append(cards)
        if "phone" in sources and phones:
            parts.append(
                "SELECT person_key AS who, t, place_id, source FROM v "
                "WHERE source = 'phone' AND person_key IN (SELECT unnest(?))"
            )
            args.append(phones)
        if "qr" in sources and phones and self.files("qr_identity"):
            parts.append(
                "SELECT i.person_key AS who, v.t, v.place_id, v.source FROM v "  # noqa: S608
                f"JOIN ({_identity(self.rel('qr_identity'))}) i "
                "ON i.token_key = v.person_key "
                "WHERE v.source = 'qr' AND i.person_key IN (SELECT unnest(?))"
            )
            args.append(phones)
        if not parts:
            return {}
        rows = self.con.execute(
            f"WITH v AS (SELECT * FROM {visits} WHERE t BETWEEN ? AND ?) "  # noqa: S608
            f"{' UNION ALL '.join(parts)} ORDER BY t",
            [*window, *args],
        ).fetchall()
        out = {}
        for owner, (p, c) in keys.items():
            mine = set(p) | set(c)
            own = [r for r in rows if r[0] in mine]
            out[owner] = Visits(
                np.array([r[1] for r in own], dtype=np.int64),
                np.array([r[2] for r in own], dtype=np.int64),
                tuple(str(r[3]) for r in own),
            )
        return out

    def presences(self, route: list[RouteStay], *, search_m: float) -> Presences:
        """Who else was at each stay of one route (see :class:`Presences`)."""
        return self.presences_many({0: route}, search_m=search_m).get(
            0, Presences.empty()
        )

    @_relisted
    def presences_many(
        self,
        routes: dict[int, list[RouteStay]],
        *,
        search_m: float | dict[int, float],
        every_fix: bool = False,
    ) -> dict[int, Presences]:
        """For many routes at once, keyed by owner: who else was at each stay,
        aggregated per (stay, person) where the data lies.

        GPS, on a day with everyone's stays (built with its person-ordered copy,
        :mod:`outbreak.ingest.tracks`): the people who *dwelt* within ``search_m``
        of a stay while it lasted — each such stay of theirs counts its centre for
        its share of its fixes in the overlap. On a day ingested since (no current
        copy): every fix within ``search_m``, scanned. The two agree on whoever
        stays put (tested); a person only passing by, never still for a stay's
        dwell time, is seen by the scan alone (``every_fix`` scans every day). Base
        stations (for the stays the towers placed): the same tower in the same
        bins, scanned.
        """
        radius = (
            {o: search_m[o] for o in routes}
            if isinstance(search_m, dict)
            else dict.fromkeys(routes, search_m)
        )
        radius_dm = {o: int(r * 10) for o, r in radius.items()}
        near, cells = _stay_cells(routes, radius_dm)
        indexed = {}
        for day in sorted({c[0] for c in cells}):
            copy = self._day_copy(day)
            if not every_fix and copy is not None and copy.stays is not None:
                indexed[day] = str(copy.stays)
        parts = []
        if indexed:
            self.con.register("near", pa.table(near))
            parts.append(_arrow(self.con, NEAR_STAYS, [sorted(indexed.values())]))
            self.con.unregister("near")
        files = _files(self.store, (c for c in cells if c[0] not in indexed))
        if files:
            self.con.register("probe", _by_bin(near))
            parts.append(_arrow(self.con, NEAR_FIXES, [files]))
            self.con.unregister("probe")
        towers, tcells = _stay_cells(
            routes, radius_dm, keep=lambda s: "telecom" in s.sources
        )
        files = _files(self.store, tcells)  # few stays, where GPS was missing
        if files:
            self.con.register("probe", _by_bin(towers))
            parts.append(_arrow(self.con, SAME_TOWER, [files]))
            self.con.unregister("probe")
        if not parts:
            return {}
        table = _per_stay_person(
            pa.concat_tables([t.cast(parts[0].schema) for t in parts])
        )
        owner = table["owner"].to_numpy()
        ints = {
            c: table[c].to_numpy().astype(np.int64)
            for c in ("sid", "person_key", "bins", "first", "last")
        }
        floats = {c: table[c].to_numpy().astype(np.float64) for c in ("x", "y")}
        source = np.where(table["gps"].to_numpy(zero_copy_only=False), GPS, TELECOM)
        out = {}
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]][: len(owner)])
        for lo, hi in zip(starts, [*starts[1:], len(owner)], strict=True):
            part = slice(lo, hi)
            out[int(owner[lo])] = Presences(
                ints["sid"][part],
                ints["person_key"][part],
                floats["x"][part],
                floats["y"][part],
                ints["bins"][part],
                ints["first"][part],
                ints["last"][part],
                source[part].astype(np.int8),
            )
        return out

    def place_visits(
        self,
        place_ids: list[int],
        window: tuple[int, int],
        *,
        exclude: list[int],
    ) -> PlaceVisits:
        """Everyone's visits at the places in the window, KI-Pass tokens resolved."""
        return self.place_visits_many({0: place_ids}, window, exclude={0: exclude}).get(
            0, PlaceVisits.empty()
        )

    @_relisted
    def place_visits_many(
        self,
        place_ids: dict[int, list[int]],
        window: tuple[int, int],
        *,
        exclude: dict[int, list[int]],
    ) -> dict[int, PlaceVisits]:
        """:meth:`place_visits` for many owners' places in one read, keyed by owner."""
        every = sorted({p for ps in place_ids.values() for p in ps})
        if not every or not self.files("visits"):
            return {}
        visits = self.rel("visits")
        person = "v.person_key"
        join = ""
        if self.files("qr_identity"):
            identity = f"({_identity(self.rel('qr_identity'))})"
            join = (
                f"LEFT JOIN {identity} i "
                "ON v.source = 'qr' AND i.token_key = v.person_key"
            )
            person = "coalesce(i.person_key, v.person_key)"
        table = _arrow(
            self.con,
            f"SELECT {person} AS person, v.place_id, v.t, v.source "  # noqa: S608
            f"FROM {visits} v {join} "
            "WHERE v.place_id IN (SELECT unnest(?)) AND v.t BETWEEN ? AND ? "
            "ORDER BY v.t, v.place_id, person",
            [every, *window],
        )
        every_visit = PlaceVisits(
            table["person"].to_numpy().astype(np.int64),
            table["place_id"].to_numpy().astype(np.int64),
            table["t"].to_numpy().astype(np.int64),
            table["source"].to_numpy(zero_copy_only=False),
        )
        # each owner's rows are slices of the rows sorted by place, put back in
        # time order: no pass over every visit per owner
        by_place = np.argsort(every_visit.place_id, kind="stable")
        sorted_place = every_visit.place_id[by_place]
        out = {}
        for owner, ps in place_ids.items():
            ps_arr = np.asarray(ps, dtype=np.int64)
            lo = np.searchsorted(sorted_place, ps_arr, "left")
            hi = np.searchsorted(sorted_place, ps_arr, "right")
            rows = np.unique(by_place[spread(lo, hi - 1)[1]])
            mine = every_visit.only(rows)
            out[owner] = mine.only(~np.isin(mine.person, exclude.get(owner, [])))
        return out


def _per_stay_person(table: pa.Table) -> pa.Table:
    """One row per (owner, stay, person, source), by owner: a stay across midnight
    whose days were read two ways (one from everyone's stays, one fix by fix) comes
    in two parts — their bins add up, their centres weigh by bins."""
    key = ["owner", "sid", "person_key", "gps"]
    bins = pc.cast(table["bins"], pa.float64())
    table = table.append_column("xb", pc.multiply(table["x"], bins)).append_column(
        "yb", pc.multiply(table["y"], bins)
    )
    merged = table.group_by(key).aggregate(
        [
            ("xb", "sum"),
            ("yb", "sum"),
            ("bins", "sum"),
            ("first", "min"),
            ("last", "max"),
        ]  # fmt: skip
    )
    total = pc.cast(merged["bins_sum"], pa.float64())
    return pa.table(
        {
            **{k: merged[k] for k in key},
            "x": pc.divide(merged["xb_sum"], total),
            "y": pc.divide(merged["yb_sum"], total),
            "bins": merged["bins_sum"],
            "first": merged["first_min"],
            "last": merged["last_max"],
        }
    ).sort_by("owner")


def _identity(rel: str) -> str:
    """KI-Pass tokens → phones, one row per token (overlapping exports repeat rows)."""
    return (
        f"SELECT token_key, any_value(person_key) AS person_key FROM {rel} GROUP BY 1"  # noqa: S608
    )


def _stay_cells(
    routes: dict[int, list[RouteStay]],
    radius_dm: dict[int, int],
    *,
    keep: Callable[[RouteStay], bool] | None = None,
) -> tuple[dict[str, Ints], set[tuple[date, int, int]]]:
    """One row per owner, stay (those ``keep`` keeps, numbered in their route) and
    500 m cell the stay's circle touches, with the stay's centre, times and squared
    radius; and the (day, tile) files that hold what the circles cover."""
    names = ("owner", "sid", "cx", "cy", "sx", "sy", "t0", "t1", "r2")
    cols: dict[str, list[int]] = {k: [] for k in names}
    cells: set[tuple[date, int, int]] = set()
    for owner, route in routes.items():
        search_dm = radius_dm[owner]
        for sid, s in enumerate(route):
            if keep is not None and not keep(s):
                continue
            x0, x1 = s.x_dm - search_dm, s.x_dm + search_dm
            y0, y1 = s.y_dm - search_dm, s.y_dm + search_dm
            for cx in range(x0 // COARSE_DM, x1 // COARSE_DM + 1):
                for cy in range(y0 // COARSE_DM, y1 // COARSE_DM + 1):
                    for k, v in zip(
                        names,
                        (
                            owner,
                            sid,
                            cx,
                            cy,
                            s.x_dm,
                            s.y_dm,
                            s.t_start,
                            s.t_end,
                            search_dm * search_dm,
                        ),  # fmt: skip
                        strict=True,
                    ):
                        cols[k].append(v)
            d0, d1 = _day(s.t_start), _day(s.t_end)
            for day in (d0 + timedelta(days=k) for k in range((d1 - d0).days + 1)):
                for tx in range(x0 // TILE_DM, x1 // TILE_DM + 1):
                    for ty in range(y0 // TILE_DM, y1 // TILE_DM + 1):
                        cells.add((day, tx, ty))
    return {k: np.array(v, dtype=np.int64) for k, v in cols.items()}, cells


def _by_bin(stay_cells: dict[str, Ints]) -> pa.Table:
    """:func:`_stay_cells` rows repeated for each 5-minute bin the stay spans (the
    key the tiles' fixes are joined on)."""
    rows, bins = spread(stay_cells["t0"] // BIN_S, stay_cells["t1"] // BIN_S)
    return pa.table({"bin": bins, **{k: v[rows] for k, v in stay_cells.items()}})
