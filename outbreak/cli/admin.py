"""Commands: db, districts, users, audit, retention, settings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click
from rich.table import Table

from outbreak import auth, store
from outbreak.audit import verify
from outbreak.cases import purge_expired
from outbreak.cli.context import CliState, console, err_console
from outbreak.disclose import purge as purge_disclosures
from outbreak.disclose.snapshot import refresh
from outbreak.geo import load_districts
from outbreak.store.queries import audit as audit_queries
from outbreak.store.queries import geo as geo_queries
from outbreak.store.queries import users as user_queries
from outbreak.types import Role

pass_state = click.make_pass_decorator(CliState)


@click.group()
def db() -> None:
    """Database schema: upgrade, downgrade, current."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_state
def db_upgrade(state: CliState, revision: str) -> None:
    """Migrate the database to REVISION (creates it when empty)."""
    store.upgrade(state.engine, revision)
    console.print(f"Database at revision {store.current_revision(state.engine)}")


@db.command("downgrade")
@click.argument("revision")
@pass_state
def db_downgrade(state: CliState, revision: str) -> None:
    """Migrate the database down to REVISION ('base' drops everything)."""
    store.downgrade(state.engine, revision)
    console.print(f"Database at revision {store.current_revision(state.engine)}")


@db.command("current")
@pass_state
def db_current(state: CliState) -> None:
    """Show the database's revision and the newest one shipped."""
    current = store.current_revision(state.engine)
    head = store.head_revision(state.engine)
    console.print(f"current: {current or '(empty)'}  head: {head}")


@click.group()
def districts() -> None:
    """Districts: load the packaged boundaries, list codes."""


@districts.command("load")
@pass_state
def districts_load(state: CliState) -> None:
    """Load Korea's 17 provinces and 251 municipalities (idempotent)."""
    all_districts = load_districts()
    with state.session() as session:
        added = geo_queries.upsert_districts(session=session, districts=all_districts)
    console.print(f"{len(all_districts)} districts loaded ({added} new)")


@districts.command("list")
@click.option("--level", type=click.Choice(["sido", "sigungu"]))
@click.option("--parent", help="Province code, e.g. 11 for Seoul.")
@pass_state
def districts_list(state: CliState, level: str | None, parent: str | None) -> None:
    """List district codes and names."""
    table = Table("code", "name (ko)", "name (en)", "level")
    with state.session() as session:
        rows = geo_queries.list_districts(
            session=session, level=level, parent_code=parent
        )
        for row in rows:
            table.add_row(row.code, row.name_ko, row.name_en, row.level)
    console.print(table)


@click.group()
def users() -> None:
    """Users: create, list, issue API keys."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="District-code prefix ('11', '11230') or '*'; repeat for several.",
)
@click.option("--display-name", default="")
@click.password_option(envvar="OUTBREAK_NEW_PASSWORD")
@pass_state
def users_create(
    state: CliState,
    username: str,
    roles: tuple[str, ...],
    scopes: tuple[str, ...],
    display_name: str,
    password: str,
) -> None:
    """Create USERNAME with roles and district scopes."""
    with state.session() as session:
        principal = auth.create_user(
            session,
            username=username,
            password=password,
            roles={Role(r) for r in roles},
            scopes=set(scopes),
            display_name=display_name,
        )
    console.print(
        f"Created {principal.username} ({principal.role_label}) over "
        f"{', '.join(sorted(principal.scopes))}"
    )


@users.command("list")
@pass_state
def users_list(state: CliState) -> None:
    """List users with their roles and scopes."""
    table = Table("username", "roles", "scopes", "active")
    with state.session() as session:
        rows, _ = user_queries.list_users(session=session, limit=10_000, offset=0)
        for row in rows:
            roles, scopes = user_queries.roles_and_scopes(
                session=session, user_id=row.id
            )
            table.add_row(
                row.username,
                ", ".join(sorted(roles)),
                ", ".join(sorted(scopes)),
                "yes" if row.is_active else "no",
            )
    console.print(table)


@users.command("api-key")
@click.argument("username")
@click.option("--name", required=True, help="What the key is for.")
@pass_state
def users_api_key(state: CliState, username: str, name: str) -> None:
    """Issue an API key acting as USERNAME; it is printed once."""
    with state.session() as session:
        key = auth.create_api_key(session, username=username, name=name)
    click.echo(key)


@click.group()
def audit() -> None:
    """Audit log: verify the hash chain, show recent entries."""


@audit.command("verify")
@click.option("--expect-head", help="Head hash recorded earlier, to catch truncation.")
@pass_state
def audit_verify(state: CliState, expect_head: str | None) -> None:
    """Check every entry; exit 1 naming each edited, deleted or inserted entry."""
    with state.session() as session:
        report = verify(session)
    problems = [str(p) for p in report.problems]
    if expect_head and report.head_hash != expect_head:
        problems.append(
            f"head is {report.head_hash}, expected {expect_head} (entries removed "
            "from the end?)"
        )
    if problems:
        for problem in problems:
            err_console.print(f"[red]✗[/red] {problem}")
        raise click.ClickException(
            f"audit log is NOT intact ({len(problems)} problems)"
        )
    console.print(
        f"[green]✓[/green] {report.count} entries intact; head {report.head_hash}"
    )


@audit.command("tail")
@click.option("-n", "count", default=20, show_default=True)
@pass_state
def audit_tail(state: CliState, count: int) -> None:
    """Show the newest entries."""
    table = Table("seq", "at", "actor", "action", "subject", "purpose", "outcome")
    with state.session() as session:
        rows, _ = audit_queries.list_entries(session=session, limit=count, offset=0)
    for r in reversed(rows):
        table.add_row(
            str(r.seq),
            r.at.isoformat(timespec="seconds"),
            r.actor,
            r.action,
            f"{r.subject_type}:{r.subject_id}",
            r.purpose,
            r.outcome,
        )
    console.print(table)


@click.group()
def retention() -> None:
    """Retention: delete personal data whose time is up."""


@retention.command("sweep")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@pass_state
def retention_sweep(state: CliState, today: object) -> None:
    """Delete contacts' records past their retention period (audited), and
    disclosure entries 14 days after their last exposure (run it daily)."""
    day = today.date() if today is not None else date.today()  # type: ignore[attr-defined]
    with state.session() as session:
        purged = purge_expired(session, today=day)
    console.print(f"{purged} people purged")
    with state.session() as session:  # and the public list, 14 days on
        now = datetime.now(UTC)
        gone = purge_disclosures(session, now=now)
        refresh(session, state.settings, now=now)
    console.print(f"{gone} disclosure entries deleted; public snapshot rewritten")


@click.command("settings")
@pass_state
def settings_cmd(state: CliState) -> None:
    """Show the settings in force (secrets hidden)."""
    table = Table("setting", "value")
    for name, value in state.settings.model_dump().items():
        shown = "********" if name.endswith("key") else str(value)
        table.add_row(f"OUTBREAK_{name.upper()}", shown)
    table.add_row("(database in use)", state.settings.db_url)
    console.print(table)


__all__ = ["audit", "db", "districts", "retention", "settings_cmd", "users"]
