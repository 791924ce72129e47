"""The GAEN key schedule against the specification's test vectors, upload checks,
matching as a phone does it, and signed export files (pure: no database)."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from outbreak.disclose import gaen, gaen_export
from outbreak.disclose.gaen import (
    DiagnosisKey,
    KeyJson,
    Observation,
    ReportType,
    check_keys,
    interval_number,
    match,
    parse_upload,
)
from outbreak.disclose.gaen_export import (
    HEADER,
    Export,
    SignatureInfo,
    export_bin,
    load_public_key,
    read_export,
    split,
    write_export,
)
from outbreak.errors import InvalidInput

# Test vectors: Exposure Notification Cryptography Specification, as used by
# google/exposure-notifications-internals TestVectors.java (docs/design notes §8.1).
TEK = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
START = 2642976  # 2020-04-02 00:00:00 UTC
RPIK = "185ad91db69ec7dd048960f1f3ba6175"
AEMK = "d57c46af7a1d83965b9bed8bd152936a"
PADDED_0 = "454e2d52504900000000000020542800"
RPI_0 = "8be6cd371c5c891604bfbe49df845096"
RPI_1 = "3c9a1de5dd6b02afa7fded7b570b3e56"
RPI_LAST = "f431b62ecf443102ce4ed0407de54bd4"  # interval 2643119, the 144th
METADATA = "40080000"  # version 1.0, TX power 8 dBm
AEM_0 = "72033874"

NOW = datetime(2020, 4, 10, 12, 0, tzinfo=UTC)
TODAY = interval_number(NOW) // 144 * 144  # first interval of NOW's UTC day
INFO = SignatureInfo("450", "v1")


def test_interval_number_of_the_vectors_start() -> None:
    assert interval_number(datetime(2020, 4, 2, tzinfo=UTC)) == START
    assert interval_number(1585785600) == START
    assert interval_number(1585785600 + 599) == START
    assert interval_number(1585785600 + 600) == START + 1
    assert gaen.interval_start(START) == datetime(2020, 4, 2, tzinfo=UTC)


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="aware") as err:
        interval_number(datetime(2020, 4, 2))
    assert err.value.field == "t"


def test_key_derivation_vectors() -> None:
    assert gaen.rpik(TEK).hex() == RPIK
    assert gaen.aemk(TEK).hex() == AEMK


def test_padded_data_vector() -> None:
    padded = gaen.padded_data(START)
    assert padded.hex() == PADDED_0
    assert padded[:6] == b"EN-RPI" and padded[6:12] == bytes(6)
    assert int.from_bytes(padded[12:], "little") == START


def test_rpi_vectors_first_second_and_last_of_144() -> None:
    rpik = gaen.rpik(TEK)
    assert gaen.rpi(rpik, START).hex() == RPI_0
    assert gaen.rpi(rpik, START + 1).hex() == RPI_1
    assert gaen.rpi(rpik, START + 143).hex() == RPI_LAST
    ids = DiagnosisKey(TEK, START).rpis()
    assert len(ids) == 144 and len(set(ids)) == 144
    assert [ids[0].hex(), ids[1].hex(), ids[-1].hex()] == [RPI_0, RPI_1, RPI_LAST]


def test_aem_vector_and_decryption() -> None:
    aemk, rpi0 = gaen.aemk(TEK), bytes.fromhex(RPI_0)
    encrypted = gaen.aem(aemk, rpi0, bytes.fromhex(METADATA))
    assert encrypted.hex() == AEM_0
    assert gaen.aem(aemk, rpi0, encrypted).hex() == METADATA  # CTR: same operation
    # the IV is the RPI: the same metadata encrypts differently each interval
    assert gaen.aem(aemk, bytes.fromhex(RPI_1), bytes.fromhex(METADATA)) != encrypted


def test_aem_needs_four_bytes_and_key_lengths_are_checked() -> None:
    with pytest.raises(InvalidInput, match="4 bytes; got 3") as err:
        gaen.aem(gaen.aemk(TEK), bytes.fromhex(RPI_0), b"\x40\x08\x00")
    assert err.value.field == "metadata"
    with pytest.raises(InvalidInput, match="16 bytes; got 15") as err:
        gaen.rpik(TEK[:15])
    assert err.value.field == "tek"


# --- the value object and upload checks --------------------------------------------


def _item(data: bytes, start: int, **kw: object) -> KeyJson:
    item: dict[str, object] = {
        "key": base64.b64encode(data).decode(),
        "rollingStartNumber": start,
        "rollingPeriod": 144,
        "transmissionRisk": 4,
    }
    return cast(KeyJson, {**item, **kw})


def _days(n: int) -> list[KeyJson]:
    """Keys for the ``n`` whole days before NOW's day, oldest first."""
    return [_item(bytes([d]) * 16, TODAY - 144 * d) for d in range(n, 0, -1)]


def test_diagnosis_key_defaults_and_ranges() -> None:
    key = DiagnosisKey(TEK, START)
    assert (key.rolling_period, key.transmission_risk, key.days_since_onset) == (
        144,
        0,
        None,
    )
    assert key.report_type is ReportType.CONFIRMED_TEST
    assert key.end_interval == START + 144
    for kw, field in [
        ({"rolling_period": 0}, "rolling_period"),
        ({"rolling_period": 145}, "rolling_period"),
        ({"transmission_risk": -1}, "transmission_risk"),
        ({"transmission_risk": 9}, "transmission_risk"),
        ({"days_since_onset": 15}, "days_since_onset"),
        ({"rolling_start_interval_number": -1}, "rolling_start_interval_number"),
        ({"rolling_start_interval_number": 2**31}, "rolling_start_interval_number"),
    ]:
        with pytest.raises(InvalidInput) as err:
            args: dict[str, Any] = {
                "key_data": TEK,
                "rolling_start_interval_number": START,
                **kw,
            }
            DiagnosisKey(**args)
        assert err.value.field == field
        assert str(next(iter(kw.values()))) in err.value.message


def test_a_valid_upload_parses() -> None:
    keys = parse_upload(
        [*_days(13), _item(bytes(16), TODAY, rollingPeriod=72)], now=NOW
    )
    assert len(keys) == 14
    assert keys[0].key_data == bytes([13]) * 16 and keys[0].transmission_risk == 4
    assert keys[-1].rolling_start_interval_number == TODAY
    assert keys[-1].rolling_period == 72


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        ({"key": base64.b64encode(bytes(15)).decode()}, "[2].key", "got 15 bytes"),
        ({"key": base64.b64encode(bytes(17)).decode()}, "[2].key", "got 17 bytes"),
        ({"key": "not base64!"}, "[2].key", "'not base64!'"),
        ({"rollingPeriod": 0}, "[2].rollingPeriod", "1 to 144; got 0"),
        ({"rollingPeriod": 145}, "[2].rollingPeriod", "1 to 144; got 145"),
        ({"transmissionRisk": 9}, "[2].transmissionRisk", "0 to 8; got 9"),
        ({"daysSinceOnsetOfSymptoms": -15}, "[2].daysSinceOnsetOfSymptoms", "got -15"),
        ({"rollingStartNumber": -5}, "[2].rollingStartNumber", "got -5"),
    ],
)
def test_a_bad_key_names_its_field_and_value(
    bad: dict[str, object], field: str, says: str
) -> None:
    items: list[Any] = _days(4)
    items[2] = {**items[2], **bad}
    with pytest.raises(InvalidInput) as err:
        parse_upload(items, now=NOW)
    assert err.value.field == f"temporaryExposureKeys{field}"
    assert says in err.value.message


def test_key_count_must_be_1_to_14() -> None:
    for items in ([], [*_days(14), _item(bytes(16), TODAY)]):
        with pytest.raises(InvalidInput, match=f"1 to 14 keys; got {len(items)}") as e:
            parse_upload(items, now=NOW)
        assert e.value.field == "temporaryExposureKeys"


def test_a_key_from_the_future_is_refused() -> None:
    future = TODAY + 144
    with pytest.raises(InvalidInput, match=f"starts at interval {future}") as err:
        parse_upload([*_days(2), _item(bytes(16), future)], now=NOW)
    assert err.value.field == "temporaryExposureKeys[2].rollingStartNumber"
    assert "expected a key that has started" in err.value.message
    # a key that started in the current interval is allowed
    current = interval_number(NOW)
    assert parse_upload([_item(bytes(16), current, rollingPeriod=1)], now=NOW)


def test_keys_older_than_14_days_are_refused_at_the_boundary() -> None:
    oldest = interval_number(NOW) - 14 * 144  # a key ending here is 14 days old
    ok = _item(bytes([1]) * 16, oldest - 143, rollingPeriod=144)  # ends after it
    assert parse_upload([ok], now=NOW)
    stale = _item(bytes([2]) * 16, oldest - 144, rollingPeriod=144)
    with pytest.raises(InvalidInput, match="more than 14 days ago") as err:
        parse_upload([ok, stale], now=NOW)
    assert err.value.field == "temporaryExposureKeys[1].rollingStartNumber"


def test_duplicates_and_overlaps_are_refused() -> None:
    items = _days(3)
    with pytest.raises(InvalidInput, match="Key 3 repeats key 1") as err:
        parse_upload([*items, {**items[1], "rollingStartNumber": TODAY}], now=NOW)
    assert err.value.field == "temporaryExposureKeys[3].key"
    overlapping = _item(bytes(16), TODAY - 144 * 2 + 72)  # into the next day's key
    with pytest.raises(InvalidInput, match="overlaps key") as err:
        parse_upload([*items, overlapping], now=NOW)
    assert err.value.field == "temporaryExposureKeys[3].rollingStartNumber"
    # back to back is fine, in any order
    assert len(parse_upload(list(reversed(items)), now=NOW)) == 3


def test_symptom_onset_interval_fills_days_since_onset() -> None:
    onset = TODAY - 144 * 2 + 50  # two days ago, mid-day
    keys = parse_upload(
        [*_days(3), _item(bytes(16), TODAY, daysSinceOnsetOfSymptoms=5)],
        now=NOW,
        symptom_onset_interval=onset,
    )
    assert [k.days_since_onset for k in keys] == [-1, 0, 1, 5]  # given value kept
    far = parse_upload(_days(1), now=NOW, symptom_onset_interval=TODAY - 144 * 30)
    assert far[0].days_since_onset is None  # 29 days: outside −14…14


def test_check_keys_works_on_value_objects() -> None:
    keys = [DiagnosisKey(bytes([d]) * 16, TODAY - 144 * d) for d in (1, 2)]
    assert check_keys(keys, now=NOW) == tuple(keys)
    with pytest.raises(InvalidInput) as err:
        check_keys(keys, now=NOW, max_age_days=1)
    assert err.value.field == "temporaryExposureKeys[1].rollingStartNumber"


# --- matching ---------------------------------------------------------------------


def test_match_finds_observed_rpis_with_the_2_hour_tolerance() -> None:
    key = DiagnosisKey(TEK, START, transmission_risk=5)
    rpi_10 = gaen.rpi(gaen.rpik(TEK), START + 10)
    seen = [
        Observation(rpi_10, START + 10),  # on time
        Observation(rpi_10, START + 22),  # 2 h late: still within tolerance
        Observation(rpi_10, START - 2),  # 2 h early
        Observation(rpi_10, START + 23),  # 2 h 10 min late: a replay
        Observation(rpi_10, START - 3),
    ]
    found = match(seen, [key])
    assert [m.observation.interval for m in found] == [
        START + 10,
        START + 22,
        START - 2,
    ]
    assert all(m.key is key and m.interval == START + 10 for m in found)
    assert match(seen, [key], tolerance_intervals=0)[0].observation == seen[0]


def test_match_ignores_other_keys_and_intervals_outside_the_period() -> None:
    key = DiagnosisKey(TEK, START, rolling_period=72)
    other = DiagnosisKey(bytes(16), START)
    rpik = gaen.rpik(TEK)
    seen = [
        Observation(gaen.rpi(rpik, START + 80), START + 80),  # after the key's period
        Observation(gaen.rpi(gaen.rpik(bytes(16)), START + 5), START + 5),
        Observation(bytes(16), START),  # noise
    ]
    assert match(seen, [key]) == []
    found = match(seen, [key, other])
    assert [(m.key, m.interval) for m in found] == [(other, START + 5)]


def test_match_decrypts_the_metadata() -> None:
    aem = bytes.fromhex(AEM_0)
    found = match(
        [Observation(bytes.fromhex(RPI_0), START, aem)], [DiagnosisKey(TEK, START)]
    )
    assert found[0].metadata == bytes.fromhex(METADATA)
    assert found[0].metadata[1] == 8  # TX power, dBm


# --- export files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _export(*keys: DiagnosisKey) -> Export:
    return Export(
        region="KR",
        start=datetime(2020, 4, 9, tzinfo=UTC),
        end=datetime(2020, 4, 10, tzinfo=UTC),
        keys=keys,
    )


def test_export_bin_wire_format() -> None:
    key = DiagnosisKey(bytes(16), START, days_since_onset=-1)
    data = export_bin(_export(key), info=INFO)
    assert data[:16] == b"EK Export v1    "
    body = data[16:].hex()
    # fields of TemporaryExposureKeyExport, tag by tag (field number << 3 | wire type)
    assert body.startswith(
        "09" + (1586390400).to_bytes(8, "little").hex()  # 1 start_timestamp fixed64
        + "11" + (1586476800).to_bytes(8, "little").hex()  # 2 end_timestamp fixed64
        + "1a024b52"  # 3 region "KR"
        + "2001" + "2801"  # 4 batch_num 1, 5 batch_size 1
        + "321e"  # 6 signature_infos, 30 bytes:
        + "1a02" + b"v1".hex() + "2203" + b"450".hex()  # version 3, key id 4
        + "2a13" + b"1.2.840.10045.4.3.2".hex()  # 5 signature_algorithm
    )  # fmt: skip
    assert body.endswith(
        "3a20"  # 7 keys, 32 bytes:
        + "0a10" + "00" * 16  # 1 key_data
        + "1000"  # 2 transmission_risk_level 0
        + "18a0a8a101"  # 3 rolling_start_interval_number 2642976 (varint)
        + "209001"  # 4 rolling_period 144
        + "2801"  # 5 report_type CONFIRMED_TEST
        + "3001"  # 6 days_since_onset_of_symptoms sint32 −1 (zigzag 1)
    )  # fmt: skip


def test_export_round_trip(signing_key: ec.EllipticCurvePrivateKey) -> None:
    keys = (
        DiagnosisKey(TEK, START, transmission_risk=6, days_since_onset=2),
        DiagnosisKey(bytes(range(16)), START + 144, rolling_period=100),
    )
    export = Export("KR", datetime(2020, 4, 3, tzinfo=UTC), NOW, keys, 2, 3)
    data = write_export(export, signing_key=signing_key, info=INFO)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["export.bin", "export.sig"]
    verified = read_export(data, public_key=signing_key.public_key())
    assert verified.info == INFO
    assert verified.export == Export(
        "KR",
        export.start,
        export.end,
        tuple(sorted(keys, key=lambda k: k.key_data)),
        2,
        3,
    )


def test_export_keys_are_sorted_not_in_upload_order(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    keys = [DiagnosisKey(bytes([b]) * 16, START) for b in (9, 3, 7, 1)]
    data = write_export(_export(*keys), signing_key=signing_key, info=INFO)
    read = read_export(data, public_key=signing_key.public_key()).export.keys
    assert [k.key_data[0] for k in read] == [1, 3, 7, 9]


def _zip(bin_: bytes, sig: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("export.bin", bin_)
        zf.writestr("export.sig", sig)
    return out.getvalue()


def _parts(data: bytes) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("export.bin"), zf.read("export.sig")


def _signed(content: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    sigs = gaen_export._PB["TEKSignatureList"]()
    sigs.signatures.add(
        signature_info=gaen_export._info_pb(INFO),
        batch_num=1,
        batch_size=1,
        signature=key.sign(content, ec.ECDSA(hashes.SHA256())),
    )
    return _zip(content, sigs.SerializeToString())


def test_tampering_is_detected(signing_key: ec.EllipticCurvePrivateKey) -> None:
    data = write_export(
        _export(DiagnosisKey(TEK, START)), signing_key=signing_key, info=INFO
    )
    content, sig = _parts(data)
    at = content.index(TEK)
    altered = content[:at] + bytes([TEK[0] ^ 1]) + content[at + 1 :]
    for bad in (_zip(altered, sig), _zip(content + b"\x00", sig)):
        with pytest.raises(InvalidInput, match="signature does not verify") as err:
            read_export(bad, public_key=signing_key.public_key())
        assert err.value.field == "export"
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(InvalidInput, match="signature does not verify"):
        read_export(data, public_key=other)


def test_header_and_protobuf_are_checked(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    content, _ = _parts(
        write_export(
            _export(DiagnosisKey(TEK, START)), signing_key=signing_key, info=INFO
        )
    )
    wrong = b"EK Export v2    " + content[16:]
    with pytest.raises(InvalidInput, match="expected the header"):
        read_export(_signed(wrong, signing_key), public_key=signing_key.public_key())
    garbage = HEADER + b"\xff\xff\xff\xff"
    with pytest.raises(InvalidInput, match="not valid protobuf"):
        read_export(_signed(garbage, signing_key), public_key=signing_key.public_key())
    bad_key = HEADER + bytes.fromhex("3a060a04") + b"abcd"  # a 4-byte key_data
    with pytest.raises(InvalidInput, match="Key 0 of the export") as err:
        read_export(_signed(bad_key, signing_key), public_key=signing_key.public_key())
    assert err.value.field == "export.keys[0].key_data"


def test_not_a_zip_or_a_missing_part_is_refused(
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    with pytest.raises(InvalidInput, match="Not a zip"):
        read_export(b"PK? no", public_key=signing_key.public_key())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("export.bin", HEADER)
    with pytest.raises(InvalidInput, match="no export.sig"):
        read_export(out.getvalue(), public_key=signing_key.public_key())


def test_export_window_and_batch_are_checked() -> None:
    t = datetime(2020, 4, 3, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="before it starts"):
        Export("KR", t, t - timedelta(seconds=1), ())
    with pytest.raises(InvalidInput, match="batch_num must be 1 to batch_size"):
        Export("KR", t, t, (), batch_num=3, batch_size=2)


def test_only_p256_ecdsa_signs(signing_key: ec.EllipticCurvePrivateKey) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(InvalidInput, match="P-256"):
        write_export(_export(), signing_key=p384, info=INFO)
    with pytest.raises(InvalidInput, match="ECDSA P-256 SHA-256"):
        write_export(
            _export(), signing_key=signing_key, info=SignatureInfo("450", "v1", "1.2.3")
        )


def test_split_into_batches_sorted() -> None:
    keys = [DiagnosisKey(bytes([b]) * 16, START) for b in range(5, 0, -1)]
    batches = split(keys, max_keys=2)
    assert [[k.key_data[0] for k in b] for b in batches] == [[1, 2], [3, 4], [5]]
    assert split([], max_keys=2) == [()]


def test_public_key_pem_round_trip(signing_key: ec.EllipticCurvePrivateKey) -> None:
    pem = gaen_export.public_key_pem(signing_key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert (
        load_public_key(pem).public_numbers()
        == signing_key.public_key().public_numbers()
    )
    private_pem = signing_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert load_public_key(private_pem).public_numbers() == (
        signing_key.public_key().public_numbers()
    )
    with pytest.raises(InvalidInput, match="Not a PEM"):
        load_public_key(b"nope")
    p384 = gaen_export.public_key_pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(InvalidInput, match="not an ECDSA P-256"):
        load_public_key(p384)
