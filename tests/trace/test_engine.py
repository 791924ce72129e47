"""The DuckDB reads against NumPy references on the test city's real store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from outbreak.audit import Access
from outbreak.ingest import MovementStore, compact, ingest_file
from outbreak.privacy import Keys, key64
from outbreak.synth.city import phone_of
from outbreak.trace.contacts import (
    GPS,
    TELECOM,
    Candidates,
    PlaceVisits,
    Presences,
    find_contacts,
    presences,
)
from outbreak.trace.engine import MovementReader
from outbreak.trace.places import Places
from outbreak.trace.route import RouteStay, Track, Visits, build_route
from outbreak.trace.service import TraceContext
from outbreak.trace.window import kst_midnight
from outbreak.types import IdentifierKind
from tests.ingest.test_adapters import OTHER, PHONE, REF, T0, gps
from tests.ingest.test_service import ops, store, write  # noqa: F401
from tests.trace.conftest import DAY, City

__all__ = ["ops", "store"]


def _everyone(reader: MovementReader) -> Candidates:
    pings = reader.rel("pings")
    t = reader.con.sql(
        f"SELECT person_key, t, x_dm, y_dm, source = 'gps' AS gps FROM {pings}"  # noqa: S608
    ).to_arrow_table()
    cols = [
        t[c].to_numpy().astype(np.int64) for c in ("person_key", "t", "x_dm", "y_dm")
    ]
    source = np.where(t["gps"].to_numpy(zero_copy_only=False), GPS, TELECOM)
    return Candidates(*cols, source.astype(np.int8))


def test_presences_in_duckdb_match_the_numpy_reference(
    city: City, ctx: TraceContext
) -> None:
    reader = MovementReader(city.store)
    t0 = int(kst_midnight(DAY).timestamp())
    window = (t0, t0 + 2 * 86_400)
    routes = {}
    for pid in (1, 2, 3):
        phone = str(phone_of(np.array([pid]))[0])
        k = key64(city.keys.pseudonymiser.person_key(phone, IdentifierKind.PHONE))
        gps, tel = reader.own_pings([k], window)
        assert len(gps.t) > 100 and (np.diff(gps.t) >= 0).all()
        routes[pid] = build_route(
            gps=gps,
            telecom=tel,
            visits=reader.own_visits(
                phone_keys=[k], card_keys=[], window=window, sources=set()
            ),
            places=ctx.places,
        )
        if pid == 1:  # and routes where base stations placed stays, at the towers:
            routes[101] = build_route(  # alone
                gps=Track.empty(), telecom=tel, visits=Visits.empty(), places=ctx.places
            )
            half = gps.t < (window[0] + window[1]) // 2
            routes[102] = build_route(  # filling the second day, when GPS is missing
                gps=Track(gps.t[half], gps.x_dm[half], gps.y_dm[half]),
                telecom=tel,
                visits=Visits.empty(),
                places=ctx.places,
            )
    assert all("telecom" in s.sources for s in routes[101])
    kinds = ["telecom" in s.sources for s in routes[102]]
    assert not kinds[0] and any(kinds)  # numbered after GPS stays
    many = reader.presences_many(routes, search_m=150, every_fix=True)
    assert (many[101].source == TELECOM).any()
    everyone = _everyone(reader)
    for pid, route in routes.items():
        ref = presences(route, everyone, search_m=150)
        got = many[pid]

        def rows(p):  # type: ignore[no-untyped-def]
            return sorted(
                zip(
                    p.stay.tolist(),
                    p.person.tolist(),
                    p.source.tolist(),
                    p.bins.tolist(),
                    p.first.tolist(),
                    p.last.tolist(),
                    np.round(p.x_dm, 3).tolist(),
                    np.round(p.y_dm, 3).tolist(),
                    strict=True,
                )
            )

        assert len(ref.person) > 0
        assert rows(got) == rows(ref)
    one = reader.presences_many({1: routes[1]}, search_m=150, every_fix=True)[1]
    assert sorted(one.person.tolist()) == sorted(many[1].person.tolist())


def test_everyones_stays_find_the_contacts_every_fix_finds(
    city: City, ctx: TraceContext
) -> None:
    """On compacted days the engine reads who dwelt near a stay from everyone's
    stays, not from every fix: the people it finds at a stay are, with few
    exceptions, those the full scan finds, seen as long (give or take the edge
    bins) at nearly the same place, and so are the close contacts."""
    index = scan = MovementReader(city.store)
    t0 = int(kst_midnight(DAY).timestamp())
    window = (t0, t0 + 2 * 86_400)
    routes, keys = {}, {}
    for pid in range(1, 31):
        phone = str(phone_of(np.array([pid]))[0])
        keys[pid] = key64(
            city.keys.pseudonymiser.person_key(phone, IdentifierKind.PHONE)
        )
        gps, _ = index.own_pings([keys[pid]], window)
        routes[pid] = build_route(
            gps=gps, telecom=Track.empty(), visits=Visits.empty(), places=ctx.places
        )
    assert index._tracks and all(c and c.stays for c in index._tracks.values())
    seen, contacts = {}, {}
    for name, reader in (("index", index), ("scan", scan)):
        near = reader.presences_many(routes, search_m=150, every_fix=name == "scan")
        seen[name] = {
            (pid, k, who): (n, x, y)
            for pid, p in near.items()
            for k, who, n, x, y in zip(
                p.stay, p.person, p.bins, p.x_dm, p.y_dm, strict=True
            )
        }
        contacts[name] = {
            (pid, c.person)
            for pid, route in routes.items()
            for c in find_contacts(
                route,
                index={keys[pid]},
                presences=near.get(pid, Presences.empty()),
                visits=PlaceVisits.empty(),
                household=set(),
                window=window,
                places=ctx.places,
            )
        }
    both = seen["index"].keys() & seen["scan"].keys()
    assert len(both) > 500
    assert len(both) >= 0.8 * len(seen["scan"])  # the rest pass by, or linger out
    a = np.array([seen["index"][k] for k in sorted(both)])
    b = np.array([seen["scan"][k] for k in sorted(both)])
    assert np.mean(np.abs(a[:, 0] - b[:, 0]) <= 3) >= 0.9  # bins, edges aside
    assert np.median(np.hypot(a[:, 1] - b[:, 1], a[:, 2] - b[:, 2])) <= 50  # 5 m
    same = contacts["index"] & contacts["scan"]
    assert len(same) > 100
    assert len(same) >= 0.9 * len(contacts["index"] | contacts["scan"])


def _phones(keys: Keys) -> tuple[int, int]:
    """The keys of the two test phones, PHONE and OTHER."""
    me, them = (
        key64(keys.pseudonymiser.person_key(p, IdentifierKind.PHONE))
        for p in (PHONE, OTHER)
    )
    return me, them


def _gps_route(
    reader: MovementReader, key: int, window: tuple[int, int]
) -> list[RouteStay]:
    """One phone's route from its GPS alone, which must be one stay."""
    route = build_route(
        gps=reader.own_pings([key], window)[0],
        telecom=Track.empty(),
        visits=Visits.empty(),
        places=Places.empty(),
    )
    assert len(route) == 1
    return route


def test_a_passer_by_is_seen_only_reading_every_fix(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    """The case sits an hour at one spot; another phone walks past it three times
    (a fix 5 m away each time, 20 minutes apart) and is never still anywhere. It
    has no stay, so everyone's stays do not see it; every fix does, for 3 bins."""
    near_lat = 37.5665 + 0.00005  # ~5.5 m north of the case
    case = [gps(T0 + 300 * i) for i in range(13)]
    walker = [
        gps(T0 + 300 * i, lat=near_lat, device=OTHER)
        if i % 4 == 1
        else gps(T0 + 300 * i, lon=126.978 + 0.01 * (i % 4 + 1), device=OTHER)
        for i in range(13)
    ]
    for name, rows in (("case", case), ("walker", walker)):
        ingest_file(
            ops, keys, store, "gps", write(tmp_path, f"{name}.parquet", rows), REF
        )
    compact(ops, store)
    reader = MovementReader(store)
    window = (T0 - 3600, T0 + 86_400)
    me, them = _phones(keys)
    route = _gps_route(reader, me, window)
    stays = reader.presences_many({1: route}, search_m=150).get(1, Presences.empty())
    fixes = reader.presences_many({1: route}, search_m=150, every_fix=True)[1]
    assert them not in stays.person.tolist()
    seen = dict(zip(fixes.person.tolist(), fixes.bins.tolist(), strict=True))
    assert seen[them] == 3
    found = find_contacts(
        route,
        index={me},
        presences=fixes,
        visits=PlaceVisits.empty(),
        household=set(),
        window=window,
        places=Places.empty(),
    )
    assert [c.person for c in found] == [them]  # 15 minutes within 20 m


def test_a_stay_across_midnight_read_two_ways_is_one_presence(
    ops: Access, keys: Keys, store: MovementStore, tmp_path: Path
) -> None:
    """Two phones together from 23:00 to 01:00; the first day compacted (read from
    everyone's stays), the second ingested since (read fix by fix): one presence
    for the night, its bins from both days."""
    night = int(kst_midnight(DAY).timestamp()) + 23 * 3600
    for who in (PHONE, OTHER):
        rows = [gps(night + 300 * i, device=who) for i in range(25)]
        path = write(tmp_path, f"{who}.parquet", rows)
        ingest_file(ops, keys, store, "gps", path, REF)
    compact(ops, store)
    late = write(
        tmp_path, "late.parquet", [gps(night + 7 * 3600, device="01099990000")]
    )
    ingest_file(ops, keys, store, "gps", late, REF)  # the second day is stale now
    reader = MovementReader(store)
    me, them = _phones(keys)
    window = (night - 3600, night + 3 * 3600)
    route = _gps_route(reader, me, window)
    got = reader.presences_many({1: route}, search_m=150)[1]
    days = reader._tracks
    assert sum(c is not None and c.stays is not None for c in days.values()) == 1
    mine = np.flatnonzero(got.person == them)
    assert len(mine) == 1  # one row, not one per day
    assert abs(int(got.bins[mine[0]]) - 25) <= 1
