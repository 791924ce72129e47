"""Raw feeds from the true stays, in the shapes Korea's investigators received them.

* GPS (apps): one fix per 5-minute bin at a random second, 5% missing; position =
  the stay (plus a per-stay bias) or the straight line between stays, plus jitter;
  ``accuracy_m`` is the jitter's scale. WGS84 latitude/longitude, as apps send them.
* Telecom: base-station records — the tower the phone attached to (nearest, 20% the
  second-nearest) in half the bins; accuracy is the tower spacing (hundreds of m).
* Card: one transaction at 70% of paid visits, at a random time during the stay.
* KI-Pass QR: a one-time visitor token per check-in at QR venues; the token → phone
  table is a separate feed (``qr_identity``), as the social-security service kept it.
* 안심콜: the venue's number called from the visitor's phone.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outbreak.geo.metric import fast_degrees
from outbreak.synth import params as P
from outbreak.synth.city import KIND, City, card_of, phone_of, rng_for
from outbreak.synth.itinerary import DAY_S, Stays

Ints = NDArray[np.int64]
BINS = DAY_S // P.BIN_S


def _positions(
    stays: Stays, pid: Ints, t: Ints
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], Ints]:
    """Where each (pid, t) was: at a stay, or travelling between two stays."""
    key_stay = stays.pid * DAY_S + stays.start
    i = np.searchsorted(key_stay, pid * DAY_S + t, side="right") - 1
    at_stay = t < stays.end[i]
    nxt = np.minimum(i + 1, len(stays) - 1)
    span = np.maximum(stays.start[nxt] - stays.end[i], 1)
    f = np.clip((t - stays.end[i]) / span, 0, 1)
    x = np.where(at_stay, stays.x[i], stays.x[i] + f * (stays.x[nxt] - stays.x[i]))
    y = np.where(at_stay, stays.y[i], stays.y[i] + f * (stays.y[nxt] - stays.y[i]))
    return x, y, at_stay, i


def gps_and_telecom(
    city: City, stays: Stays, day: int, day_start: int, chunk: int
) -> tuple[pa.Table, pa.Table]:
    """GPS fixes and base-station records of one chunk for one day."""
    rng = rng_for(city.seed, 4, chunk, day)
    people = np.unique(stays.pid)
    pid = np.repeat(people, BINS)
    t = np.tile(np.arange(BINS) * P.BIN_S, len(people)) + rng.integers(
        0, P.BIN_S, len(pid)
    )
    x, y, at_stay, stay = _positions(stays, pid, t)
    # per-stay bias (median 10 m) and per-fix jitter (median 15 m, 5-60 m)
    bias = rng.lognormal(np.log(10), 0.6, (len(stays), 2)) * rng.choice(
        [-1, 1], (len(stays), 2)
    )
    acc = np.clip(rng.lognormal(np.log(15), 0.5, len(pid)), 5, 60)
    gx = (
        x + np.where(at_stay, bias[stay, 0], 0) + rng.normal(0, 1, len(pid)) * acc / 1.4
    )
    gy = (
        y + np.where(at_stay, bias[stay, 1], 0) + rng.normal(0, 1, len(pid)) * acc / 1.4
    )
    keep = rng.random(len(pid)) >= P.GPS_DROP
    lon, lat = fast_degrees()(gx[keep], gy[keep])
    phones = pa.array(phone_of(people))
    owner = np.searchsorted(people, pid).astype(np.int32)
    gps = pa.table(
        {
            "device_id": pa.DictionaryArray.from_arrays(owner[keep], phones),
            "timestamp": pa.array(day_start + t[keep], pa.int32()),
            "lat": pa.array(np.round(lat, 6)),
            "lon": pa.array(np.round(lon, 6)),
            "accuracy_m": pa.array(np.round(acc[keep]).astype(np.int16)),
        }
    )
    on = rng.random(len(pid)) < P.TELECOM_KEEP
    first_tower, second_tower = city.nearest_towers(x[on], y[on])
    second = rng.random(int(on.sum())) < P.TOWER_NEIGHBOUR
    tower = np.where(second, second_tower, first_tower)
    telecom = pa.table(
        {
            "msisdn": pa.DictionaryArray.from_arrays(owner[on], phones),
            "cell_id": pa.array(tower.astype(np.int32)),
            "timestamp": pa.array(day_start + t[on], pa.int32()),
        }
    )
    return gps, telecom


def transactions(
    city: City, stays: Stays, day: int, day_start: int, chunk: int
) -> dict[str, pa.Table]:
    """Card, QR (with its identity table) and phone check-ins at venues."""
    rng = rng_for(city.seed, 5, chunk, day)
    kinds = np.array(list(P.CARD_AMOUNT_KRW))
    kind_ids = np.array([KIND[k] for k in kinds])
    paid = np.isin(stays.kind, kind_ids) & (rng.random(len(stays)) < P.CARD_SHARE)
    s = np.flatnonzero(paid)
    at = stays.start[s] + (rng.random(len(s)) * (stays.end[s] - stays.start[s])).astype(
        np.int64
    )
    median = np.zeros(len(KIND))
    median[kind_ids] = list(P.CARD_AMOUNT_KRW.values())
    amount = np.round(median[stays.kind[s]] * rng.lognormal(0, 0.5, len(s)), -2)
    card = pa.table(
        {
            "card_token": pa.array(card_of(stays.pid[s])),
            "merchant_id": pa.array(stays.place[s].astype(np.int32)),
            "timestamp": pa.array(day_start + at, pa.int32()),
            "amount_krw": pa.array(amount.astype(np.int32)),
        }
    )
    qr_kinds = np.array([KIND[k] for k in P.QR_KINDS])
    qr = np.flatnonzero(
        np.isin(stays.kind, qr_kinds) & (rng.random(len(stays)) < P.QR_SHARE)
    )
    tokens = np.array(
        [f"{v:016x}" for v in rng.integers(0, 2**63, len(qr), dtype=np.int64)]
    )
    arrive = day_start + stays.start[qr] + rng.integers(0, 120, len(qr))
    qr_table = pa.table(
        {
            "venue_id": pa.array(stays.place[qr].astype(np.int32)),
            "visitor_token": pa.array(tokens),
            "timestamp": pa.array(arrive, pa.int32()),
        }
    )
    identity = pa.table(
        {
            "visitor_token": pa.array(tokens),
            "phone": pa.array(phone_of(stays.pid[qr])),
            "issued_at": pa.array(arrive - rng.integers(5, 60, len(qr)), pa.int32()),
        }
    )
    phone_kinds = np.array([KIND[k] for k in P.PHONE_KINDS])
    called = np.isin(stays.kind, phone_kinds) & ~np.isin(np.arange(len(stays)), qr)
    ph = np.flatnonzero(called & (rng.random(len(stays)) < P.PHONE_SHARE))
    numbers = np.array(city.places.phone, dtype=object)
    caller = phone_of(stays.pid[ph])
    phone = pa.table(
        {
            "venue_number": pa.array(numbers[stays.place[ph]].astype(str)),
            "caller_number": pa.array(
                [f"{c[:3]}-{c[3:7]}-{c[7:]}" for c in caller.tolist()], pa.string()
            ),
            "timestamp": pa.array(
                day_start + stays.start[ph] + rng.integers(0, 300, len(ph)), pa.int32()
            ),
        }
    )
    return {"card": card, "qr": qr_table, "qr_identity": identity, "phone": phone}


def truth(stays: Stays, day_start: int) -> pa.Table:
    """The true stays (for accuracy tests only; never read by production code)."""
    return pa.table(
        {
            "pid": pa.array(stays.pid.astype(np.int32)),
            "place_id": pa.array(stays.place),
            "kind": pa.array(stays.kind.astype(np.int8)),
            "t_start": pa.array(day_start + stays.start, pa.int32()),
            "t_end": pa.array(day_start + stays.end, pa.int32()),
            "x_dm": pa.array(np.round(stays.x * 10).astype(np.int32)),
            "y_dm": pa.array(np.round(stays.y * 10).astype(np.int32)),
        }
    )
