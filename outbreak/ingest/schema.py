"""Canonical movement tables, declared once (style rule 17).

``pings`` — one located observation of a person (GPS fix or base-station record):
person key (as ``key64``: its first 64 bits), time, EPSG:5179 position in
decimetres, accuracy, source, plus the keys every query uses: the 5-minute
``bin`` and the 20 m grid cell ``gkey``. Stored under
``pings/date=YYYY-MM-DD/tile=X_Y/`` (2 km tiles) sorted by bin (see ``layout``).

``visits`` — a person at a known place (card payment, KI-Pass QR or 안심콜 check-in):
person key, place id, time, source; under ``visits/date=YYYY-MM-DD/``.

Positions are integers: decimetres in EPSG:5179 (Korea 2000 / Unified CS) are exact to
10 cm over the whole country in 4 bytes each; times are int32 Unix seconds.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa

BIN_S = 300  # 5-minute bins
GRID_DM = 200  # 20 m grid cells, in decimetres
TILE_DM = 20_000  # 2 km partition tiles, in decimetres
GKEY_STRIDE = 1_000_000  # gkey = gx * stride + gy (gy < 1e6 anywhere in Korea)

KEY = pa.int64()  # outbreak.privacy.key64 of the person key: 8 bytes a row
PINGS = pa.schema(
    [
        pa.field("person_key", KEY),
        pa.field("t", pa.int32()),
        pa.field("x_dm", pa.int32()),
        pa.field("y_dm", pa.int32()),
        pa.field("accuracy_m", pa.int16()),
        pa.field("source", pa.dictionary(pa.int32(), pa.string())),
        pa.field("bin", pa.int32()),
        pa.field("gkey", pa.int64()),
    ]
)
VISITS = pa.schema(
    [
        pa.field("person_key", KEY),
        pa.field("place_id", pa.int32()),
        pa.field("t", pa.int32()),
        pa.field("source", pa.dictionary(pa.int32(), pa.string())),
        pa.field("x_dm", pa.int32()),
        pa.field("y_dm", pa.int32()),
    ]
)
QR_IDENTITY = pa.schema(
    [
        pa.field("token_key", KEY),
        pa.field("person_key", KEY),
        pa.field("t", pa.int32()),
    ]
)
# Where each person's pings are (an index over ``pings``): one row per person, day and
# tile, with the bins spanned; ``code`` is the tile as ``tx * 10,000 + ty``.
PRESENCE = pa.schema(
    [
        pa.field("person_key", KEY),
        pa.field("code", pa.int32()),
        pa.field("bin_min", pa.int32()),
        pa.field("bin_max", pa.int32()),
        pa.field("n", pa.int32()),
    ]
)
# Everyone's stays of a day, beside its person-ordered copy (``tracks``): who dwelt
# where and when, as a route finds one person's stays (adjacent ones not merged).
STAYS = pa.schema(
    [
        pa.field("person_key", KEY),
        pa.field("t_start", pa.int64()),
        pa.field("t_end", pa.int64()),
        pa.field("x_dm", pa.int32()),
        pa.field("y_dm", pa.int32()),
        pa.field("n", pa.int32()),  # fixes in the stay
    ]
)
REJECTS = pa.schema(
    [
        pa.field("line", pa.int64()),  # 1-based row number in the source file
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),  # the row as JSON, identifiers masked
    ]
)
# Personal data: the person key links to people; nothing else here identifies anyone.
PERSONAL_COLUMNS = {"pings": ("person_key",), "visits": ("person_key",),
                    "qr_identity": ("token_key", "person_key"),
                    "presence": ("person_key",), "tracks": ("person_key",)}  # fmt: skip


class Reason(StrEnum):
    """Why a raw row was rejected (every reason is tested)."""

    BAD_TIME = "bad_time"  # missing, unparseable or implausible timestamp
    BAD_IDENTIFIER = "bad_identifier"  # malformed phone, card number or token
    OUTSIDE_COUNTRY = "outside_country"  # coordinates outside South Korea
    UNKNOWN_TOWER = "unknown_tower"
    UNKNOWN_VENUE = "unknown_venue"
    IMPOSSIBLE_SPEED = "impossible_speed"  # implies > 250 km/h from the last fix
    DUPLICATE = "duplicate"  # same person, same time, same source, in one file
    SAME_BIN = "same_bin"  # a better fix of the person exists in the 5-minute bin
    BAD_VALUE = "bad_value"  # e.g. negative accuracy or amount
