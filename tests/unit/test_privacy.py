from __future__ import annotations

import pytest

from outbreak.errors import InvalidInput
from outbreak.privacy import Cipher, Pseudonymiser, normalise_identifier
from outbreak.types import IdentifierKind

PHONE = IdentifierKind.PHONE
RRN = IdentifierKind.NATIONAL_ID


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("010-1234-5678", PHONE, "01012345678"),
        ("+82 10 1234 5678", PHONE, "01012345678"),
        ("(02) 123-4567", PHONE, "021234567"),
        ("900101-1234567", RRN, "9001011234567"),
        ("m1234567", IdentifierKind.PASSPORT, "M1234567"),
    ],
)
def test_normalise_identifier(raw: str, kind: IdentifierKind, expected: str) -> None:
    assert normalise_identifier(raw, kind) == expected


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("12345", PHONE),
        ("010-12-34", PHONE),
        ("900101-9234567", RRN),
        ("9001011", RRN),
        ("ab", IdentifierKind.PASSPORT),
    ],
)
def test_malformed_identifiers_name_the_field(raw: str, kind: IdentifierKind) -> None:
    with pytest.raises(InvalidInput) as info:
        normalise_identifier(raw, kind)
    assert info.value.field == "identifier"


def test_person_key_is_stable_across_spellings_and_keyed() -> None:
    a, b = Pseudonymiser("a" * 32), Pseudonymiser("b" * 32)
    key = a.person_key("010-1234-5678", PHONE)
    assert key == a.person_key("+821012345678", PHONE)
    assert len(key) == 32 and int(key, 16) >= 0
    assert key != b.person_key("010-1234-5678", PHONE), "key must depend on the secret"
    assert "12345678" not in key


def test_same_digits_of_different_kinds_give_different_keys() -> None:
    p = Pseudonymiser("a" * 32)
    assert p.person_key("0212345678", PHONE) != p.person_key(
        "0212345678", IdentifierKind.PASSPORT
    )


def test_cipher_round_trip_and_randomised() -> None:
    c = Cipher("k" * 40)
    one, two = (
        c.encrypt("서울시 강남구 테헤란로 1"),
        c.encrypt("서울시 강남구 테헤란로 1"),
    )
    assert one != two, "encryption must be randomised (no equality leaks)"
    assert c.decrypt(one) == c.decrypt(two) == "서울시 강남구 테헤란로 1"


def test_cipher_with_another_key_fails_clearly() -> None:
    token = Cipher("k" * 40).encrypt("010-1234-5678")
    with pytest.raises(InvalidInput, match="OUTBREAK_DATA_KEY"):
        Cipher("x" * 40).decrypt(token)


def test_tampered_ciphertext_is_rejected() -> None:
    c = Cipher("k" * 40)
    token = c.encrypt("홍길동")
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(InvalidInput):
        c.decrypt(tampered)
