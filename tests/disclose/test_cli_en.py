"""`outbreak en …` end to end on a SQLite file: code, export, verify, purge."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import ec

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cases import create_case, register_person
from outbreak.cli import main
from outbreak.config import load_settings
from outbreak.disclose import gaen_export, keyserver
from outbreak.disclose.gaen import KeyJson, interval_number
from outbreak.privacy import Keys
from outbreak.store import make_engine, make_sessionmaker
from outbreak.types import KST, IdentifierKind

ENV = {
    "OUTBREAK_ENV": "test",
    "OUTBREAK_SECRET_KEY": "s" * 40,
    "OUTBREAK_PSEUDONYM_KEY": "p" * 40,
    "OUTBREAK_DATA_KEY": "d" * 40,
}


def test_en_commands(tmp_path: Path) -> None:
    env = {**ENV, "OUTBREAK_DATA_DIR": str(tmp_path)}

    def run(*args: str, code: int = 0, **extra: str) -> Result:
        result = CliRunner().invoke(main, list(args), env={**env, **extra})
        assert result.exit_code == code, result.output
        return result

    run("db", "upgrade")
    run("districts", "load")
    run(
        *("users", "create", "kim", "--role", "investigator", "--scope", "11"),
        OUTBREAK_NEW_PASSWORD="long enough password",
    )
    settings = load_settings(
        _env_file=None,
        **{k.removeprefix("OUTBREAK_").lower(): v for k, v in env.items()},
    )
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as session:
        access = Access(session, principal_for(session, "kim"), "case registration")
        keys = Keys(pseudonym_key="p" * 40, data_key="d" * 40)
        person = register_person(
            access,
            keys,
            identifier="010-1234-5678",
            identifier_kind=IdentifierKind.PHONE,
            district_code="11230",
        )
        today = datetime.now(KST).date()
        case = create_case(
            access,
            person_key=person.key,
            district_code="11230",
            confirmed_on=today,
            sample_on=today - timedelta(days=1),
        )
        session.commit()
        case_id = case.id

    assert (
        "No case with id 999"
        in run("en", "code", "999", "--user", "kim", code=1).output
    )
    issued = run("en", "code", str(case_id), "--user", "kim").output
    code = re.search(r"\(shown once\): (\d{12})", issued)
    assert code is not None, issued

    day = interval_number(datetime.now(UTC)) // 144 * 144
    items = [
        KeyJson(
            key=base64.b64encode(bytes([seed]) * 16).decode(),
            rollingStartNumber=day - 144 * back,
            rollingPeriod=144,
            transmissionRisk=3,
        )
        for seed, back in ((7, 2), (8, 1))
    ]
    with make_sessionmaker(engine)() as session:
        upload = keyserver.Upload(code.group(1), items)
        keyserver.publish_keys(session, upload, now=datetime.now(UTC), region="KR")
        session.commit()
    engine.dispose()

    exported = run("en", "export").output
    assert "2 export files written" in exported  # one per day on which keys ended
    directory = settings.public_path / "en"
    lines = (directory / "index.txt").read_text().splitlines()
    assert len(lines) == 2
    for num, (line, seed) in enumerate(zip(lines, (7, 8), strict=True), start=1):
        listed = run("en", "verify", str(settings.public_path / line)).output
        assert f"Signature OK (key 450 v1); region KR, batch {num}/2" in listed
        key = base64.b64encode(bytes([seed]) * 16).decode()
        assert key in listed and "1 keys" in listed
    zip_path = settings.public_path / lines[0]
    with_public = run(
        "en",
        "verify",
        str(zip_path),
        "--public-key",
        str(directory / "signing-key.pem"),
    )
    assert "Signature OK" in with_public.output

    other = tmp_path / "other.pem"
    other.write_bytes(
        gaen_export.public_key_pem(ec.generate_private_key(ec.SECP256R1()))
    )
    refused = run("en", "verify", str(zip_path), "--public-key", str(other), code=1)
    assert "Error: The export's signature does not verify" in refused.output

    purged = run("en", "purge").output
    assert "0 keys, 0 export files and 0 verification codes deleted" in purged
