"""Signed exposure-key export files, in the GAEN "Exposure Key Export" format.

An export is a zip of two files (Exposure Key File Format and Verification; the
messages as in ``google/exposure-notifications-server``'s ``export.proto``)::

    export.bin  "EK Export v1" padded with spaces to 16 bytes, then a protobuf
                TemporaryExposureKeyExport{start_timestamp, end_timestamp (fixed64,
                UTC seconds), region, batch_num, batch_size, signature_infos,
                keys{key_data, transmission_risk_level,
                rolling_start_interval_number, rolling_period, report_type,
                days_since_onset_of_symptoms}}
    export.sig  a protobuf TEKSignatureList{signatures{signature_info, batch_num,
                batch_size, signature}}: ECDSA P-256 with SHA-256 over the whole
                of export.bin, as an X9.62 DER signature

Keys are written sorted by key data, so a file does not show which keys were
uploaded together. Pure: bytes in, bytes out; the service writes the files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory

from outbreak.disclose.gaen import DiagnosisKey, ReportType
from outbreak.errors import InvalidInput

HEADER = b"EK Export v1".ljust(16)
EXPORT_BIN = "export.bin"
EXPORT_SIG = "export.sig"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"  # ecdsa-with-SHA256, what we sign with
_HASHES = {ECDSA_SHA256: hashes.SHA256, "1.2.840.10045.4.3.4": hashes.SHA512}
MAX_KEYS_PER_FILE = 30_000  # more keys are split into batches (batch_num of size)
MAX_FILE_BYTES = 16 * 2**20  # refuse to unpack more than this (zip bombs)
FIELD = "export"

# --- the messages ---------------------------------------------------------------
# Built at run time from this table instead of committing protoc's _pb2.py:
# generated code pins the protobuf runtime to at least the generator's version and
# needs its own lint and type exclusions; these 17 fields are the whole schema, and
# only field numbers and wire types matter on the wire (same as export.proto).
# fmt: off
_SCHEMA: dict[str, list[tuple[str, int, str, bool]]] = {  # name, number, type, repeated
    "TemporaryExposureKeyExport": [
        ("start_timestamp", 1, "fixed64", False),
        ("end_timestamp", 2, "fixed64", False),
        ("region", 3, "string", False), ("batch_num", 4, "int32", False),
        ("batch_size", 5, "int32", False),
        ("signature_infos", 6, ".SignatureInfo", True),
        ("keys", 7, ".TemporaryExposureKey", True),
    ],
    "SignatureInfo": [
        ("verification_key_version", 3, "string", False),
        ("verification_key_id", 4, "string", False),
        ("signature_algorithm", 5, "string", False),
    ],
    "TemporaryExposureKey": [
        ("key_data", 1, "bytes", False), ("transmission_risk_level", 2, "int32", False),
        ("rolling_start_interval_number", 3, "int32", False),
        ("rolling_period", 4, "int32", False),
        ("report_type", 5, ".TemporaryExposureKey.ReportType", False),
        ("days_since_onset_of_symptoms", 6, "sint32", False),
    ],
    "TEKSignatureList": [("signatures", 1, ".TEKSignature", True)],
    "TEKSignature": [
        ("signature_info", 1, ".SignatureInfo", False),
        ("batch_num", 2, "int32", False),
        ("batch_size", 3, "int32", False), ("signature", 4, "bytes", False),
    ],
}
# fmt: on


def _message_classes() -> dict[str, Any]:
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="outbreak/en_export.proto", syntax="proto2"
    )
    for name, fields in _SCHEMA.items():
        msg = file.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            f = msg.field.add(name=field_name, number=number)
            f.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
            if kind.startswith("."):
                f.type_name = kind
                f.type = F.TYPE_ENUM if kind.endswith("ReportType") else F.TYPE_MESSAGE
            else:
                f.type = getattr(F, f"TYPE_{kind.upper()}")
            if field_name == "rolling_period":
                f.default_value = "144"
        if name == "TemporaryExposureKey":
            enum = msg.enum_type.add(name="ReportType")
            for member in ReportType:
                enum.value.add(name=member.name, number=member.value)
    pool = descriptor_pool.DescriptorPool()  # private: no clash with other protos
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
        for name in _SCHEMA
    }


_PB = _message_classes()


# --- values -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureInfo:
    """Which public key verifies an export; registered with Apple and Google.

    ``verification_key_id`` is agreed with them (Korea's mobile country code,
    ``"450"``, as Google used MCCs); the version allows key rollover.
    """

    verification_key_id: str
    verification_key_version: str
    signature_algorithm: str = ECDSA_SHA256


@dataclass(frozen=True)
class Export:
    """One export file's contents: the keys that became available in a window.

    Parameters
    ----------
    region
        ISO 3166 alpha-2 code, e.g. ``"KR"``.
    start, end
        The window (aware datetimes) in which the keys became available.
    keys
        The diagnosis keys; they are written sorted by key data.
    batch_num, batch_size
        This file is batch ``batch_num`` of ``batch_size`` for the window.
    """

    region: str
    start: datetime
    end: datetime
    keys: tuple[DiagnosisKey, ...]
    batch_num: int = 1
    batch_size: int = 1

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput("An export's window needs aware times", field="start")
        if self.end < self.start:
            raise InvalidInput(
                f"An export ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})",
                field="end",
            )
        if not 1 <= self.batch_num <= self.batch_size:
            raise InvalidInput(
                f"batch_num must be 1 to batch_size ({self.batch_size}); got "
                f"{self.batch_num}",
                field="batch_num",
            )


@dataclass(frozen=True)
class VerifiedExport:
    """An export read from a zip whose signature verified, and the key info."""

    export: Export
    info: SignatureInfo


def split(
    keys: Iterable[DiagnosisKey], /, *, max_keys: int = MAX_KEYS_PER_FILE
) -> list[tuple[DiagnosisKey, ...]]:
    """Keys sorted by key data, in batches of at most ``max_keys`` (at least one).

    Examples
    --------
    >>> keys = [DiagnosisKey(bytes([b]) * 16, 2642976) for b in (3, 1, 2)]
    >>> [[k.key_data[0] for k in b] for b in split(keys, max_keys=2)]
    [[1, 2], [3]]
    """
    ordered = sorted(keys, key=lambda k: k.key_data)
    return [
        tuple(ordered[i : i + max_keys]) for i in range(0, len(ordered), max_keys)
    ] or [()]


# --- writing ----------------------------------------------------------------------


def export_bin(export: Export, /, *, info: SignatureInfo) -> bytes:
    """The header and protobuf of ``export.bin`` (keys sorted by key data)."""
    pb = _PB["TemporaryExposureKeyExport"](
        start_timestamp=int(export.start.timestamp()),
        end_timestamp=int(export.end.timestamp()),
        region=export.region,
        batch_num=export.batch_num,
        batch_size=export.batch_size,
    )
    pb.signature_infos.append(_info_pb(info))
    for key in sorted(export.keys, key=lambda k: k.key_data):
        item = pb.keys.add(
            key_data=key.key_data,
            transmission_risk_level=key.transmission_risk,
            rolling_start_interval_number=key.rolling_start_interval_number,
            rolling_period=key.rolling_period,
            report_type=int(key.report_type),
        )
        if key.days_since_onset is not None:
            item.days_since_onset_of_symptoms = key.days_since_onset
    body: bytes = pb.SerializeToString(deterministic=True)
    return HEADER + body


def _info_pb(info: SignatureInfo) -> Any:
    return _PB["SignatureInfo"](
        verification_key_version=info.verification_key_version,
        verification_key_id=info.verification_key_id,
        signature_algorithm=info.signature_algorithm,
    )


def write_export(
    export: Export, /, *, signing_key: ec.EllipticCurvePrivateKey, info: SignatureInfo
) -> bytes:
    """The export as a signed zip (``export.bin`` and ``export.sig``).

    Examples
    --------
    >>> key = ec.generate_private_key(ec.SECP256R1())
    >>> info = SignatureInfo("450", "v1")
    >>> t = datetime(2020, 4, 3, tzinfo=UTC)
    >>> tek = DiagnosisKey(bytes.fromhex("75c734c6dd1a782de7a965da5eb93125"), 2642976)
    >>> data = write_export(Export("KR", t, t, (tek,)), signing_key=key, info=info)
    >>> read_export(data, public_key=key.public_key()).export.keys == (tek,)
    True
    """
    if info.signature_algorithm != ECDSA_SHA256:
        raise InvalidInput(
            f"Exports are signed with ECDSA P-256 SHA-256 ({ECDSA_SHA256}); got "
            f"{info.signature_algorithm!r}",
            field="signature_algorithm",
        )
    if not isinstance(signing_key.curve, ec.SECP256R1):
        raise InvalidInput(
            f"The signing key must be on P-256; got {signing_key.curve.name}",
            field="signing_key",
        )
    data = export_bin(export, info=info)
    signatures = _PB["TEKSignatureList"]()
    signatures.signatures.add(
        signature_info=_info_pb(info),
        batch_num=export.batch_num,
        batch_size=export.batch_size,
        signature=signing_key.sign(data, ec.ECDSA(hashes.SHA256())),
    )
    stamp = export.end.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in (
            (EXPORT_BIN, data),
            (EXPORT_SIG, signatures.SerializeToString(deterministic=True)),
        ):
            zf.writestr(zipfile.ZipInfo(name, date_time=stamp), content)
    return out.getvalue()


# --- reading ----------------------------------------------------------------------


def read_export(
    data: bytes, /, *, public_key: ec.EllipticCurvePublicKey
) -> VerifiedExport:
    """Unpack an export zip, verify its signature with ``public_key``, parse it.

    Raises
    ------
    InvalidInput
        ``field="export"``: not a zip, a file missing or too large, a bad header,
        a bad protobuf, or no signature that verifies with ``public_key``.
    """
    content, sig = _unzip(data)
    info = _verify(content, sig, public_key)
    if content[: len(HEADER)] != HEADER:
        raise InvalidInput(
            f"export.bin starts with {content[: len(HEADER)]!r}; expected the header "
            f"{HEADER!r}",
            field=FIELD,
        )
    pb = _parse("TemporaryExposureKeyExport", content[len(HEADER) :])
    keys = tuple(_key_of(i, k) for i, k in enumerate(pb.keys))
    try:
        export = Export(
            region=pb.region,
            start=datetime.fromtimestamp(pb.start_timestamp, UTC),
            end=datetime.fromtimestamp(pb.end_timestamp, UTC),
            keys=keys,
            batch_num=pb.batch_num,
            batch_size=pb.batch_size,
        )
    except (InvalidInput, OverflowError, OSError) as exc:
        raise InvalidInput(
            f"export.bin is not a valid export: {exc}", field=FIELD
        ) from None
    return VerifiedExport(export=export, info=info)


def _unzip(data: bytes) -> tuple[bytes, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _member(zf, EXPORT_BIN), _member(zf, EXPORT_SIG)
    except zipfile.BadZipFile:
        raise InvalidInput(
            "Not a zip file; an export is a zip of export.bin and export.sig",
            field=FIELD,
        ) from None


def _member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise InvalidInput(
            f"The export has no {name}; found {sorted(zf.namelist())}", field=FIELD
        ) from None
    if info.file_size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{name} unpacks to {info.file_size} bytes; the limit is {MAX_FILE_BYTES}",
            field=FIELD,
        )
    return zf.read(info)


def _parse(name: str, data: bytes) -> Any:
    pb = _PB[name]()
    try:
        pb.ParseFromString(data)
    except message.DecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid protobuf: {exc}", field=FIELD
        ) from None
    return pb


def _verify(
    content: bytes, sig: bytes, public_key: ec.EllipticCurvePublicKey
) -> SignatureInfo:
    for item in _parse("TEKSignatureList", sig).signatures:
        pb_info = item.signature_info
        info = SignatureInfo(
            verification_key_id=pb_info.verification_key_id,
            verification_key_version=pb_info.verification_key_version,
            signature_algorithm=pb_info.signature_algorithm,
        )
        digest = _HASHES.get(info.signature_algorithm)
        if digest is None:
            continue
        try:
            public_key.verify(item.signature, content, ec.ECDSA(digest()))
        except InvalidSignature:
            continue
        return info
    raise InvalidInput(
        "The export's signature does not verify with the given public key: the file "
        "was altered or signed with another key",
        field=FIELD,
    )


def _key_of(index: int, pb: Any) -> DiagnosisKey:
    try:
        return DiagnosisKey(
            key_data=pb.key_data,
            rolling_start_interval_number=pb.rolling_start_interval_number,
            rolling_period=pb.rolling_period,
            transmission_risk=pb.transmission_risk_level,
            days_since_onset=(
                pb.days_since_onset_of_symptoms
                if pb.HasField("days_since_onset_of_symptoms")
                else None
            ),
            report_type=ReportType(pb.report_type),
        )
    except InvalidInput as exc:
        raise InvalidInput(
            f"Key {index} of the export: {exc.message}",
            field=f"{FIELD}.keys[{index}].{exc.field}",
        ) from None


# --- keys -------------------------------------------------------------------------


def public_key_pem(
    key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey,
) -> bytes:
    """The SubjectPublicKeyInfo PEM that Apple and Google ask for."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes, /) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from PEM (a public key, or the private key's public half).

    Raises
    ------
    InvalidInput
        When ``pem`` holds no P-256 key.
    """
    try:
        key: Any = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(pem, password=None).public_key()
        except (ValueError, TypeError):
            raise InvalidInput(
                "Not a PEM public or private key", field="public_key"
            ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise InvalidInput("The key is not an ECDSA P-256 key", field="public_key")
    return key
