"""Location-history files as Google and GPS loggers write them, for self-check tests.

Each function returns the bytes of one file: ``records_json`` (Takeout
``Records.json``), ``semantic_json`` (a Takeout Semantic Location History month),
``timeline_json`` (the on-device Timeline export, Android object or iOS array) and
``gpx`` (GPX 1.0 or 1.1). Points and stays are plain tuples (``Point``/``Stay``)
with aware datetimes, so a browser test can write the same file to disk, hand it
to ``selfcheck.js`` and compare with ``outbreak.disclose.history.read_history``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple
from xml.sax.saxutils import quoteattr

KST = timezone(timedelta(hours=9))
MINUTE = timedelta(minutes=1)


class Point(NamedTuple):
    """A raw location fix."""

    lat: float
    lon: float
    t: datetime
    accuracy_m: int = 20


class Stay(NamedTuple):
    """Time spent at one place (a Takeout ``placeVisit``, a Timeline ``visit``)."""

    lat: float
    lon: float
    start: datetime
    end: datetime
    name: str = ""


def _e7(x: float) -> int:
    return round(x * 1e7)


def _ms(t: datetime) -> str:
    return str(round(t.timestamp() * 1000))


def _z(t: datetime) -> str:
    """``2020-05-03T03:10:00.000Z``, the way Takeout writes UTC times."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _local(t: datetime) -> str:
    """``2020-05-03T12:10:00.000+09:00``, the way the Timeline export writes times."""
    return t.astimezone(KST).isoformat(timespec="milliseconds")


def _dump(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def records_json(points: Iterable[Point], *, timestamp_ms: bool = False) -> bytes:
    """Takeout ``Records.json``; ``timestamp_ms`` writes the pre-2022 string ms."""
    locations = []
    for p in map(Point._make, points):
        loc: dict[str, Any] = {"latitudeE7": _e7(p.lat), "longitudeE7": _e7(p.lon)}
        loc["accuracy"] = p.accuracy_m
        loc["source"] = "WIFI"
        if timestamp_ms:
            loc["timestampMs"] = _ms(p.t)
        else:
            loc["timestamp"] = _z(p.t)
        locations.append(loc)
    return _dump({"locations": locations})


def semantic_json(stays: Sequence[Stay], *, timestamp_ms: bool = False) -> bytes:
    """A Semantic Location History month: a ``placeVisit`` per stay and an
    ``activitySegment`` between consecutive stays (from the end of one to the start
    of the next); ``timestamp_ms`` writes ``startTimestampMs`` (pre-2022)."""
    stays = [Stay._make(s) for s in stays]

    def duration(start: datetime, end: datetime) -> dict[str, str]:
        if timestamp_ms:
            return {"startTimestampMs": _ms(start), "endTimestampMs": _ms(end)}
        return {"startTimestamp": _z(start), "endTimestamp": _z(end)}

    def location(lat: float, lon: float) -> dict[str, int]:
        return {"latitudeE7": _e7(lat), "longitudeE7": _e7(lon)}

    objects: list[dict[str, Any]] = []
    for i, s in enumerate(stays):
        if i:
            prev = stays[i - 1]
            objects.append(
                {
                    "activitySegment": {
                        "startLocation": location(prev.lat, prev.lon),
                        "endLocation": location(s.lat, s.lon),
                        "duration": duration(prev.end, s.start),
                        "activityType": "WALKING",
                        "confidence": "HIGH",
                    }
                }
            )
        place = location(s.lat, s.lon) | {"name": s.name, "address": "서울특별시"}
        objects.append(
            {
                "placeVisit": {
                    "location": place | {"placeId": f"ChIJ{i:04d}"},
                    "duration": duration(s.start, s.end),
                    "placeConfidence": "HIGH_CONFIDENCE",
                }
            }
        )
    return _dump({"timelineObjects": objects})


def timeline_json(
    stays: Sequence[Stay], points: Sequence[Point] = (), *, ios: bool = False
) -> bytes:
    """The on-device Timeline export (2024–): a ``visit`` segment per stay, one
    ``timelinePath`` segment holding ``points``, and (Android) ``rawSignals`` with
    the same points. Android writes ``"37.4979100°, 127.0275800°"`` and times with
    an offset; iOS writes a bare array, ``"geo:37.497910,127.027580"`` and path
    points as minutes after the segment's start."""
    stays = [Stay._make(s) for s in stays]
    points = [Point._make(p) for p in points]

    def where(lat: float, lon: float) -> str:
        return f"geo:{lat:.6f},{lon:.6f}" if ios else f"{lat:.7f}°, {lon:.7f}°"

    segments: list[dict[str, Any]] = []
    for i, s in enumerate(stays):
        place = where(s.lat, s.lon)
        candidate: dict[str, Any] = {"placeId": f"ChIJ{i:04d}", "semanticType": "HOME"}
        candidate["placeLocation"] = place if ios else {"latLng": place}
        segments.append(
            {
                "startTime": _local(s.start),
                "endTime": _local(s.end),
                "visit": {"hierarchyLevel": 0, "topCandidate": candidate},
            }
        )
    if points:
        t0 = min(p.t for p in points)
        path = [
            {"point": where(p.lat, p.lon)}
            | (
                {
                    "durationMinutesOffsetFromStartTime": str(
                        (p.t - t0) // timedelta(minutes=1)
                    )
                }
                if ios
                else {"time": _local(p.t)}
            )
            for p in points
        ]
        segments.append(
            {
                "startTime": _local(t0),
                "endTime": _local(max(p.t for p in points)),
                "timelinePath": path,
            }
        )
    if ios:
        return _dump(segments)
    signals: list[dict[str, Any]] = [
        {"wifiScan": {"deliveryTime": _local(p.t)}} for p in points[:1]
    ]
    signals += [
        {
            "position": {
                "LatLng": where(p.lat, p.lon),
                "accuracyMeters": p.accuracy_m,
                "source": "WIFI",
                "timestamp": _local(p.t),
            }
        }
        for p in points
    ]
    return _dump({"semanticSegments": segments, "rawSignals": signals})


def gpx(
    points: Iterable[Point | tuple[float, float, datetime | None]],
    *,
    version: str = "1.1",
    tag: str = "trkpt",
) -> bytes:
    """A GPX track (``trkpt``), route (``rtept``) or waypoints (``wpt``); a point
    whose ``t`` is None is written without ``<time>``."""
    ns = f"http://www.topografix.com/GPX/{version.replace('.', '/')}"
    rows = []
    for p in points:
        lat, lon, t = p[0], p[1], p[2]
        time = f"<time>{_z(t).replace('.000Z', 'Z')}</time>" if t is not None else ""
        rows.append(
            f"<{tag} lat={quoteattr(f'{lat:.7f}')} lon={quoteattr(f'{lon:.7f}')}>"
            f"<ele>35.0</ele>{time}</{tag}>"
        )
    body = "\n".join(rows)
    if tag == "trkpt":
        body = f"<trk><name>test</name><trkseg>\n{body}\n</trkseg></trk>"
    elif tag == "rtept":
        body = f"<rte><name>test</name>\n{body}\n</rte>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="{version}" creator="outbreak tests" xmlns="{ns}">\n'
        f"{body}\n</gpx>\n"
    ).encode()
