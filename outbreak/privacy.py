"""Privacy primitives: pseudonymous person keys and encryption at rest.

A raw identifier (national ID, phone number, passport number) enters the system only
to be turned into a person key by :class:`Pseudonymiser` — a keyed HMAC-SHA256 — and
is never stored. Contact details that must stay readable to authorised staff (name,
phone, address) are encrypted with :class:`Cipher` before they reach the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from outbreak.errors import InvalidInput
from outbreak.types import IdentifierKind

PERSON_KEY_HEX = 32  # 128 bits of HMAC-SHA256: collision-free for any population
_RRN = re.compile(r"^\d{6}[1-8]\d{6}$")  # YYMMDD + gender/century digit + 6
_MOBILE = re.compile(r"^01[016789]\d{7,8}$")
_LANDLINE = re.compile(r"^0[2-6]\d{7,9}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{6,12}$")
_CARD = re.compile(r"^\d{15,16}$")
_TOKEN = re.compile(r"^[0-9a-f]{8,64}$")


def normalise_identifier(raw: str, kind: IdentifierKind) -> str:
    """Canonical form of a raw identifier, so that spellings of one ID match.

    Examples
    --------
    >>> normalise_identifier("010-1234-5678", IdentifierKind.PHONE)
    '01012345678'
    >>> normalise_identifier("+82 10 1234 5678", IdentifierKind.PHONE)
    '01012345678'
    >>> normalise_identifier("900101-1234567", IdentifierKind.NATIONAL_ID)
    '9001011234567'
    """
    if kind is IdentifierKind.CARD:
        value = re.sub(r"[\s-]", "", raw)
        if not _CARD.match(value):
            raise InvalidInput("Card number must be 15-16 digits", field="identifier")
        return value
    if kind is IdentifierKind.QR_TOKEN:
        value = raw.strip().lower()
        if not _TOKEN.match(value):
            raise InvalidInput("QR token must be 8-64 hex digits", field="identifier")
        return value
    if kind is IdentifierKind.PASSPORT:
        value = re.sub(r"[\s-]", "", raw).upper()
        if not _PASSPORT.match(value):
            raise InvalidInput(
                "Passport number must be 6-12 letters or digits", field="identifier"
            )
        return value
    digits = re.sub(r"[\s\-().]", "", raw)
    if kind is IdentifierKind.PHONE:
        if digits.startswith("+82"):
            digits = "0" + digits[3:]
        if not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
            raise InvalidInput(
                "Phone number is not a Korean mobile or landline number "
                "(expected e.g. 010-1234-5678)",
                field="identifier",
            )
        return digits
    if not _RRN.match(digits):
        raise InvalidInput(
            "National ID must be 13 digits (YYMMDD-NNNNNNN)", field="identifier"
        )
    return digits


class Pseudonymiser:
    """Keyed HMAC of a normalised identifier: the only way a person key is made.

    Parameters
    ----------
    key
        The ``pseudonym_key`` setting. The same key always gives the same person key,
        so re-ingesting a file links to the same people.

    Examples
    --------
    >>> p = Pseudonymiser("k" * 32)
    >>> a = p.person_key("010-1234-5678", IdentifierKind.PHONE)
    >>> a == p.person_key("01012345678", IdentifierKind.PHONE), len(a)
    (True, 32)
    """

    def __init__(self, key: str) -> None:
        self._key = key.encode("utf-8")

    def person_key(self, raw: str, kind: IdentifierKind) -> str:
        """The 32-hex-digit person key of ``raw`` (an identifier of ``kind``)."""
        message = f"{kind.value}:{normalise_identifier(raw, kind)}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()
        return digest[:PERSON_KEY_HEX]

    def person_keys(self, raws: list[str], kind: IdentifierKind) -> list[str | None]:
        """Keys of many identifiers; None where one is malformed (for ingest)."""
        out: list[str | None] = []
        for raw in raws:
            try:
                out.append(self.person_key(raw, kind))
            except InvalidInput:
                out.append(None)
        return out


def key64(person_key: str) -> int:
    """A person key as a signed 64-bit integer (its first 16 hex digits).

    Movement tables store this form: 8 bytes instead of 32 characters per row, with a
    collision chance below 1e-4 even among 50 million people.

    Examples
    --------
    >>> key64("ffffffffffffffff" + "0" * 16), key64("0000000000000001" + "f" * 16)
    (-1, 1)
    """
    value = int(person_key[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


class Cipher:
    """Authenticated symmetric encryption (Fernet) for contact details at rest.

    The Fernet key is derived from the ``data_key`` setting with HKDF, so any string
    of enough entropy can be configured.

    Examples
    --------
    >>> c = Cipher("d" * 32)
    >>> token = c.encrypt("홍길동")
    >>> "홍길동" in token, c.decrypt(token)
    (False, '홍길동')
    """

    def __init__(self, key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"outbreak data key"
        ).derive(key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext``; the result is ASCII and safe to store as text."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a value made by :meth:`encrypt` with the same key."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise InvalidInput(
                "Stored value cannot be decrypted with the configured "
                "OUTBREAK_DATA_KEY (was the key changed?)"
            ) from None


class Keys:
    """The pseudonymiser and cipher of a deployment, built from its settings."""

    def __init__(self, *, pseudonym_key: str, data_key: str) -> None:
        self.pseudonymiser = Pseudonymiser(pseudonym_key)
        self.cipher = Cipher(data_key)
