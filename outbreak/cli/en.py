"""``outbreak en …``: the exposure-notification key server's codes and exports."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli.context import CliState, console
from outbreak.disclose import keyserver
from outbreak.disclose.gaen import interval_start
from outbreak.disclose.gaen_export import load_public_key, read_export

pass_state = click.make_pass_decorator(CliState)


@click.group()
def en() -> None:
    """Exposure notification (GAEN) key server: codes, exports, retention."""


@en.command("code")
@click.argument("case_id", type=int)
@click.option("--user", required=True, help="Who issues it (written to the audit log).")
@pass_state
def code_cmd(state: CliState, case_id: int, user: str) -> None:
    """Issue a single-use upload code for confirmed case CASE_ID (shown once)."""
    with state.session() as session:
        access = Access(
            session, principal_for(session, user), "exposure notification code"
        )
        issued = keyserver.issue_code(
            access,
            case_id,
            now=datetime.now(UTC),
            lifetime_min=state.settings.en_code_lifetime_min,
        )
    console.print(f"Verification code for case {case_id} (shown once): {issued.code}")
    console.print(f"Valid until {issued.expires_at.isoformat(timespec='minutes')}")


@en.command("export")
@pass_state
def export_cmd(state: CliState) -> None:
    """Write signed exports of the keys whose validity has ended (run daily)."""
    config = keyserver.ExportConfig.from_settings(state.settings)
    key = keyserver.signing_key(state.settings)
    with state.session() as session:
        rows = keyserver.export_batch(
            session, config, now=datetime.now(UTC), signing_key=key
        )
        written = [(r.file_name, r.key_count) for r in rows]
    for name, count in written:
        console.print(f"{config.directory / name}: {count:,} keys")
    console.print(f"{len(written)} export files written; index {config.directory}")


@en.command("purge")
@pass_state
def purge_cmd(state: CliState) -> None:
    """Delete keys 14 days after they ended, their exports, and old codes."""
    config = keyserver.ExportConfig.from_settings(state.settings)
    with state.session() as session:
        done = keyserver.purge(session, config, now=datetime.now(UTC))
    console.print(
        f"{done.keys:,} keys, {done.exports:,} export files and {done.codes:,} "
        "verification codes deleted"
    )


@en.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM to verify with. Default: the configured signing key's public half.",
)
@pass_state
def verify_cmd(state: CliState, file: Path, public_key: Path | None) -> None:
    """Check FILE.zip's signature and list its keys."""
    pem_path = public_key or state.settings.en_signing_key_path
    if public_key is None:
        keyserver.load_signing_key(pem_path, create=False)  # a clear error if absent
    verified = read_export(
        file.read_bytes(), public_key=load_public_key(pem_path.read_bytes())
    )
    export, info = verified.export, verified.info
    console.print(
        f"Signature OK (key {info.verification_key_id} "
        f"{info.verification_key_version}); region {export.region}, "
        f"batch {export.batch_num}/{export.batch_size}, "
        f"{export.start.isoformat()} → {export.end.isoformat()}"
    )
    table = Table("key", "valid from (UTC)", "intervals", "risk", "onset days")
    for k in export.keys:
        table.add_row(
            base64.b64encode(k.key_data).decode(),
            interval_start(k.rolling_start_interval_number).strftime("%Y-%m-%d %H:%M"),
            str(k.rolling_period),
            str(k.transmission_risk),
            "–" if k.days_since_onset is None else str(k.days_since_onset),
        )
    console.print(table)
    console.print(f"{len(export.keys)} keys")
