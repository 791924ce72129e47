"""The Google/Apple Exposure Notification (GAEN) key schedule, keys and matching.

Pure functions over bytes and integers, after the Exposure Notification
Cryptography Specification v1.2 (and ``google/exposure-notifications-internals``
``CRYPTO.md``); see docs/exposure-notification.md. ``‖`` is concatenation::

    ENIntervalNumber(t) = floor(unix_seconds(t) / 600)          10-minute windows
    RPIK   = HKDF-SHA256(TEK, salt=None, info="EN-RPIK", L=16)
    AEMK   = HKDF-SHA256(TEK, salt=None, info="EN-AEMK", L=16)
    PaddedData_j = "EN-RPI" ‖ 0x00 × 6 ‖ LE32(ENIN_j)             16 bytes
    RPI_j  = AES-128-ECB(RPIK, PaddedData_j)
    AEM_j  = AES-128-CTR(AEMK, IV=RPI_j, metadata)               4 bytes

A phone broadcasts ``RPI_j ‖ AEM_j`` and rotates them every interval. A diagnosed
person's phone uploads its temporary exposure keys (TEKs), the *diagnosis keys*;
every other phone re-derives their RPIs and looks for ones it has seen
(:func:`match`). The server never learns who met whom.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import NotRequired, TypedDict

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from outbreak.errors import InvalidInput

INTERVAL_S = 600  # one ENIntervalNumber: 10 minutes
TEK_ROLLING_PERIOD = 144  # intervals a TEK is valid: 24 h
KEY_LENGTH = 16  # bytes of a TEK, RPIK, AEMK and RPI
METADATA_LENGTH = 4  # version, TX power (dBm), 2 reserved bytes (BT spec v1.2)
MAX_KEYS_PER_UPLOAD = 14  # one key a day over the infectious window
RETENTION_DAYS = 14  # a key older than this "can no longer be matched"
MATCH_TOLERANCE_INTERVALS = 12  # ±2 h between an RPI's interval and its sighting
MAX_INTERVAL = 2**31 - 1  # the export format stores interval numbers as int32
DAYS_SINCE_ONSET = range(-14, 15)  # the export format's valid range
UPLOAD_FIELD = "temporaryExposureKeys"

_RPI_LABEL = b"EN-RPI"


class ReportType(IntEnum):
    """Why a key was published (``TemporaryExposureKey.ReportType``)."""

    UNKNOWN = 0
    CONFIRMED_TEST = 1
    CONFIRMED_CLINICAL_DIAGNOSIS = 2
    SELF_REPORT = 3
    RECURSIVE = 4
    REVOKED = 5


def interval_number(t: datetime | float) -> int:
    """The ENIntervalNumber of ``t``: 10-minute windows since the Unix epoch.

    Parameters
    ----------
    t
        An aware datetime, or Unix time in seconds.

    Raises
    ------
    InvalidInput
        For a naive datetime (the interval of a local time is ambiguous).

    Examples
    --------
    >>> interval_number(datetime(2020, 4, 2, tzinfo=UTC))
    2642976
    >>> interval_number(1585785600 + 599)
    2642976
    """
    if isinstance(t, datetime):
        if t.tzinfo is None:
            raise InvalidInput(
                f"Naive datetime {t.isoformat()}; pass an aware time (UTC)",
                field="t",
            )
        t = t.timestamp()
    return int(t // INTERVAL_S)


def interval_start(enin: int) -> datetime:
    """The UTC time at which interval ``enin`` begins.

    Examples
    --------
    >>> interval_start(2642976).isoformat()
    '2020-04-02T00:00:00+00:00'
    """
    return datetime.fromtimestamp(enin * INTERVAL_S, UTC)


def _hkdf(tek: bytes, info: bytes) -> bytes:
    _require_key(tek, "tek")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=None, info=info)
    return hkdf.derive(tek)


def rpik(tek: bytes) -> bytes:
    """The Rolling Proximity Identifier Key of a TEK.

    Examples
    --------
    >>> rpik(bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")).hex()
    '185ad91db69ec7dd048960f1f3ba6175'
    """
    return _hkdf(tek, b"EN-RPIK")


def aemk(tek: bytes) -> bytes:
    """The Associated Encrypted Metadata Key of a TEK."""
    return _hkdf(tek, b"EN-AEMK")


def padded_data(enin: int) -> bytes:
    """The 16-byte block that is encrypted into the RPI of interval ``enin``.

    Examples
    --------
    >>> padded_data(2642976).hex()
    '454e2d52504900000000000020542800'
    """
    return _RPI_LABEL + bytes(6) + enin.to_bytes(4, "little")


def rpi(rpi_key: bytes, enin: int) -> bytes:
    """The Rolling Proximity Identifier broadcast during interval ``enin``."""
    _require_key(rpi_key, "rpik")
    # One block under a fresh key per TEK: ECB is the spec's PRP, not a mode choice.
    cipher = Cipher(algorithms.AES(rpi_key), modes.ECB())  # noqa: S305
    encryptor = cipher.encryptor()
    return encryptor.update(padded_data(enin)) + encryptor.finalize()


def aem(aem_key: bytes, rpi_: bytes, metadata: bytes) -> bytes:
    """Encrypt (or, being CTR, decrypt) the 4 metadata bytes sent with ``rpi_``.

    Examples
    --------
    >>> tek = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
    >>> first = rpi(rpik(tek), 2642976)
    >>> aem(aemk(tek), first, bytes.fromhex("40080000")).hex()
    '72033874'
    >>> aem(aemk(tek), first, bytes.fromhex("72033874")).hex()
    '40080000'
    """
    _require_key(aem_key, "aemk")
    _require_key(rpi_, "rpi")
    if len(metadata) != METADATA_LENGTH:
        raise InvalidInput(
            f"Metadata is {METADATA_LENGTH} bytes; got {len(metadata)}",
            field="metadata",
        )
    encryptor = Cipher(algorithms.AES(aem_key), modes.CTR(rpi_)).encryptor()
    return encryptor.update(metadata) + encryptor.finalize()


def _require_key(value: bytes, field: str) -> None:
    if len(value) != KEY_LENGTH:
        raise InvalidInput(
            f"{field} must be {KEY_LENGTH} bytes; got {len(value)}", field=field
        )


@dataclass(frozen=True)
class DiagnosisKey:
    """A TEK published after a diagnosis, with its validity and risk.

    Parameters
    ----------
    key_data
        The 16-byte temporary exposure key.
    rolling_start_interval_number
        The ENIntervalNumber at which the key became valid (0 to 2³¹ − 1).
    rolling_period
        Intervals the key was valid, 1 to 144 (24 h).
    transmission_risk
        0 (none or unknown) to 8, as the app reports it.
    days_since_onset
        Days from symptom onset to the key's day, −14 to 14; None if unknown.
    report_type
        Why the key was published; uploads verified for a confirmed case are
        ``CONFIRMED_TEST``.

    Raises
    ------
    InvalidInput
        Naming the attribute and the value, when a value is out of range.

    Examples
    --------
    >>> key = DiagnosisKey(bytes(16), 2642976)
    >>> key.rolling_period, key.end_interval
    (144, 2643120)
    >>> DiagnosisKey(bytes(15), 2642976)
    Traceback (most recent call last):
    ...
    outbreak.errors.InvalidInput: A key is 16 bytes; got 15 bytes
    """

    key_data: bytes
    rolling_start_interval_number: int
    rolling_period: int = TEK_ROLLING_PERIOD
    transmission_risk: int = 0
    days_since_onset: int | None = None
    report_type: ReportType = ReportType.CONFIRMED_TEST

    def __post_init__(self) -> None:
        if len(self.key_data) != KEY_LENGTH:
            raise InvalidInput(
                f"A key is {KEY_LENGTH} bytes; got {len(self.key_data)} bytes",
                field="key_data",
            )
        _check_range(
            self.rolling_start_interval_number,
            range(MAX_INTERVAL + 1),
            "rolling_start_interval_number",
            "an ENIntervalNumber",
        )
        _check_range(
            self.rolling_period, range(1, TEK_ROLLING_PERIOD + 1), "rolling_period"
        )
        _check_range(self.transmission_risk, range(9), "transmission_risk")
        if self.days_since_onset is not None:
            _check_range(self.days_since_onset, DAYS_SINCE_ONSET, "days_since_onset")

    @property
    def end_interval(self) -> int:
        """The first interval after the key's validity."""
        return self.rolling_start_interval_number + self.rolling_period

    def rpis(self) -> list[bytes]:
        """Every RPI the key produced, one per interval of its rolling period."""
        return rpis(
            self.key_data, self.rolling_start_interval_number, self.rolling_period
        )


def _check_range(value: int, valid: range, field: str, what: str = "") -> None:
    if value not in valid:
        kind = f" ({what})" if what else ""
        raise InvalidInput(
            f"{field} must be {valid.start} to {valid.stop - 1}{kind}; got {value}",
            field=field,
        )


def rpis(tek: bytes, start: int, count: int = TEK_ROLLING_PERIOD) -> list[bytes]:
    """The RPIs of ``tek`` for intervals ``start`` … ``start + count - 1``.

    Examples
    --------
    >>> ids = rpis(bytes.fromhex("75c734c6dd1a782de7a965da5eb93125"), 2642976)
    >>> len(ids), ids[1].hex()
    (144, '3c9a1de5dd6b02afa7fded7b570b3e56')
    """
    key = rpik(tek)
    return [rpi(key, start + j) for j in range(count)]


# --- uploads -----------------------------------------------------------------

# The publish API's names for the DiagnosisKey attributes (v1 JSON).
JSON_NAMES = {
    "key_data": "key",
    "rolling_start_interval_number": "rollingStartNumber",
    "rolling_period": "rollingPeriod",
    "transmission_risk": "transmissionRisk",
    "days_since_onset": "daysSinceOnsetOfSymptoms",
}


class KeyJson(TypedDict):
    """One element of ``temporaryExposureKeys`` in the publish request."""

    key: str
    rollingStartNumber: int
    rollingPeriod: int
    transmissionRisk: int
    daysSinceOnsetOfSymptoms: NotRequired[int | None]


def _item(index: int, attr: str = "") -> str:
    name = JSON_NAMES.get(attr, attr)
    return f"{UPLOAD_FIELD}[{index}]" + (f".{name}" if name else "")


def parse_upload(
    items: Sequence[KeyJson],
    /,
    *,
    now: datetime,
    symptom_onset_interval: int | None = None,
) -> tuple[DiagnosisKey, ...]:
    """Decode and check the keys of a publish request, all or nothing.

    Parameters
    ----------
    items
        The request's ``temporaryExposureKeys``: base64 ``key``,
        ``rollingStartNumber``, ``rollingPeriod``, ``transmissionRisk``.
    now
        When the upload arrived (aware).
    symptom_onset_interval
        The request's ``symptomOnsetInterval``: an interval on the day symptoms
        began. Keys without ``daysSinceOnsetOfSymptoms`` get it from the UTC days
        between the two, when that lies within −14 to 14.

    Returns
    -------
    tuple of DiagnosisKey
        In upload order.

    Raises
    ------
    InvalidInput
        For the first bad key, ``field`` naming it, e.g.
        ``temporaryExposureKeys[2].rollingStartNumber`` (see :func:`check_keys`).

    Examples
    --------
    >>> now = datetime(2020, 4, 3, 12, tzinfo=UTC)
    >>> item = {"key": "dcc0xt0aeC3nqWXaXrkxJQ==", "rollingStartNumber": 2642976,
    ...         "rollingPeriod": 144, "transmissionRisk": 4}
    >>> parse_upload([item], now=now)[0].key_data.hex()
    '75c734c6dd1a782de7a965da5eb93125'
    >>> parse_upload([{**item, "key": "dcc0xt0a"}], now=now)
    Traceback (most recent call last):
    ...
    outbreak.errors.InvalidInput: A key is 16 bytes; got 6 bytes
    """
    keys = []
    for i, item in enumerate(items):
        try:
            keys.append(
                DiagnosisKey(
                    key_data=_decode_key(item["key"]),
                    rolling_start_interval_number=item["rollingStartNumber"],
                    rolling_period=item["rollingPeriod"],
                    transmission_risk=item["transmissionRisk"],
                    days_since_onset=_onset_days(item, symptom_onset_interval),
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=_item(i, exc.field or "")) from None
    return check_keys(keys, now=now)


def _onset_days(item: KeyJson, onset_interval: int | None) -> int | None:
    given = item.get("daysSinceOnsetOfSymptoms")
    if given is not None or onset_interval is None:
        return given
    days = item["rollingStartNumber"] // TEK_ROLLING_PERIOD - (
        onset_interval // TEK_ROLLING_PERIOD
    )
    return days if days in DAYS_SINCE_ONSET else None


def _decode_key(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            f"A key is standard base64 (RFC 4648) of 16 bytes; got {text[:40]!r}",
            field="key_data",
        ) from None


def check_keys(
    keys: Sequence[DiagnosisKey],
    /,
    *,
    now: datetime,
    max_age_days: int = RETENTION_DAYS,
) -> tuple[DiagnosisKey, ...]:
    """Check an upload's keys as a whole against the time of upload.

    The rules: 1 to 14 keys; no key twice; no two keys valid at the same time (one
    phone has one TEK at a time); none starting after ``now``; none that ended more
    than ``max_age_days`` ago (it could no longer be matched).

    Returns
    -------
    tuple of DiagnosisKey
        The keys, unchanged, when every rule holds.

    Raises
    ------
    InvalidInput
        For the first broken rule; ``field`` is ``temporaryExposureKeys`` or names
        the offending key as ``temporaryExposureKeys[i].<attribute>``.

    Examples
    --------
    >>> now = datetime(2020, 4, 3, 12, tzinfo=UTC)
    >>> check_keys([DiagnosisKey(bytes(16), 2643120)], now=now)[0].rolling_period
    144
    >>> late = DiagnosisKey(bytes(16), 2643193)  # starts at 12:10
    >>> try:
    ...     check_keys([DiagnosisKey(bytes([1] * 16), 2642976), late], now=now)
    ... except InvalidInput as exc:
    ...     print(exc.field)
    temporaryExposureKeys[1].rollingStartNumber
    """
    if not 1 <= len(keys) <= MAX_KEYS_PER_UPLOAD:
        raise InvalidInput(
            f"An upload carries 1 to {MAX_KEYS_PER_UPLOAD} keys; got {len(keys)}",
            field=UPLOAD_FIELD,
        )
    current = interval_number(now)
    oldest = current - max_age_days * TEK_ROLLING_PERIOD
    first_seen: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        start = key.rolling_start_interval_number
        if key.key_data in first_seen:
            raise InvalidInput(
                f"Key {i} repeats key {first_seen[key.key_data]}; send each key once",
                field=_item(i, "key_data"),
            )
        first_seen[key.key_data] = i
        if start > current:
            raise InvalidInput(
                f"Key {i} starts at interval {start} "
                f"({interval_start(start).isoformat()}), after the upload (interval "
                f"{current}); expected a key that has started",
                field=_item(i, "rolling_start_interval_number"),
            )
        if key.end_interval <= oldest:
            raise InvalidInput(
                f"Key {i} ended at {interval_start(key.end_interval).isoformat()}, "
                f"more than {max_age_days} days ago; expected only keys of the last "
                f"{max_age_days} days",
                field=_item(i, "rolling_start_interval_number"),
            )
    _check_overlaps(keys)
    return tuple(keys)


def _check_overlaps(keys: Sequence[DiagnosisKey]) -> None:
    order = sorted(
        range(len(keys)), key=lambda i: keys[i].rolling_start_interval_number
    )
    for before, after in zip(order, order[1:], strict=False):
        if keys[after].rolling_start_interval_number < keys[before].end_interval:
            raise InvalidInput(
                f"Key {after} (intervals {keys[after].rolling_start_interval_number}"
                f"–{keys[after].end_interval - 1}) overlaps key {before} (intervals "
                f"{keys[before].rolling_start_interval_number}–"
                f"{keys[before].end_interval - 1}); a phone has one key at a time",
                field=_item(after, "rolling_start_interval_number"),
            )


def expires_at(key: DiagnosisKey, *, retention_days: int = RETENTION_DAYS) -> datetime:
    """When a key can no longer be matched and is deleted: its end plus 14 days.

    Examples
    --------
    >>> expires_at(DiagnosisKey(bytes(16), 2642976)).isoformat()
    '2020-04-17T00:00:00+00:00'
    """
    return interval_start(key.end_interval) + timedelta(days=retention_days)


# --- matching (what a phone does) -----------------------------------------------


@dataclass(frozen=True)
class Observation:
    """An RPI a phone received, with the interval in which it received it.

    ``aem`` is the encrypted metadata sent with the RPI, when recorded.
    """

    rpi: bytes
    interval: int
    aem: bytes | None = None


@dataclass(frozen=True)
class Match:
    """An observation explained by a diagnosis key.

    ``interval`` is the interval the key's RPI belongs to; ``metadata`` is the
    decrypted AEM (version, TX power, reserved), when the observation had one.
    """

    key: DiagnosisKey
    observation: Observation
    interval: int
    metadata: bytes | None = None


def match(
    observed: Iterable[Observation],
    keys: Iterable[DiagnosisKey],
    /,
    *,
    tolerance_intervals: int = MATCH_TOLERANCE_INTERVALS,
) -> list[Match]:
    """Find the observations that come from diagnosis keys, as a phone does.

    Each key's RPIs are re-derived; an observed RPI matches the RPI of interval
    ``j`` only if it was seen within ``tolerance_intervals`` of ``j`` (±2 h in the
    specification), so a replayed RPI does not count.

    Parameters
    ----------
    observed
        The RPIs the phone received and when.
    keys
        Diagnosis keys from the server's exports.
    tolerance_intervals
        How far (in 10-minute intervals) a sighting may be from the RPI's interval.

    Returns
    -------
    list of Match
        One per matching observation, in key order.

    Examples
    --------
    >>> tek = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
    >>> seen = Observation(bytes.fromhex("3c9a1de5dd6b02afa7fded7b570b3e56"), 2642989)
    >>> [m.interval for m in match([seen], [DiagnosisKey(tek, 2642976)])]
    [2642977]
    >>> late = Observation(seen.rpi, 2642990)  # 13 intervals later: a replay
    >>> match([late], [DiagnosisKey(tek, 2642976)])
    []
    """
    by_rpi: dict[bytes, list[Observation]] = defaultdict(list)
    for obs in observed:
        by_rpi[obs.rpi].append(obs)
    found: list[Match] = []
    for key in keys:
        start = key.rolling_start_interval_number
        for j, derived in enumerate(key.rpis(), start=start):
            for obs in by_rpi.get(derived, ()):
                if abs(obs.interval - j) <= tolerance_intervals:
                    found.append(_matched(key, obs, j, derived))
    return found


def _matched(key: DiagnosisKey, obs: Observation, j: int, derived: bytes) -> Match:
    meta = aem(aemk(key.key_data), derived, obs.aem) if obs.aem is not None else None
    return Match(key=key, observation=obs, interval=j, metadata=meta)
