"""Location histories a citizen holds: Google Takeout, Timeline exports and GPX.

Reading the history (:func:`read_history`) detects the format by content: Takeout
``Records.json``, Semantic Location History months, the on-device Timeline export
(Android object or iOS array) and GPX 1.0/1.1. Intervals (place visits) are kept as
they are; raw points become zero-length visits, and consecutive points within
``MERGE_RADIUS_M`` of the first of a run and at most ``MERGE_GAP_MIN`` apart are
merged into one visit, whose accuracy grows by how far the run drifted. Times keep
millisecond precision (the exports' and JavaScript's); a time without a UTC offset
is UTC (as GPX prescribes).

Nothing here leaves the device: the browser runs the same readers
(``web/dashboard/static/selfcheck.js``); this is their reference, tested against.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE/ENTITY refused before parsing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeGuard

from outbreak.errors import InvalidInput

MAX_BYTES = 100 * 1024 * 1024  # a decade of Records.json is ~100 MB
MAX_POINTS = 1_000_000  # points and visits read from one file
MERGE_RADIUS_M = 50.0  # consecutive raw points this close to a run's first point ...
MERGE_GAP_MIN = 60  # ... and at most this far apart in time become one visit
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
_HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MS_RANGE = (946_684_800_000, 4_102_444_800_000)  # 2000-01-01 .. 2100-01-01 UTC
_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?"
    r"\s*(Z|[+-]\d\d:?\d\d)?",
    re.IGNORECASE | re.ASCII,
)
_INT = re.compile(r"-?\d+", re.ASCII)
_DECIMAL = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*", re.ASCII)
_LATLNG = re.compile(
    r"\s*(?:geo:)?\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*,\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*",
    re.ASCII,
)
_E7_KEYS = (("latitudeE7", "longitudeE7"), ("latE7", "lngE7"))
_E7_KEYS_CENTRE = (("centerLatE7", "centerLngE7"),)
_SHORTER = (
    "choose this month's file from Takeout's Semantic Location History instead, or "
    "export a shorter period (the last four weeks are enough for a self-check)"
)
_HINT = (
    "choose Records.json or a month of Semantic Location History from Google "
    "Takeout, Timeline.json exported from Google Maps, or a GPX track"
)


@dataclass(frozen=True, slots=True)
class Presence:
    """Where someone was, and when; a raw point has ``t_start == t_end``.

    ``lat``/``lon`` are WGS84 degrees, ``t_start``/``t_end`` aware UTC datetimes,
    ``accuracy_m`` the radius the source states (0 when it states none), ``source``
    the format: ``records``, ``semantic``, ``timeline`` or ``gpx``.
    """

    lat: float
    lon: float
    t_start: datetime
    t_end: datetime
    accuracy_m: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        check_coords(self.lat, self.lon, "The visit", field="visits")
        if self.t_start.tzinfo is None or self.t_end.tzinfo is None:
            raise InvalidInput("Presence times must be timezone-aware", field="visits")
        if self.t_end < self.t_start:
            raise InvalidInput(
                f"The visit ends ({self.t_end.isoformat()}) before it starts "
                f"({self.t_start.isoformat()}); swap the times",
                field="visits",
            )


def read_history(data: bytes, /, *, filename: str = "") -> list[Presence]:
    """The visits in a location-history file, whatever its format.

    Parameters
    ----------
    data
        The file's bytes: Google Takeout ``Records.json``, a Semantic Location
        History month (``timelineObjects``), the on-device Timeline export
        (``semanticSegments``/``rawSignals``, or the iOS array), or GPX 1.0/1.1.
    filename
        Used only in error messages.

    Returns
    -------
    list[Presence]
        Sorted by start, then end; consecutive nearby raw points merged (see the
        module docstring).

    Raises
    ------
    InvalidInput
        ``field="file"``: too large, not JSON or GPX, an unknown structure, no
        usable points, too many points, coordinates out of range, unreadable times.

    Examples
    --------
    >>> data = b'''{"locations": [{"latitudeE7": 374979100, "accuracy": 20,
    ...   "longitudeE7": 1270275800, "timestampMs": "1588475400000"}]}'''
    >>> [v] = read_history(data, filename="Records.json")
    >>> v.lat, v.lon, v.t_start.isoformat(), v.accuracy_m, v.source
    (37.49791, 127.02758, '2020-05-03T03:10:00+00:00', 20.0, 'records')
    """
    name = filename or "The file"
    if len(data) > MAX_BYTES:
        raise _bad(
            f"{name} is {len(data) / 2**20:.0f} MB, more than the "
            f"{MAX_BYTES // 2**20} MB limit; {_SHORTER}"
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if data.startswith(b"PK\x03\x04"):
        raise _bad(f"{name} is a ZIP archive; unzip the Takeout download and {_HINT}")
    if head == b"<":
        col = _Collector(name, "gpx")
        _gpx(data, col)
    elif head in (b"{", b"["):
        col = _json(data, name)
    else:
        raise _bad(
            f"{name} is neither JSON nor GPX (it starts with {data[:12]!r}); {_HINT}"
        )
    return col.visits()


class _Collector:
    """Points and intervals read from one file, with the context for messages."""

    def __init__(self, name: str, source: str) -> None:
        self.name, self.source = name, source
        self.points: list[tuple[int, float, float, float]] = []  # t_ms, lat, lon, acc
        self.spans: list[tuple[int, int, float, float, float]] = []
        self.skipped = 0

    def _count(self) -> None:
        if len(self.points) + len(self.spans) >= MAX_POINTS:
            raise _bad(f"{self.name} holds more than {MAX_POINTS:,} points; {_SHORTER}")

    def point(
        self, where: str, ll: tuple[float, float], t: object, acc: object
    ) -> None:
        self._count()
        check_coords(*ll, f"{self.name}, {where}")
        self.points.append((to_ms(t, f"{self.name}, {where}"), *ll, _accuracy(acc)))

    def span(self, where: str, ll: tuple[float, float], t0: object, t1: object) -> None:
        self._count()
        ctx = f"{self.name}, {where}"
        check_coords(*ll, ctx)
        start, end = to_ms(t0, ctx), to_ms(t1, ctx)
        if end < start:
            raise _bad(f"{ctx} ends before it starts ({t1!r} < {t0!r}); {_HINT}")
        self.spans.append((start, end, *ll, 0.0))

    def visits(self) -> list[Presence]:
        if not self.points and not self.spans:
            why = f" ({self.skipped} entries without coordinates or time)"
            raise _bad(
                f"{self.name} has no usable location points"
                f"{why if self.skipped else ''}; {_HINT}"
            )
        rows = self.spans + _merge(self.points)
        rows.sort(key=lambda r: (r[0], r[1]))
        return [
            Presence(lat, lon, from_ms(t0), from_ms(t1), acc, self.source)
            for t0, t1, lat, lon, acc in rows
        ]


def _merge(
    points: list[tuple[int, float, float, float]],
) -> list[tuple[int, int, float, float, float]]:
    """Runs of consecutive points near the run's first point, as intervals."""
    out: list[tuple[int, int, float, float, float]] = []
    run: list[Any] | None = None  # [t0, t1, lat, lon, acc]
    for t, lat, lon, acc in sorted(points, key=lambda p: p[0]):
        if run is not None:
            d = haversine_m(run[2], run[3], lat, lon)
            if d <= MERGE_RADIUS_M and t - run[1] <= MERGE_GAP_MIN * 60_000:
                run[1], run[4] = t, max(run[4], acc + d)
                continue
            out.append((run[0], run[1], run[2], run[3], run[4]))
        run = [t, t, lat, lon, acc]
    if run is not None:
        out.append((run[0], run[1], run[2], run[3], run[4]))
    return out


def _json(data: bytes, name: str) -> _Collector:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _bad(f"{name} is not UTF-8 text; {_HINT}") from None
    except json.JSONDecodeError as e:
        raise _bad(f"{name} is not valid JSON ({e}); {_HINT}") from None
    if isinstance(doc, dict) and isinstance(doc.get("locations"), list):
        col = _Collector(name, "records")
        _records(doc["locations"], col)
    elif isinstance(doc, dict) and isinstance(doc.get("timelineObjects"), list):
        col = _Collector(name, "semantic")
        _semantic(doc["timelineObjects"], col)
    elif isinstance(doc, dict) and ("semanticSegments" in doc or "rawSignals" in doc):
        col = _Collector(name, "timeline")
        _timeline(_list(doc.get("semanticSegments")), col)
        _raw_signals(_list(doc.get("rawSignals")), col)
    elif isinstance(doc, list) and any(
        isinstance(s, dict) and "startTime" in s for s in doc[:100]
    ):
        col = _Collector(name, "timeline")
        _timeline(doc, col)
    else:
        keys = ", ".join(sorted(doc)[:8]) if isinstance(doc, dict) else "a list"
        raise _bad(
            f"{name} is JSON but not a location history I know (found: "
            f"{keys or 'nothing'}); {_HINT}"
        )
    return col


def _records(locations: list[Any], col: _Collector) -> None:
    for i, loc in enumerate(locations, 1):
        ll = _e7(loc, _E7_KEYS, f"location #{i}", col)
        t = _get(loc, "timestamp") or _get(loc, "timestampMs")
        if ll is None or t is None:
            col.skipped += 1
            continue
        col.point(f"location #{i}", ll, t, loc.get("accuracy"))


def _semantic(objects: list[Any], col: _Collector) -> None:
    for i, obj in enumerate(objects, 1):
        where = f"timelineObjects #{i}"
        if isinstance(pv := _get(obj, "placeVisit"), dict):
            ll = _e7(_get(pv, "location"), _E7_KEYS, where, col) or _e7(
                pv, _E7_KEYS_CENTRE, where, col
            )
            t0, t1 = _duration(_get(pv, "duration"))
            if ll is None or t0 is None or t1 is None:
                col.skipped += 1
            else:
                col.span(where, ll, t0, t1)
        elif isinstance(seg := _get(obj, "activitySegment"), dict):
            t0, t1 = _duration(_get(seg, "duration"))
            for key, t in (("startLocation", t0), ("endLocation", t1)):
                ll = _e7(_get(seg, key), _E7_KEYS, f"{where} {key}", col)
                if ll is not None and t is not None:
                    col.point(f"{where} {key}", ll, t, None)
            for j, p in enumerate(_list(_get(seg, "simplifiedRawPath", "points")), 1):
                ll = _e7(p, _E7_KEYS, f"{where} point #{j}", col)
                t = _get(p, "timestamp") or _get(p, "timestampMs")
                if ll is not None and t is not None:
                    col.point(f"{where} point #{j}", ll, t, _get(p, "accuracyMeters"))
        else:
            col.skipped += 1


def _duration(d: object) -> tuple[object, object]:
    return (
        _get(d, "startTimestamp") or _get(d, "startTimestampMs"),
        _get(d, "endTimestamp") or _get(d, "endTimestampMs"),
    )


def _timeline(segments: list[Any], col: _Collector) -> None:
    for i, seg in enumerate(segments, 1):
        where = f"semanticSegments #{i}"
        t0, t1 = _get(seg, "startTime"), _get(seg, "endTime")
        place = _get(seg, "visit", "topCandidate", "placeLocation")
        if place is not None:
            ll = _latlng(place, where, col)
            if ll is not None and t0 is not None and t1 is not None:
                col.span(where, ll, t0, t1)
        if isinstance(act := _get(seg, "activity"), dict):
            for key, t in (("start", t0), ("end", t1)):
                ll = _latlng(act.get(key), f"{where} activity {key}", col)
                if ll is not None and t is not None:
                    col.point(f"{where} activity {key}", ll, t, None)
        for j, p in enumerate(_list(_get(seg, "timelinePath")), 1):
            ll = _latlng(_get(p, "point"), f"{where} point #{j}", col)
            t = _get(p, "time")
            offset = _get(p, "durationMinutesOffsetFromStartTime")
            if t is None and offset is not None and t0 is not None:
                t = to_ms(t0, f"{col.name}, {where}") + _minutes(offset, where, col)
            if ll is not None and t is not None:
                col.point(f"{where} point #{j}", ll, t, None)


def _raw_signals(signals: list[Any], col: _Collector) -> None:
    for i, sig in enumerate(signals, 1):
        pos = _get(sig, "position")
        if not isinstance(pos, dict):
            continue  # wifi scans, activity records: no position
        where = f"rawSignals #{i}"
        ll = _latlng(pos.get("LatLng", pos.get("latLng")), where, col)
        t = pos.get("timestamp")
        if ll is None or t is None:
            col.skipped += 1
            continue
        col.point(where, ll, t, pos.get("accuracyMeters"))


def _gpx(data: bytes, col: _Collector) -> None:
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise _bad(
            f"{col.name} declares a DOCTYPE or ENTITY, which GPX files do not "
            "need and which is refused for safety; export the track again"
        )
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entities to expand
    except ET.ParseError as e:
        raise _bad(f"{col.name} is not well-formed XML ({e}); {_HINT}") from None
    if _local(root.tag) != "gpx":
        raise _bad(f"{col.name} is XML but not GPX (<{_local(root.tag)}>); {_HINT}")
    n = untimed = 0
    for el in root.iter():
        if _local(el.tag) not in ("trkpt", "rtept", "wpt"):
            continue
        n += 1
        where = f"point #{n} (<{_local(el.tag)}>)"
        lat, lon = el.get("lat"), el.get("lon")
        if (
            lat is None
            or lon is None
            or not (_DECIMAL.fullmatch(lat) and _DECIMAL.fullmatch(lon))
        ):
            raise _bad(f"{col.name}, {where} has unreadable lat/lon {lat!r}/{lon!r}")
        t = next((c.text for c in el if _local(c.tag) == "time"), None)
        if not t or not t.strip():
            untimed += 1
            continue
        col.point(where, (float(lat), float(lon)), t.strip(), None)
    if untimed and not col.points:
        raise _bad(
            f"{col.name} has {untimed} points but none has a <time>, so they "
            "cannot be matched with exposure times; export the track with timestamps"
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _get(obj: object, *keys: str) -> Any:
    """``obj[k1][k2]…``, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(obj: object) -> list[Any]:
    return obj if isinstance(obj, list) else []


def _e7(
    obj: object, keys: tuple[tuple[str, str], ...], where: str, col: _Collector
) -> tuple[float, float] | None:
    """Degrees from E7 integers; Takeout sometimes wrote them as unsigned 32-bit
    (latitudeE7 > 900000000), which we wrap back."""
    for a, b in keys:
        lat, lon = _get(obj, a), _get(obj, b)
        if lat is None or lon is None:
            continue
        if not all(is_number(v) for v in (lat, lon)):
            raise _bad(f"{col.name}, {where} has unreadable {a}/{b} {lat!r}/{lon!r}")
        lat = lat - 2**32 if lat > 900_000_000 else lat
        lon = lon - 2**32 if lon > 1_800_000_000 else lon
        return lat / 1e7, lon / 1e7
    return None


def _latlng(value: object, where: str, col: _Collector) -> tuple[float, float] | None:
    """Degrees from ``"37.5°, 127.0°"``, ``"geo:37.5,127.0"`` or ``{"latLng": …}``."""
    if isinstance(value, dict):
        value = value.get("latLng", value.get("LatLng"))
    if value is None:
        return None
    if not isinstance(value, str) or not (m := _LATLNG.fullmatch(value)):
        raise _bad(f"{col.name}, {where} has unreadable coordinates {value!r}; {_HINT}")
    return float(m[1]), float(m[2])


def is_number(v: object) -> TypeGuard[int | float]:
    """A finite int or float (not a bool)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _accuracy(v: object) -> float:
    return float(v) if is_number(v) and v > 0 else 0.0


def _minutes(v: object, where: str, col: _Collector) -> int:
    if is_number(v):
        return math.floor(v * 60_000)
    if isinstance(v, str) and _DECIMAL.fullmatch(v):
        return math.floor(float(v) * 60_000)
    raise _bad(f"{col.name}, {where} has an unreadable minute offset {v!r}")


def check_coords(lat: float, lon: float, ctx: str, *, field: str = "file") -> None:
    """Refuse coordinates off the globe, naming ``ctx`` and ``field``."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(
            f"{ctx} has coordinates {lat}, {lon} outside latitude -90..90 or "
            "longitude -180..180; use an unmodified export",
            field=field,
        )


def to_ms(value: object, ctx: str, *, field: str = "file") -> int:
    """Milliseconds since 1970 from ISO 8601 text or (string) milliseconds."""
    ms: int | None = None
    if is_number(value):
        ms = math.floor(value)
    elif isinstance(value, str) and _INT.fullmatch(value.strip()):
        ms = int(value)
    elif isinstance(value, str) and (m := _ISO.fullmatch(value.strip())):
        ms = _iso_ms(m)
    if ms is None or not _MS_RANGE[0] <= ms < _MS_RANGE[1]:
        raise InvalidInput(
            f"{ctx} has an unreadable time {value!r}; expected ISO 8601 between "
            "2000 and 2100 (2020-05-03T12:10:00+09:00) or milliseconds since 1970",
            field=field,
        )
    return ms


def _iso_ms(m: re.Match[str]) -> int | None:
    y, mo, d, h, mi, s = (int(g or 0) for g in m.groups()[:6])
    zone = (m[8] or "Z").upper().replace(":", "")
    oh, om = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[3:]))
    if h > 23 or mi > 59 or s > 59 or oh > 23 or om > 59:
        return None
    try:
        days = date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    offset = (-1 if zone[0] == "-" else 1) * (oh * 60 + om)
    frac = int((m[7] or "")[:3].ljust(3, "0"))
    return ((days * 24 + h) * 60 + mi - offset) * 60_000 + s * 1000 + frac


def from_ms(ms: int) -> datetime:
    """An aware UTC time from milliseconds since 1970."""
    return _EPOCH + timedelta(milliseconds=ms)


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))
