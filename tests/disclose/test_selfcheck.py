"""The citizen self-check: reading histories, matching, buckets (pure)."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outbreak.disclose import history, selfcheck
from outbreak.disclose.history import (
    EARTH_RADIUS_M,
    Presence,
    haversine_m,
    read_history,
)
from outbreak.disclose.selfcheck import (
    ACCURACY_CAP_M,
    CELL_LAT_DEG,
    CELL_LON_DEG,
    MAX_BUCKETS,
    bucket_hashes,
    exposure_buckets,
    match,
    match_buckets,
    nearest_clinics,
)
from outbreak.errors import InvalidInput
from tests.disclose.takeout import (
    KST,
    Point,
    Stay,
    gpx,
    records_json,
    semantic_json,
    timeline_json,
)

LAT, LON = 37.49791, 127.02758  # the published place
PLACE: dict[str, Any] = {
    "id": "3f9a0c1d2b4e5f60",
    "district_code": "11230",
    "district": "강남구",
    "district_en": "Gangnam-gu",
    "province": "서울특별시",
    "province_en": "Seoul",
    "kind": "restaurant",
    "name": "강남역 식당",
    "address": "서울특별시 강남구 강남대로 396",
    "lat": LAT,
    "lon": LON,
    "exposure_start": "2020-05-03T12:10:00+09:00",
    "exposure_end": "2020-05-03T13:30:00+09:00",
    "disinfected": False,
    "updated_on": "2020-05-05",
}
FAR = (37.5665, 126.9780)  # Seoul City Hall, ~10 km away
JS = Path(selfcheck.__file__).parents[1] / "web/dashboard/static/selfcheck.js"


def at(h: int, m: int = 0, s: int = 0, ms: int = 0, *, day: int = 3) -> datetime:
    """A KST time on 2020-05-``day``."""
    return datetime(2020, 5, day, h, m, s, ms * 1000, tzinfo=KST)


def north(metres: float, lat: float = LAT) -> float:
    """The latitude ``metres`` due north of ``lat`` (exact on the sphere)."""
    return lat + math.degrees(metres / EARTH_RADIUS_M)


def point(lat: float, t: datetime, *, lon: float = LON, acc: float = 0.0) -> Presence:
    return Presence(lat, lon, t.astimezone(UTC), t.astimezone(UTC), acc, "test")


def stay(lat: float, t0: datetime, t1: datetime) -> Presence:
    return Presence(lat, LON, t0.astimezone(UTC), t1.astimezone(UTC), 0.0, "test")


# ---- reading ----------------------------------------------------------------


@pytest.mark.parametrize("timestamp_ms", [True, False], ids=["timestampMs", "iso"])
def test_records_json_both_timestamp_styles(timestamp_ms: bool) -> None:
    data = records_json(
        [Point(LAT, LON, at(12, 20), 25), Point(*FAR, at(15, 0, 0, 123))],
        timestamp_ms=timestamp_ms,
    )
    a, b = read_history(data, filename="Records.json")
    assert (a.lat, a.lon, a.accuracy_m, a.source) == (LAT, LON, 25.0, "records")
    assert a.t_start == a.t_end == at(12, 20)
    assert a.t_start.tzinfo == UTC
    assert b.t_start == at(15, 0, 0, 123) and (b.lat, b.lon) == FAR


def test_records_merge_consecutive_nearby_points() -> None:
    step = north(20)  # 20 m north: within MERGE_RADIUS_M of the run's first point
    data = records_json(
        [
            Point(LAT, LON, at(12, 0), 10),
            Point(step, LON, at(12, 40), 10),
            Point(LAT, LON, at(13, 30), 10),  # 50 min later: same run
            Point(LAT, LON, at(14, 31), 10),  # 61 min later: a new visit
            Point(north(80), LON, at(14, 35), 10),  # 80 m away: a new visit
        ]
    )
    first, second, third = read_history(data)
    assert (first.t_start, first.t_end) == (at(12), at(13, 30))
    assert first.accuracy_m == pytest.approx(30.0, abs=0.01)  # 10 m + 20 m drift
    assert second.t_start == second.t_end == at(14, 31)
    assert third.lat == pytest.approx(north(80))


def test_records_unsigned_e7_and_entries_without_time() -> None:
    doc = {
        "locations": [
            # Takeout wrote some southern/western E7 values as unsigned 32-bit
            {"latitudeE7": 2**32 - 338_600_000, "longitudeE7": 1_512_100_000,
             "timestamp": "2020-05-03T00:00:00Z"},
            {"latitudeE7": 374_979_100, "longitudeE7": 1_270_275_800},  # no time
            {"activity": []},  # no position
        ]
    }  # fmt: skip
    [v] = read_history(json.dumps(doc).encode())
    assert (v.lat, v.lon) == (-33.86, 151.21)


@pytest.mark.parametrize("timestamp_ms", [True, False], ids=["Ms", "iso"])
def test_semantic_place_visits_and_activity_segments(timestamp_ms: bool) -> None:
    stays = [
        Stay(*FAR, at(9), at(11, 30), "Office"),
        Stay(LAT, LON, at(12, 15), at(13), "Restaurant"),
    ]
    visits = read_history(semantic_json(stays, timestamp_ms=timestamp_ms))
    assert {v.source for v in visits} == {"semantic"}
    spans = [v for v in visits if v.t_end > v.t_start]
    assert [(v.lat, v.t_start, v.t_end) for v in spans] == [
        (FAR[0], at(9), at(11, 30)),
        (LAT, at(12, 15), at(13)),
    ]
    ends = [(v.lat, v.t_start) for v in visits if v.t_end == v.t_start]
    assert ends == [(FAR[0], at(11, 30)), (LAT, at(12, 15))]  # the walk between


def test_semantic_raw_path_and_centre_fallback() -> None:
    doc = {
        "timelineObjects": [
            {"placeVisit": {"location": {"name": "no coordinates"},
                            "centerLatE7": 374_979_100, "centerLngE7": 1_270_275_800,
                            "duration": {"startTimestamp": "2020-05-03T03:00:00Z",
                                         "endTimestamp": "2020-05-03T04:00:00Z"}}},
            {"activitySegment": {
                "duration": {"startTimestamp": "2020-05-03T05:00:00Z",
                             "endTimestamp": "2020-05-03T06:00:00Z"},
                "simplifiedRawPath": {"points": [
                    {"latE7": 375_665_000, "lngE7": 1_269_780_000,
                     "timestamp": "2020-05-03T05:30:00Z", "accuracyMeters": 12}]}}},
            {"somethingNew": {}},
        ]
    }  # fmt: skip
    centre, raw = read_history(json.dumps(doc).encode())
    assert (centre.lat, centre.t_end - centre.t_start) == (LAT, timedelta(hours=1))
    assert (raw.lat, raw.lon, raw.accuracy_m) == (*FAR, 12.0)


def test_timeline_android_segments_path_and_raw_signals() -> None:
    data = timeline_json(
        [Stay(LAT, LON, at(12, 15), at(13), "Restaurant")],
        [Point(*FAR, at(15), 15), Point(*FAR, at(15, 10), 15)],
    )
    assert "°, " in data.decode()
    visits = read_history(data, filename="Timeline.json")
    assert visits[0].t_start == at(12, 15) and visits[0].t_end == at(13)
    assert visits[0].lat == pytest.approx(LAT) and visits[0].source == "timeline"
    # the path and the raw signals repeat the same fixes: merged into one visit
    assert [(v.t_start, v.t_end, v.accuracy_m) for v in visits[1:]] == [
        (at(15), at(15, 10), 15.0)
    ]


def test_timeline_ios_array_geo_strings_and_minute_offsets() -> None:
    data = timeline_json(
        [Stay(LAT, LON, at(12, 15), at(13))],
        [Point(*FAR, at(15)), Point(north(500, FAR[0]), FAR[1], at(15, 7))],
        ios=True,
    )
    assert data.startswith(b"[") and b"geo:" in data
    stay_, p1, p2 = read_history(data)
    assert (stay_.lat, stay_.t_end) == (LAT, at(13))
    assert (p1.t_start, p2.t_start) == (at(15), at(15, 7))


def test_timeline_activity_start_and_end() -> None:
    doc = {
        "semanticSegments": [
            {"startTime": "2020-05-03T12:00:00.000+09:00",
             "endTime": "2020-05-03T12:20:00.000+09:00",
             "activity": {"start": {"latLng": "37.5665000°, 126.9780000°"},
                          "end": {"latLng": "37.4979100°, 127.0275800°"}}}
        ]
    }  # fmt: skip
    a, b = read_history(json.dumps(doc, ensure_ascii=False).encode())
    assert (a.lat, a.t_start, b.lat, b.t_start) == (FAR[0], at(12), LAT, at(12, 20))


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("tag", ["trkpt", "rtept", "wpt"])
def test_gpx_points_with_time(version: str, tag: str) -> None:
    data = gpx(
        [(LAT, LON, at(12, 20)), (*FAR, None), (*FAR, at(15))],
        version=version,
        tag=tag,
    )
    a, b = read_history(data, filename="track.gpx")
    assert (a.lat, a.lon, a.t_start, a.source) == (LAT, LON, at(12, 20), "gpx")
    assert (b.lat, b.t_start) == (FAR[0], at(15))


def test_gpx_without_namespace_and_with_bom() -> None:
    data = b'\xef\xbb\xbf\n<gpx><wpt lat="37.5" lon="127.0"><time>2020-05-03T03:00:00Z</time></wpt></gpx>'  # noqa: E501
    [v] = read_history(data)
    assert (v.lat, v.lon, v.t_start) == (37.5, 127.0, at(12))


def test_json_with_bom_and_leading_whitespace() -> None:
    data = b"\xef\xbb\xbf \n" + records_json([Point(LAT, LON, at(12))])
    assert len(read_history(data)) == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<gpx><wpt lat="37.5" lon="127.0"><name>&b;</name></wpt></gpx>"""


def _records(**fields: object) -> bytes:
    loc = {"latitudeE7": 374_979_100, "longitudeE7": 1_270_275_800}
    return json.dumps({"locations": [loc | fields]}).encode()


def _segment(latlng: str) -> bytes:
    seg = {
        "startTime": "2020-05-03T12:00:00+09:00",
        "endTime": "2020-05-03T13:00:00+09:00",
        "visit": {"topCandidate": {"placeLocation": {"latLng": latlng}}},
    }
    return json.dumps({"semanticSegments": [seg]}, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello", "neither JSON nor GPX"),
        (b"", "neither JSON nor GPX"),
        (b'{"locations": [', "not valid JSON"),
        (b'{"locations": "\xff"}', "not UTF-8"),
        (b'{"trips": [], "settings": {}}', "not a location history I know (found: settings, trips)"),  # noqa: E501
        (b"[1, 2, 3]", "not a location history"),
        (b'{"locations": []}', "no usable location points"),
        (b'{"locations": [{"timestamp": "2020-05-03T03:00:00Z"}]}', "1 entries without"),  # noqa: E501
        (b"PK\x03\x04\x14\x00", "ZIP archive"),
        (_records(timestamp="yesterday"), "unreadable time 'yesterday'"),
        (_records(timestamp="2020-02-30T12:00:00Z"), "unreadable time"),
        (_records(timestamp="2020-05-03T25:00:00Z"), "unreadable time"),
        (_records(timestampMs="1588475400"), "unreadable time '1588475400'"),  # seconds
        (_records(timestampMs="abc"), "unreadable time"),
        (_records(timestamp="2020-05-03T03:00:00Z", latitudeE7="x"), "unreadable latitudeE7"),  # noqa: E501
        (_records(timestamp="2020-05-03T03:00:00Z", latitudeE7=-950_000_000), "outside latitude -90..90"),  # noqa: E501
        (_segment("95.0°, 127.0°"), "coordinates 95.0, 127.0 outside"),
        (_segment("somewhere in Seoul"), "unreadable coordinates 'somewhere in Seoul'"),
        (json.dumps({"timelineObjects": [{"placeVisit": {
            "location": {"latitudeE7": 374_979_100, "longitudeE7": 1_270_275_800},
            "duration": {"startTimestamp": "2020-05-03T05:00:00Z",
                         "endTimestamp": "2020-05-03T04:00:00Z"}}}]}).encode(),
         "ends before it starts"),
        (b"<kml><Document/></kml>", "XML but not GPX (<kml>)"),
        (b"<gpx><trk><trkpt lat='37.5'", "not well-formed XML"),
        (BILLION_LAUGHS, "DOCTYPE or ENTITY"),
        (gpx([(LAT, LON, None), (*FAR, None)]), "2 points but none has a <time>"),
        (b'<gpx><wpt lat="north" lon="127"><time>2020-05-03T03:00:00Z</time></wpt></gpx>',  # noqa: E501
         "unreadable lat/lon 'north'/'127'"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_naming_the_file(data: bytes, expected: str) -> None:
    with pytest.raises(InvalidInput) as info:
        read_history(data, filename="upload.dat")
    assert info.value.field == "file"
    assert expected in info.value.message
    assert info.value.message.startswith("upload.dat")


def test_size_and_point_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = records_json([Point(LAT, LON, at(12, m)) for m in range(3)])
    monkeypatch.setattr(history, "MAX_POINTS", 2)
    with pytest.raises(
        InvalidInput, match="more than 2 points; choose this month.s file"
    ):
        read_history(data)
    monkeypatch.setattr(history, "MAX_BYTES", 2**20)
    with pytest.raises(InvalidInput, match="more than the 1 MB limit") as info:
        read_history(b" " * (2**20 + 1))
    assert info.value.field == "file"


def test_visit_is_a_validated_frozen_value() -> None:
    v = point(LAT, at(12))
    with pytest.raises(AttributeError):
        v.lat = 0.0  # type: ignore[misc]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        Presence(LAT, LON, datetime(2020, 5, 3), datetime(2020, 5, 3))
    with pytest.raises(InvalidInput, match="ends .* before it starts"):
        stay(LAT, at(13), at(12))
    with pytest.raises(InvalidInput, match="outside latitude"):
        point(91.0, at(12))


# ---- matching ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "accuracy", "matches"),
    [
        (99.9, 0.0, True),
        (100.1, 0.0, False),
        (129.9, 30.0, True),  # the fix's own accuracy widens the radius
        (130.1, 30.0, False),
        (199.9, 5_000.0, True),  # ... but only up to ACCURACY_CAP_M
        (200.1, 5_000.0, False),
    ],
)
def test_match_radius_boundary(metres: float, accuracy: float, matches: bool) -> None:
    assert ACCURACY_CAP_M == 100.0
    found = match([point(north(metres), at(12, 30), acc=accuracy)], [PLACE])
    assert bool(found) is matches
    if matches:
        assert found[0].distance_m == pytest.approx(metres, abs=1e-6)


@pytest.mark.parametrize(
    ("t", "buffer_min", "matches"),
    [
        (at(12, 10), 0, True),  # the first instant of the window
        (at(12, 9, 59, 999), 0, False),
        (at(13, 30), 0, True),  # the last instant
        (at(13, 30, 0, 1), 0, False),
        (at(12, 5), 5, True),  # within the buffer
        (at(12, 4, 59), 5, False),
        (at(13, 35), 5, True),
    ],
)
def test_match_window_edges(t: datetime, buffer_min: int, matches: bool) -> None:
    found = match([point(LAT, t)], [PLACE], buffer_min=buffer_min)
    assert bool(found) is matches
    if matches:
        assert found[0].start == found[0].end == t


def test_match_overlap_is_clipped_to_the_window() -> None:
    [m] = match([stay(LAT, at(11), at(12, 40))], [PLACE])
    assert (m.start, m.end) == (at(12, 10), at(12, 40))
    [m] = match([stay(LAT, at(11), at(15))], [PLACE])
    assert (m.start, m.end) == (at(12, 10), at(13, 30))
    [m] = match([stay(LAT, at(11), at(15))], [PLACE], buffer_min=30)
    assert (m.start, m.end) == (at(11, 40), at(14))  # the widened window
    assert m.start.tzinfo == UTC


def test_several_visits_merge_into_one_match_per_place() -> None:
    other = PLACE | {"id": "00000000000000b2", "lat": FAR[0], "lon": FAR[1]}
    visits = [
        point(north(80), at(12, 20)),
        stay(north(20), at(13), at(13, 10)),
        point(LAT, at(14)),  # after the window
        point(FAR[0], at(12, 15), lon=FAR[1]),  # the other place, earlier
    ]
    first, second = match(visits, [PLACE, other])
    assert first.exposure is other and first.start == at(12, 15)
    assert second.exposure_id == PLACE["id"] and second.n_visits == 2
    assert (second.start, second.end) == (at(12, 20), at(13, 10))
    assert second.distance_m == pytest.approx(20.0, abs=1e-6)
    assert second.exposure["name"] == PLACE["name"]  # published fields carried along


def test_match_long_exposure_and_long_stay_across_many_hours() -> None:
    place = PLACE | {
        "exposure_start": "2020-05-01T20:00:00+09:00",
        "exposure_end": "2020-05-03T08:00:00+09:00",
    }
    [m] = match([stay(LAT, at(23, day=1), at(7, day=3))], [place])
    assert (m.start, m.end, m.n_visits) == (at(23, day=1), at(7, day=3), 1)


def test_match_from_a_file_end_to_end() -> None:
    data = records_json(
        [
            Point(*FAR, at(11)),
            Point(north(30), LON, at(12, 50), 20),
            Point(*FAR, at(14)),
        ]
    )
    [m] = match(read_history(data), [PLACE])
    assert (m.start, m.end) == (at(12, 50), at(12, 50))


def test_match_agrees_with_brute_force() -> None:
    rng = random.Random(20200503)  # noqa: S311 - test data, not secrets
    t0 = at(0).astimezone(UTC)

    def minutes(x: float) -> timedelta:  # times are kept to the millisecond
        return timedelta(milliseconds=round(x * 60_000))

    places: list[dict[str, Any]] = []
    for i in range(60):
        s = t0 + minutes(rng.uniform(0, 2 * 1440))
        e = s + minutes(rng.uniform(0, 240))
        places.append(
            {"id": f"{i:016x}", "lat": rng.uniform(37.49, 37.50),
             "lon": rng.uniform(127.02, 127.03), "exposure_start": s.isoformat(),
             "exposure_end": e.isoformat()}
        )  # fmt: skip
    visits = []
    for _ in range(400):
        s = t0 + minutes(rng.uniform(-600, 3 * 1440))
        e = s + minutes(rng.choice([0, 0, rng.uniform(0, 600)]))
        lat, lon = rng.uniform(37.49, 37.50), rng.uniform(127.02, 127.03)
        visits.append(Presence(lat, lon, s, e, rng.uniform(0, 200)))
    got = {m.exposure_id: (m.n_visits, m.start, m.end) for m in match(visits, places)}
    want = {}
    for p in places:
        s = datetime.fromisoformat(p["exposure_start"])
        e = datetime.fromisoformat(p["exposure_end"])
        hits = [
            v for v in visits
            if v.t_start <= e and v.t_end >= s
            and haversine_m(v.lat, v.lon, p["lat"], p["lon"])
            <= 100 + min(v.accuracy_m, ACCURACY_CAP_M)
        ]  # fmt: skip
        if hits:
            starts = [max(v.t_start, s) for v in hits]
            want[p["id"]] = (len(hits), min(starts), max(min(v.t_end, e) for v in hits))
    assert got == want and len(got) > 10


def test_match_nothing_to_match() -> None:
    assert match([], [PLACE]) == []
    assert match([point(LAT, at(12))], []) == []
    assert match([point(LAT, at(9, day=1))], [PLACE]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"lat": None}, "non-numeric lat/lon"),
        ({"lat": 97.0}, "outside latitude"),
        ({"exposure_start": "soon"}, "unreadable time 'soon'"),
        ({"exposure_end": "2020-05-03T11:00:00+09:00"}, "ends before it starts"),
    ],
)
def test_match_refuses_malformed_places(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidInput, match=expected) as info:
        match([point(LAT, at(12))], [PLACE | change])
    assert info.value.field == "exposures"
    with pytest.raises(InvalidInput, match="lacks id, lat or lon"):
        match([point(LAT, at(12))], [{"id": "x"}])


@pytest.mark.parametrize(
    ("options", "field"),
    [({"radius_m": 0.0}, "radius_m"), ({"buffer_min": -1}, "buffer_min")],
)
def test_match_option_ranges(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        match([point(LAT, at(12))], [PLACE], **options)
    assert info.value.field == field


def test_nearest_clinics() -> None:
    clinics: list[dict[str, Any]] = [
        {"name": "far", "lat": FAR[0], "lon": FAR[1]},
        {"name": "강남구보건소", "lat": 37.51, "lon": 127.04, "phone": "02-3423-5555"},
        {"name": "no position", "lat": None, "lon": None},
        {"name": "next door", "lat": north(50), "lon": LON},
    ]
    got = nearest_clinics(LAT, LON, clinics, n=2)
    assert [c["name"] for c, _ in got] == ["next door", "강남구보건소"]
    assert got[0][1] == pytest.approx(50.0, abs=1e-6)
    assert len(nearest_clinics(LAT, LON, clinics)) == 3
    assert nearest_clinics(LAT, LON, []) == []


# ---- buckets ----------------------------------------------------------------


def test_bucket_hash_is_the_documented_formula() -> None:
    [h] = bucket_hashes([point(LAT, at(12, 30))])
    cell_lat, cell_lon = math.floor(LAT / CELL_LAT_DEG), math.floor(LON / CELL_LON_DEG)
    hour = int(at(12, 30).timestamp()) // 3600
    text = f"outbreak-selfcheck-v1:{cell_lat}:{cell_lon}:{hour}"
    assert h == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert re.fullmatch(r"[0-9a-f]{16}", h)


def test_exposure_buckets_cover_nine_cells_for_each_hour() -> None:
    index = exposure_buckets([PLACE])  # 12:10-13:30 KST touches two hours
    assert len(index) == 9 * 2 and all(ids == [PLACE["id"]] for ids in index.values())
    on_the_hour = PLACE | {"exposure_end": "2020-05-03T13:00:00+09:00"}
    assert len(exposure_buckets([on_the_hour])) == 9  # ending at 13:00 adds no hour
    two = exposure_buckets([PLACE, PLACE | {"id": "b"}])
    assert all(ids == ["3f9a0c1d2b4e5f60", "b"] for ids in two.values())
    assert exposure_buckets([]) == {}


@pytest.mark.parametrize(
    ("dlat_cells", "dlon_cells", "t", "matches"),
    [
        (0, 0, at(12, 30), True),
        (0, 0.9, at(12, 30), True),  # ~200 m east, same hour
        (-0.9, 0.9, at(13, 55), True),  # diagonal, the last hour the window touches
        (0, 0, at(12, 5), True),  # same hour as the window's start: coarse
        (0, 2.5, at(12, 30), False),  # two cells and more away
        (-2.5, 0, at(12, 30), False),
        (0, 0, at(11, 59), False),  # the hour before
        (0, 0, at(14, 0), False),  # the hour after
    ],
)
def test_buckets_match_within_one_cell_and_hour(
    dlat_cells: float, dlon_cells: float, t: datetime, matches: bool
) -> None:
    index = exposure_buckets([PLACE])
    lat = LAT + dlat_cells * CELL_LAT_DEG
    posted = bucket_hashes([point(lat, t, lon=LON + dlon_cells * CELL_LON_DEG)])
    assert match_buckets(sorted(posted), index) == ([PLACE["id"]] if matches else [])


def test_bucket_hashes_of_a_stay_cover_every_hour_it_touches() -> None:
    hashes = bucket_hashes([stay(LAT, at(11, 30), at(14)), point(LAT, at(12, 45))])
    assert len(hashes) == 3  # 11, 12 and 13 o'clock; 14:00 exactly adds none
    assert match_buckets(hashes, exposure_buckets([PLACE])) == [PLACE["id"]]


@pytest.mark.parametrize(
    "posted",
    [
        ["ABCDEF0123456789"[:15]],
        ["zzzzzzzzzzzzzzzz"],
        ["0123456789abcdef0"],
        [123],
        "0123456789abcdef",
        None,
        ["0123456789abcdef"] * (MAX_BUCKETS + 1),
    ],
    ids=["short", "not-hex", "long", "number", "a-string", "none", "too-many"],
)
def test_posted_buckets_are_validated(posted: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        match_buckets(posted, {})
    assert info.value.field == "buckets"


def test_match_buckets_accepts_upper_case_and_dedupes() -> None:
    index = {"0123456789abcdef": ["b", "a"], "fedcba9876543210": ["a"]}
    posted = ["0123456789ABCDEF", "fedcba9876543210", "0000000000000000"]
    assert match_buckets(posted, index) == ["a", "b"]
    assert match_buckets([], index) == []


# ---- the browser side ---------------------------------------------------------


def test_selfcheck_js_never_sends_or_stores_anything() -> None:
    js = JS.read_text()
    banned = (
        "innerHTML", "outerHTML", "insertAdjacentHTML", "localStorage",
        "sessionStorage", "indexedDB", "document.cookie", "sendBeacon",
        "XMLHttpRequest", "WebSocket", "eval(", "POST",
    )  # fmt: skip
    for word in banned:
        assert word not in js, word
    assert js.count("fetch(") == 1 and 'method: "GET"' in js
    assert "window.outbreakSelfCheck" in js and "selfcheck-match" in js
