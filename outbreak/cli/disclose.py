"""``outbreak disclose …``: exposure places — derive, review, publish, self-check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli.context import CliState, console
from outbreak.disclose import selfcheck
from outbreak.disclose import service as dis
from outbreak.disclose import snapshot as snap
from outbreak.disclose.history import read_history
from outbreak.disclose.public import public_list
from outbreak.disclose.rules import RULES
from outbreak.trace.service import load_context
from outbreak.types import KST, DisclosureState

pass_state = click.make_pass_decorator(CliState)
USER = click.option(
    "--user", required=True, help="Who acts (written to the audit log)."
)
PURPOSE = "disclosure of exposure places"


@contextmanager
def _acting(state: CliState, user: str, *, public: bool = True) -> Iterator[Access]:
    """A committed session acting as ``user``; rewrites the public snapshot after."""
    with state.session() as session:
        yield Access(session, principal_for(session, user), PURPOSE)
        if public:
            snap.refresh(session, state.settings, now=datetime.now(UTC))


@click.group()
def disclose() -> None:
    """Exposure places under KDCA's disclosure rules, and the citizen self-check."""


@disclose.command("rules")
def rules_cmd() -> None:
    """The disclosure rules in force, in the order they are applied."""
    for rule in RULES:
        doc = (type(rule).__doc__ or "").strip().replace("\n", " ")
        console.print(f"[bold]{rule.code}[/bold]  {' '.join(doc.split())}")


@disclose.command("derive")
@click.option("--investigation", "investigations", type=int, multiple=True)
@USER
@pass_state
def derive_cmd(state: CliState, investigations: tuple[int, ...], user: str) -> None:
    """Propose exposure places from investigations' routes (all in scope, or those
    named); published entries a rule now withholds are withdrawn."""
    ctx = load_context(state.settings, state.keys)
    with _acting(state, user) as access:
        report = dis.derive(
            access,
            ctx.places,
            now=datetime.now(UTC),
            policy=snap.policy_for(state.settings),
            investigation_ids=list(investigations) or None,
        )
    held = ", ".join(f"{k} {v}" for k, v in sorted(report.withheld.items()))
    console.print(
        f"{report.investigations} investigations: {report.created} new entries, "
        f"{len(report.withdrawn)} withdrawn, {report.removed} removed; "
        f"withheld: {held or 'none'}"
    )


@disclose.command("list")
@click.option(
    "--state", "state_", type=click.Choice([s.value for s in DisclosureState])
)
@click.option("--district", help="A district or province code prefix.")
@USER
@pass_state
def list_cmd(
    state: CliState, state_: str | None, district: str | None, user: str
) -> None:
    """Entries by district and time, with the rules that withhold them."""
    with _acting(state, user, public=False) as access:
        rows = dis.list_entries(
            access,
            state=DisclosureState(state_) if state_ else None,
            district=district,
        )
        table = Table(
            "id", "state", "district", "kind", "name", "exposure (KST)", "why"
        )
        for r in rows:
            s, e = r.t_start.astimezone(KST), r.t_end.astimezone(KST)
            table.add_row(
                str(r.id),
                r.state.value,
                r.district_code,
                r.kind or "-",
                r.name_public or r.name or "-",
                f"{s:%m-%d %H:%M}–{e:%H:%M}",
                r.withheld_by or r.hidden_reason,
            )
    console.print(table)


@disclose.command("publish")
@click.argument("entry_ids", type=int, nargs=-1)
@click.option("--all-proposed", is_flag=True, help="Every proposed entry in scope.")
@USER
@pass_state
def publish_cmd(
    state: CliState, entry_ids: tuple[int, ...], all_proposed: bool, user: str
) -> None:
    """Publish proposed entries (all or none; a withheld one is refused)."""
    with _acting(state, user) as access:
        ids = list(entry_ids)
        if all_proposed:
            ids += [
                r.id for r in dis.list_entries(access, state=DisclosureState.PROPOSED)
            ]
        rows = dis.publish(
            access, ids, now=datetime.now(UTC), policy=snap.policy_for(state.settings)
        )
    console.print(f"{len(rows)} entries published")


@disclose.command("edit")
@click.argument("entry_id", type=int)
@click.option("--name", help="Public wording of the name ('' for the registered).")
@click.option("--address", help="Public wording of the address.")
@click.option("--disinfected/--not-disinfected", default=None)
@USER
@pass_state
def edit_cmd(
    state: CliState,
    entry_id: int,
    name: str | None,
    address: str | None,
    disinfected: bool | None,
    user: str,
) -> None:
    """Correct an entry's public wording; a published one is corrected everywhere."""
    with _acting(state, user) as access:
        row = dis.edit(
            access, entry_id, name=name, address=address, disinfected=disinfected
        )
    console.print(f"Entry {row.id}: {row.name_public or row.name}")


def _reasoned(name: str, help_text: str) -> click.Command:
    @click.argument("entry_id", type=int)
    @click.option("--reason", required=True, help="Why (10+ characters; audited).")
    @USER
    @pass_state
    def command(state: CliState, entry_id: int, reason: str, user: str) -> None:
        now = datetime.now(UTC)
        with _acting(state, user) as access:
            if name == "hide":
                row = dis.hide(access, entry_id, reason=reason)
            elif name == "withdraw":
                row = dis.withdraw(access, entry_id, reason=reason)
            else:
                row = dis.invoke_public_risk(
                    access,
                    entry_id,
                    reason=reason,
                    now=now,
                    policy=snap.policy_for(state.settings),
                )
        console.print(f"Entry {row.id}: {row.state.value}")

    command.__doc__ = help_text
    return disclose.command(name)(command)


_reasoned("hide", "Keep an entry from the public (withdraws it if published).")
_reasoned("withdraw", "Take a published entry down everywhere.")
_reasoned(
    "public-risk",
    "The workplace exception: it may have exposed many unidentified people.",
)


@disclose.command("unhide")
@click.argument("entry_id", type=int)
@USER
@pass_state
def unhide_cmd(state: CliState, entry_id: int, user: str) -> None:
    """Return a hidden entry to review."""
    with _acting(state, user) as access:
        row = dis.unhide(
            access,
            entry_id,
            now=datetime.now(UTC),
            policy=snap.policy_for(state.settings),
        )
    console.print(f"Entry {row.id}: {row.state.value}")


@disclose.command("identified")
@click.argument("entry_id", type=int)
@click.option("--no", "not_identified", is_flag=True, help="Some are still unknown.")
@USER
@pass_state
def identified_cmd(
    state: CliState, entry_id: int, not_identified: bool, user: str
) -> None:
    """Record that every contact at the place is identified (an investigator's
    finding): a published entry is withdrawn at once."""
    with _acting(state, user) as access:
        row = dis.mark_contacts_identified(
            access,
            entry_id,
            identified=not not_identified,
            now=datetime.now(UTC),
            policy=snap.policy_for(state.settings),
        )
    console.print(f"Entry {row.id}: {row.state.value}")


@disclose.command("snapshot")
@pass_state
def snapshot_cmd(state: CliState) -> None:
    """Delete expired entries and rewrite the public snapshot."""
    with state.session() as session:
        path = snap.refresh(session, state.settings, now=datetime.now(UTC))
    shot = snap.parse(path.read_bytes())
    console.print(f"{len(shot.items)} published entries written to {path}")


@disclose.command("check")
@click.argument("history", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--radius", default=100.0, show_default=True, help="Metres.")
@pass_state
def check_cmd(state: CliState, history: Path, radius: float) -> None:
    """Check a Google Takeout location file or a GPX track against the published
    places — locally: the file goes nowhere."""
    path = state.settings.public_path / snap.FILENAME
    shot = (
        snap.parse(path.read_bytes())
        if path.exists()
        else snap.empty(datetime.now(UTC))
    )
    exposures = [e.as_json() for e in public_list(shot.items, now=datetime.now(UTC))]
    stays = read_history(history.read_bytes(), filename=history.name)
    matches = selfcheck.match(stays, exposures, radius_m=radius)
    console.print(f"{len(stays)} stays read; {len(matches)} exposure places match")
    for m in matches:
        e = m.exposure
        console.print(
            f"  {e['district']} {e['name']} ({e['kind']}), {e['address']}: "
            f"{m.start.astimezone(KST):%m-%d %H:%M}–"
            f"{m.end.astimezone(KST):%H:%M}"
        )
    if matches:
        console.print("Get tested at a screening clinic and avoid contact until then.")
