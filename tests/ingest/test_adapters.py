"""Every adapter on valid and malformed rows: each reject reason, nothing lost."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from outbreak.ingest import ADAPTERS, Reason, Reference
from outbreak.privacy import Pseudonymiser, key64
from outbreak.types import IdentifierKind

P = Pseudonymiser("ingest-test-key-" + "x" * 32)
T0 = 1_588_550_400  # 2020-05-04 00:00 KST
PHONE, OTHER = "01012345678", "01087654321"
REF = Reference(
    towers={7: (9_530_000, 19_520_000), 8: (9_540_000, 19_530_000)},
    places={100: (9_531_000, 19_521_000), 200: (9_560_000, 19_560_000)},
    place_by_phone={"02-555-1234": 100},
)


def run(source: str, rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    out = ADAPTERS[source](pa.Table.from_pylist(rows), P, REF)
    assert out.accepted.num_rows + out.rejects.num_rows == len(rows), "no row lost"
    return out


def reasons(out) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return dict(
        zip(
            out.rejects["line"].to_pylist(),
            out.rejects["reason"].to_pylist(),
            strict=True,
        )
    )


def gps(
    t: int,
    lat: float = 37.5665,
    lon: float = 126.978,
    acc: int = 12,
    device: object = PHONE,
) -> dict[str, object]:
    return {
        "device_id": device,
        "timestamp": t,
        "lat": lat,
        "lon": lon,
        "accuracy_m": acc,
    }


def test_gps_valid_and_every_reject_reason() -> None:
    out = run(
        "gps",
        [
            gps(T0 + 10),  # 1 ok
            gps(T0 + 400),  # 2 ok (next bin)
            gps(T0 + 400),  # 3 duplicate of 2
            gps(T0 + 450, acc=40),  # 4 same bin as 2, worse accuracy
            gps(None),  # 5 bad time  # type: ignore[arg-type]
            gps(1_000),  # 6 implausible time (1970)
            gps(T0 + 900, device="12-34"),  # 7 malformed phone
            gps(T0 + 1000, lat=35.0, lon=139.7),  # 8 Tokyo
            gps(T0 + 1100, acc=-3),  # 9 bad accuracy
            gps(
                T0 + 1300, lat=35.1796, lon=129.0756
            ),  # 10 Busan 20 min later: 1000 km/h
            gps(T0 + 20, device=OTHER),  # 11 ok, another person
        ],
    )
    assert reasons(out) == {
        3: Reason.DUPLICATE,
        4: Reason.SAME_BIN,
        5: Reason.BAD_TIME,
        6: Reason.BAD_TIME,
        7: Reason.BAD_IDENTIFIER,
        8: Reason.OUTSIDE_COUNTRY,
        9: Reason.BAD_VALUE,
        10: Reason.IMPOSSIBLE_SPEED,
    }
    keys = set(out.accepted["person_key"].to_pylist())
    assert keys == {
        key64(P.person_key(PHONE, IdentifierKind.PHONE)),
        key64(P.person_key(OTHER, IdentifierKind.PHONE)),
    }
    row = out.accepted.to_pylist()[0]
    assert 9_500_000 < row["x_dm"] < 9_600_000 and 19_500_000 < row["y_dm"] < 19_600_000
    assert row["bin"] == row["t"] // 300 and row["source"] == "gps"


def test_rejects_never_hold_a_raw_identifier() -> None:
    out = run("gps", [gps(None), gps(T0, lat=0.0, lon=0.0)])  # type: ignore[arg-type]
    text = json.dumps(out.rejects.to_pylist())
    assert PHONE not in text and "*********78" in text
    assert PHONE not in str(out.accepted.to_pylist())


def test_telecom() -> None:
    out = run(
        "telecom",
        [
            {"msisdn": PHONE, "cell_id": 7, "timestamp": T0 + 5},
            {"msisdn": PHONE, "cell_id": 99, "timestamp": T0 + 400},
            {"msisdn": PHONE, "cell_id": 7, "timestamp": T0 + 5},
            {"msisdn": "x", "cell_id": 7, "timestamp": T0 + 800},
        ],
    )
    assert reasons(out) == {
        2: Reason.UNKNOWN_TOWER,
        3: Reason.DUPLICATE,
        4: Reason.BAD_IDENTIFIER,
    }
    row = out.accepted.to_pylist()[0]
    assert (row["x_dm"], row["y_dm"], row["accuracy_m"]) == (9_530_000, 19_520_000, 400)


def test_card_qr_phone() -> None:
    card = run(
        "card",
        [
            {
                "card_token": "9410000000000001",
                "merchant_id": 100,
                "timestamp": T0 + 60,
                "amount_krw": 12000,
            },
            {
                "card_token": "9410000000000001",
                "merchant_id": 555,
                "timestamp": T0 + 60,
                "amount_krw": 12000,
            },
            {
                "card_token": "12",
                "merchant_id": 100,
                "timestamp": T0 + 60,
                "amount_krw": 1,
            },
            {
                "card_token": "9410000000000002",
                "merchant_id": 100,
                "timestamp": T0 + 60,
                "amount_krw": -5,
            },
        ],
    )
    assert reasons(card) == {
        2: Reason.UNKNOWN_VENUE,
        3: Reason.BAD_IDENTIFIER,
        4: Reason.BAD_VALUE,
    }
    assert card.accepted.to_pylist()[0]["x_dm"] == 9_531_000
    qr = run(
        "qr",
        [
            {"venue_id": 200, "visitor_token": "0a6a44dee36a0bbf", "timestamp": T0},
            {"venue_id": 200, "visitor_token": "zz", "timestamp": T0},
        ],
    )
    assert reasons(qr) == {2: Reason.BAD_IDENTIFIER}
    assert qr.accepted["person_key"].to_pylist() == [
        key64(P.person_key("0a6a44dee36a0bbf", IdentifierKind.QR_TOKEN))
    ]
    phone = run(
        "phone",
        [
            {
                "venue_number": "02-555-1234",
                "caller_number": "010-1234-5678",
                "timestamp": T0,
            },
            {
                "venue_number": "02-000-0000",
                "caller_number": "010-1234-5678",
                "timestamp": T0,
            },
        ],
    )
    assert reasons(phone) == {2: Reason.UNKNOWN_VENUE}
    assert phone.accepted["place_id"].to_pylist() == [100]


def test_qr_identity_maps_tokens_to_people() -> None:
    out = run(
        "qr_identity",
        [
            {"visitor_token": "0a6a44dee36a0bbf", "phone": PHONE, "issued_at": T0},
            {"visitor_token": "0a6a44dee36a0bbf", "phone": PHONE, "issued_at": T0},
        ],
    )
    assert reasons(out) == {2: Reason.DUPLICATE}
    row = out.accepted.to_pylist()[0]
    assert row["person_key"] == key64(P.person_key(PHONE, IdentifierKind.PHONE))


def test_missing_column_is_named() -> None:
    from outbreak.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no column 'lat'"):
        ADAPTERS["gps"](pa.table({"device_id": [PHONE], "timestamp": [T0]}), P, REF)


def test_speed_rejects_the_glitch_not_the_fix_after_it() -> None:
    seoul, busan = (37.5665, 126.978), (35.1796, 129.0756)
    out = run(
        "gps",
        [
            gps(T0 + 0, *seoul),
            gps(T0 + 600, *busan),
            gps(T0 + 1200, *seoul),
            gps(T0 + 1800, *seoul),
            gps(T0 + 0, *busan, device=OTHER),
            gps(T0 + 600, *seoul, device=OTHER),
            gps(T0 + 1200, *seoul, device=OTHER),
        ],
    )
    assert reasons(out) == {2: Reason.IMPOSSIBLE_SPEED, 5: Reason.IMPOSSIBLE_SPEED}


def test_malformed_values_are_rejected_not_fatal() -> None:
    out = run(
        "gps",
        [
            gps(T0, lat="north"),
            gps(T0 + 300, lat="37.5665", acc=40_000),  # type: ignore[arg-type]
            gps(T0 + 600, lat="37.5665"),
        ],
    )  # type: ignore[arg-type]
    assert reasons(out) == {1: Reason.BAD_VALUE, 2: Reason.BAD_VALUE}
    card = run(
        "card",
        [
            {
                "card_token": "9410000000000001",
                "merchant_id": None,
                "timestamp": T0,
                "amount_krw": 100,
            },
            {
                "card_token": "9410000000000001",
                "merchant_id": "abc",
                "timestamp": T0,
                "amount_krw": 100,
            },
        ],
    )
    assert reasons(card) == {1: Reason.UNKNOWN_VENUE, 2: Reason.UNKNOWN_VENUE}


def test_rejects_keep_only_known_columns() -> None:
    out = run("gps", [{**gps(None), "imei": "356938035643809"}])  # type: ignore[arg-type]
    raw = json.loads(out.rejects["raw"][0].as_py())
    assert "imei" not in raw and raw["device_id"] == "*********78"


def test_csv_identifiers_keep_their_leading_zero(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from outbreak.ingest.service import read_raw

    path = tmp_path / "phone.csv"
    path.write_text(
        f"venue_number,caller_number,timestamp\n02-555-1234,010-1234-5678,{T0}\n"
    )
    out = ADAPTERS["phone"](read_raw(path), P, REF)
    assert out.counts == {"accepted": 1}
    assert out.accepted["person_key"].to_pylist() == [
        key64(P.person_key(PHONE, IdentifierKind.PHONE))
    ]
