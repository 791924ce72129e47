"""The citizen self-check: match your own movement history against published places.

Design note: the matching happens on the device
-----------------------------------------------
style.md leaves open whether the self-check runs on the device or on the server.
It runs **on the device**. ``web/dashboard/static/selfcheck.js`` reads the
citizen's Google Takeout or GPX file in the browser, fetches the published exposure
places (public anyway) and matches them locally; the file, and anything derived from
it, never leaves the device. This module is the same logic in Python: the reference
the JavaScript is tested against, and the engine for tools that hold a history
locally. The published list is public and small (about 10,000 places), while a
movement history is about the most sensitive data a person has; a check on the
server, hashed or not, would ask the citizen to trust the server with it.

Apps that cannot download the list may use a server-side check over coarse
space-time *buckets*: a cell of a fixed lat/lon grid (``CELL_LAT_DEG`` ×
``CELL_LON_DEG``, about 220 m × 220 m in Korea) × the UTC hour, hashed by
:func:`bucket_hashes`. The app posts only its own buckets, the server answers with
:func:`match_buckets` against :func:`exposure_buckets` and stores nothing. What this
protects, honestly:

* The hashes are **not secret**. Korea holds about 2 million cells; two weeks hold
  336 hours; the server can hash all 7 × 10⁸ buckets in minutes and invert any
  request. The privacy comes only from the coarseness (a 220 m square and an hour,
  not a GPS trace) and from storing and logging nothing.
* A compromised or malicious server that keeps requests learns a coarse trajectory
  tied to the caller's address; nothing here prevents that. Apps that care should
  download the bucket index (the server publishes :func:`exposure_buckets`) and look
  their own hashes up on the device, which discloses nothing.

The history files are read by :mod:`outbreak.disclose.history`, which
``selfcheck.js`` mirrors too.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outbreak.arrays import spread
from outbreak.disclose.history import (
    EARTH_RADIUS_M,
    Presence,
    check_coords,
    from_ms,
    haversine_m,
    is_number,
    to_ms,
)
from outbreak.errors import InvalidInput

ACCURACY_CAP_M = 100.0  # a vague fix widens the radius by its accuracy, up to this
BUCKET_PREFIX = "outbreak-selfcheck-v1"
CELL_LAT_DEG = 0.002  # 222 m north-south everywhere
CELL_LON_DEG = 0.0025  # east-west: 221 m at 37.5°N (Seoul), 232 m at Jeju, 278 m at 0°
MAX_BUCKETS = 20_000  # hashes in one request: two weeks of a busy phone is ~2,000
_HEX16 = re.compile(r"[0-9a-f]{16}")
_HOUR_MS = 3_600_000
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Match:
    """A published exposure place the history overlaps.

    ``start``/``end`` span every matched visit's overlap with the exposure window
    (widened by the buffer, if any), in UTC; ``distance_m`` is the closest matched
    visit's distance to the place; ``n_visits`` how many visits matched.
    """

    exposure: Mapping[str, Any]
    start: datetime
    end: datetime
    distance_m: float
    n_visits: int

    @property
    def exposure_id(self) -> str:
        """The published place's ``id``."""
        return str(self.exposure["id"])


def _haversine_np(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a))))


def match(
    visits: Sequence[Presence],
    exposures: Sequence[Mapping[str, Any]],
    /,
    *,
    radius_m: float = 100.0,
    buffer_min: int = 0,
) -> list[Match]:
    """The published exposure places a history overlaps, one match per place.

    A visit matches a place when it lies within ``radius_m`` plus its own accuracy
    (capped at ``ACCURACY_CAP_M``) of the place, and its time overlaps the exposure
    window (edges included) widened by ``buffer_min`` on both sides. Candidates come
    from a lat/lon grid of cells as wide as the largest reach, so the cost grows
    with the visits and places near each other, not with their product.

    Parameters
    ----------
    visits
        From :func:`read_history`.
    exposures
        Published places: ``id``, ``lat``, ``lon``, ``exposure_start``,
        ``exposure_end`` (ISO 8601 with offset); other keys are carried along.
    radius_m, buffer_min
        Distance (1–5,000 m) and time slack (0–1,440 min).

    Returns
    -------
    list[Match]
        Sorted by start, then exposure id.

    Raises
    ------
    InvalidInput
        ``field="exposures"`` for a malformed place; ``radius_m``/``buffer_min``.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2020, 5, 3, 3, 30, tzinfo=UTC)
    >>> place = {"id": "3f9a", "lat": 37.49791, "lon": 127.02758,
    ...          "exposure_start": "2020-05-03T12:10:00+09:00",
    ...          "exposure_end": "2020-05-03T13:30:00+09:00"}
    >>> [m] = match([Presence(37.4980, 127.0276, t, t)], [place])
    >>> m.exposure_id, m.start.isoformat(), round(m.distance_m)
    ('3f9a', '2020-05-03T03:30:00+00:00', 10)
    """
    if not 1 <= radius_m <= 5_000:
        raise InvalidInput(f"radius_m={radius_m} is not 1-5,000 m", field="radius_m")
    if not 0 <= buffer_min <= 1_440:
        raise InvalidInput(
            f"buffer_min={buffer_min} is not 0-1,440 minutes", field="buffer_min"
        )
    if not visits or not exposures:
        return []
    elat, elon, es, ee = _exposure_arrays(exposures, buffer_min * 60_000)
    v = np.array(
        [(x.lat, x.lon, x.accuracy_m) for x in visits], dtype=np.float64
    ).reshape(-1, 3)
    vs = np.array([_ms_of(x.t_start) for x in visits], dtype=np.int64)
    ve = np.array([_ms_of(x.t_end) for x in visits], dtype=np.int64)
    keep = np.flatnonzero((ve >= es.min()) & (vs <= ee.max()))
    n = len(exposures)
    start = np.full(n, np.iinfo(np.int64).max)
    end = np.full(n, np.iinfo(np.int64).min)
    dist = np.full(n, np.inf)
    count = np.zeros(n, dtype=np.int64)
    grid = _Grid(elat, elon, es, ee, radius_m + ACCURACY_CAP_M)
    for chunk in np.array_split(keep, max(1, len(keep) // 50_000)):
        vi, ei = grid.candidates(v[chunk, 0], v[chunk, 1], vs[chunk], ve[chunk])
        vi = chunk[vi]
        ok = (vs[vi] <= ee[ei]) & (ve[vi] >= es[ei])
        vi, ei = vi[ok], ei[ok]
        d = _haversine_np(v[vi, 0], v[vi, 1], elat[ei], elon[ei])
        ok = d <= radius_m + np.minimum(v[vi, 2], ACCURACY_CAP_M)
        vi, ei, d = vi[ok], ei[ok], d[ok]
        np.minimum.at(start, ei, np.maximum(vs[vi], es[ei]))
        np.maximum.at(end, ei, np.minimum(ve[vi], ee[ei]))
        np.minimum.at(dist, ei, d)
        np.add.at(count, ei, 1)
    rows = zip(start.tolist(), end.tolist(), dist.tolist(), count.tolist(), strict=True)
    found = [
        Match(exposures[i], from_ms(t0), from_ms(t1), d, n)
        for i, (t0, t1, d, n) in enumerate(rows)
        if n
    ]
    return sorted(found, key=lambda m: (m.start, m.exposure_id))


class _Grid:
    """Places binned by (cell, hour): cells at least ``reach_m`` wide, every UTC
    hour their (closed) window touches. A visit looks in the 3 × 3 cells around
    it for each hour it touches; a (visit, place) pair is kept only from the first
    hour they share, so it comes out once."""

    def __init__(self, lat: Floats, lon: Floats, t0: Ints, t1: Ints, reach_m: float):
        self.dlat = math.degrees(reach_m / EARTH_RADIUS_M)
        top = min(89.0, float(np.abs(lat).max()) + self.dlat)
        self.dlon = self.dlat / math.cos(math.radians(top))
        self.h0 = int(t0.min()) // _HOUR_MS
        self.first = t0 // _HOUR_MS - self.h0
        self.nh = int((t1 // _HOUR_MS - self.h0).max()) + 1
        rows, hours = spread(self.first, t1 // _HOUR_MS - self.h0)
        keys = self._keys(lat[rows], lon[rows], hours, 0, 0)
        order = np.argsort(keys, kind="stable")
        self.sorted, self.rows = keys[order], rows[order]

    def _keys(self, lat: Floats, lon: Floats, hour: Ints, dy: int, dx: int) -> Ints:
        cy = np.floor((lat + 90) / self.dlat).astype(np.int64) + dy
        cx = np.floor((lon + 180) / self.dlon).astype(np.int64) + dx
        return np.asarray((cy * (1 << 21) + cx) * self.nh + hour)

    def candidates(
        self, lat: Floats, lon: Floats, t0: Ints, t1: Ints
    ) -> tuple[Ints, Ints]:
        """(visit index, place index) pairs that share a cell neighbourhood and an
        hour; the caller checks the exact distance and times."""
        first = np.clip(t0 // _HOUR_MS - self.h0, 0, self.nh - 1)
        last = np.clip(t1 // _HOUR_MS - self.h0, 0, self.nh - 1)
        vr, hours = spread(first, last)
        vis, exp = [], []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                q = self._keys(lat[vr], lon[vr], hours, dy, dx)
                lo = np.searchsorted(self.sorted, q, "left")
                counts = np.searchsorted(self.sorted, q, "right") - lo
                qi, pos = spread(lo, lo + counts - 1)
                ei = self.rows[pos]
                once = hours[qi] == np.maximum(first[vr[qi]], self.first[ei])
                vis.append(vr[qi[once]])
                exp.append(ei[once])
        return np.concatenate(vis), np.concatenate(exp)


def _exposure_arrays(
    exposures: Sequence[Mapping[str, Any]], buffer_ms: int
) -> tuple[Floats, Floats, Ints, Ints]:
    rows = []
    for i, e in enumerate(exposures, 1):
        ctx = f"Exposure #{i} ({e.get('id')!r})" if isinstance(e, Mapping) else ""
        if not ctx or not all(k in e for k in ("id", "lat", "lon")):
            raise InvalidInput(
                f"Exposure #{i} lacks id, lat or lon; pass the published places as "
                "returned by the public API",
                field="exposures",
            )
        lat, lon = e["lat"], e["lon"]
        if not (is_number(lat) and is_number(lon)):
            raise InvalidInput(f"{ctx} has non-numeric lat/lon", field="exposures")
        check_coords(lat, lon, ctx, field="exposures")
        s = to_ms(e.get("exposure_start"), ctx, field="exposures")
        t = to_ms(e.get("exposure_end"), ctx, field="exposures")
        if t < s:
            raise InvalidInput(f"{ctx} ends before it starts", field="exposures")
        rows.append((lat, lon, s - buffer_ms, t + buffer_ms))
    lat_, lon_, s_, t_ = zip(*rows, strict=True)
    return (
        np.array(lat_, dtype=np.float64),
        np.array(lon_, dtype=np.float64),
        np.array(s_, dtype=np.int64),
        np.array(t_, dtype=np.int64),
    )


def _ms_of(t: datetime) -> int:
    return round(t.timestamp() * 1000)  # exact at the millisecond precision we keep


def nearest_clinics(
    lat: float, lon: float, clinics: Iterable[Mapping[str, Any]], /, *, n: int = 3
) -> list[tuple[Mapping[str, Any], float]]:
    """The ``n`` screening clinics closest to a point, with their distance in metres.

    Clinics without numeric ``lat``/``lon`` are left out.

    Examples
    --------
    >>> clinics = [{"name": "far", "lat": 37.6, "lon": 127.0},
    ...            {"name": "near", "lat": 37.51, "lon": 127.04}]
    >>> [(c["name"], round(d)) for c, d in nearest_clinics(37.5, 127.03, clinics)]
    [('near', 1419), ('far', 11430)]
    """
    scored = (
        (haversine_m(lat, lon, c["lat"], c["lon"]), i, c)
        for i, c in enumerate(clinics)
        if is_number(c.get("lat")) and is_number(c.get("lon"))
    )
    return [(c, d) for d, _, c in heapq.nsmallest(n, scored, key=lambda s: s[:2])]


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_LAT_DEG), math.floor(lon / CELL_LON_DEG)


def _hours(t0_ms: int, t1_ms: int) -> range:
    """UTC hours (since 1970) an interval overlaps; an end on the hour adds none."""
    first = t0_ms // _HOUR_MS
    return range(first, max(first, (t1_ms - 1) // _HOUR_MS) + 1)


def _hash(cy: int, cx: int, hour: int) -> str:
    text = f"{BUCKET_PREFIX}:{cy}:{cx}:{hour}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def bucket_hashes(points: Iterable[Presence], /) -> set[str]:
    """What an app posts: the hashed (cell, hour) buckets of its own visits.

    A bucket is ``sha256("outbreak-selfcheck-v1:{cell_lat}:{cell_lon}:{hour}")``
    cut to 16 hex digits, where ``cell_lat = floor(lat / CELL_LAT_DEG)``,
    ``cell_lon = floor(lon / CELL_LON_DEG)`` and ``hour = floor(unix_ms / 3600000)``
    for every hour the visit overlaps. Post only the last few weeks.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2020, 5, 3, 3, 30, tzinfo=UTC)
    >>> sorted(bucket_hashes([Presence(37.4980, 127.0276, t, t)]))
    ['ad094b409d252718']
    """
    out = set()
    for v in points:
        cy, cx = _cell(v.lat, v.lon)
        for hour in _hours(_ms_of(v.t_start), _ms_of(v.t_end)):
            out.add(_hash(cy, cx, hour))
    return out


def exposure_buckets(exposures: Sequence[Mapping[str, Any]], /) -> dict[str, list[str]]:
    """The bucket index the server publishes: hash → exposure ids.

    Each place covers its cell and the 8 around it, for every hour its exposure
    window overlaps: a point in such an hour always matches within one cell
    (~220 m) of the place, may match up to two cells away, and never beyond.

    Examples
    --------
    >>> place = {"id": "3f9a", "lat": 37.49791, "lon": 127.02758,
    ...          "exposure_start": "2020-05-03T12:10:00+09:00",
    ...          "exposure_end": "2020-05-03T13:30:00+09:00"}
    >>> index = exposure_buckets([place])
    >>> len(index), index["ad094b409d252718"]
    (18, ['3f9a'])
    """
    if not exposures:
        return {}
    lat, lon, start, end = _exposure_arrays(exposures, 0)
    index: dict[str, set[str]] = {}
    for i, e in enumerate(exposures):
        cy, cx = _cell(float(lat[i]), float(lon[i]))
        for hour in _hours(int(start[i]), int(end[i])):
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    index.setdefault(_hash(cy + dy, cx + dx, hour), set()).add(
                        str(e["id"])
                    )
    return {h: sorted(ids) for h, ids in index.items()}


def match_buckets(
    hashes: Collection[str], index: Mapping[str, Sequence[str]], /
) -> list[str]:
    """The exposure ids whose buckets a posted set of hashes hits (stores nothing).

    Raises
    ------
    InvalidInput
        ``field="buckets"``: not a list, more than ``MAX_BUCKETS`` hashes, or a
        hash that is not 16 hex digits.

    Examples
    --------
    >>> match_buckets(["ad094b409d252718", "0000000000000000"],
    ...               {"ad094b409d252718": ["3f9a"]})
    ['3f9a']
    """
    if isinstance(hashes, str | bytes) or not isinstance(hashes, Collection):
        raise InvalidInput(
            "Post the buckets as a list of hashes from bucket_hashes", field="buckets"
        )
    if len(hashes) > MAX_BUCKETS:
        raise InvalidInput(
            f"{len(hashes):,} buckets posted, more than {MAX_BUCKETS:,}; post only "
            "the buckets of the last four weeks",
            field="buckets",
        )
    wanted = set()
    for h in hashes:
        if not isinstance(h, str) or not _HEX16.fullmatch(h.lower()):
            raise InvalidInput(
                f"Bucket {h!r} is not 16 hex digits; compute buckets with "
                "bucket_hashes (sha256 of the cell and hour, first 16 digits)",
                field="buckets",
            )
        wanted.add(h.lower())
    return sorted({eid for h in wanted for eid in index.get(h, ())})
