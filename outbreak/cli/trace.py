"""Commands: trace — investigations from the command line."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli.context import CliState, console
from outbreak.errors import InvalidInput
from outbreak.trace import investigate as run
from outbreak.trace import service as inv
from outbreak.trace.contacts import ContactRule
from outbreak.trace.network import day_graph, network
from outbreak.trace.service import TraceContext, load_context
from outbreak.trace.window import kst_local
from outbreak.types import KST, DataSource, IdentifierKind, OrderKind, RiskLevel

pass_state = click.make_pass_decorator(CliState)
USER = click.option(
    "--user", required=True, help="Who acts (written to the audit log)."
)


def _ctx(state: CliState) -> TraceContext:
    return load_context(state.settings, state.keys)


def _access(session: Session, user: str, purpose: str) -> Access:
    return Access(session, principal_for(session, user), purpose)


@click.group()
def trace() -> None:
    """Investigations: data requests, routes, close contacts, orders, chains."""


@trace.command("open")
@click.argument("case_id", type=int)
@click.option(
    "--passers-by",
    is_flag=True,
    help="Also find people who passed the case without stopping (a market, a "
    "march): reads every GPS fix near the case's stays, slower.",
)
@USER
@pass_state
def open_cmd(state: CliState, case_id: int, passers_by: bool, user: str) -> None:
    """Open an investigation of CASE_ID."""
    with state.session() as session:
        i = inv.open_investigation(
            _access(session, user, f"investigation of case {case_id}"),
            state.keys,
            case_id,
            rule=ContactRule(passers_by=passers_by),
        )
        console.print(
            f"Investigation {i.id} of case {case_id}: "
            f"{i.window_start.astimezone(KST):%Y-%m-%d %H:%M} → "
            f"{i.window_end.astimezone(KST):%Y-%m-%d %H:%M} KST (from {i.window_basis})"
        )
        if passers_by:
            console.print("People passing by are looked for too.")


@trace.command("list")
@USER
@pass_state
def list_cmd(state: CliState, user: str) -> None:
    """Investigations in USER's districts."""
    with state.session() as session:
        rows = inv.list_investigations(_access(session, user, "investigation list"))
        table = Table("#", "case", "window (KST)", "state")
        for i in rows:
            table.add_row(
                str(i.id),
                str(i.case_id),
                f"{i.window_start.astimezone(KST):%m-%d %H:%M} → "
                f"{i.window_end.astimezone(KST):%m-%d %H:%M}",
                i.state.value,
            )
        console.print(table)


@trace.command("identify")
@click.argument("inv_id", type=int)
@click.argument("kind", type=click.Choice(["phone", "card"]))
@click.argument("number")
@USER
@pass_state
def identify_cmd(
    state: CliState, inv_id: int, kind: str, number: str, user: str
) -> None:
    """Add a phone or card the case named; only its pseudonym is kept."""
    with state.session() as session:
        row = inv.add_identifier(
            _access(session, user, f"investigation {inv_id}"),
            state.keys,
            inv_id,
            kind=IdentifierKind(kind),
            raw=number,
        )
        console.print(f"Added {kind} {row.label} to investigation {inv_id}")


@trace.command("note")
@click.argument("inv_id", type=int)
@click.argument("text")
@click.option("--place", type=int, help="A place the case reported being at.")
@click.option("--start", help="When they arrived there (KST, 2020-05-04T10:00).")
@click.option("--end", help="When they left (KST).")
@USER
@pass_state
def note_cmd(
    state: CliState,
    inv_id: int,
    text: str,
    place: int | None,
    start: str | None,
    end: str | None,
    user: str,
) -> None:
    """Record an interview note; with --place, --start and --end, a reported stay
    that joins the route."""
    times = []
    for name, value in (("--start", start), ("--end", end)):
        try:
            times.append(kst_local(value or "", name))
        except InvalidInput as e:
            raise click.BadParameter(str(e), param_hint=name) from None
    with state.session() as session:
        row = inv.add_note(
            _access(session, user, f"investigation {inv_id}"),
            inv_id,
            text=text,
            place_id=place,
            start=times[0],
            end=times[1],
        )
        console.print(f"Note {row.id} on investigation {inv_id}")


@trace.command("close")
@click.argument("inv_id", type=int)
@USER
@pass_state
def close_cmd(state: CliState, inv_id: int, user: str) -> None:
    """Close INV_ID (its records stay for their retention period)."""
    with state.session() as session:
        inv.close_investigation(
            _access(session, user, f"investigation {inv_id}"), inv_id
        )
        console.print(f"Investigation {inv_id} closed")


@trace.command("request")
@click.argument("inv_id", type=int)
@click.argument(
    "sources", nargs=-1, required=True, type=click.Choice([s.value for s in DataSource])
)
@click.option("--reason", required=True)
@click.option(
    "--contacts",
    default="",
    help="Comma-separated contact ids: request their movements (gps, "
    "place_devices) for contact-of-contact tracing instead of the case's.",
)
@USER
@pass_state
def request_cmd(
    state: CliState,
    inv_id: int,
    sources: tuple[str, ...],
    reason: str,
    contacts: str,
    user: str,
) -> None:
    """Ask a data approver to let INV_ID read SOURCES."""
    try:
        ids = [int(c) for c in contacts.split(",") if c.strip()]
    except ValueError:
        raise click.BadParameter(
            "give contact ids as 3,5,8", param_hint="--contacts"
        ) from None
    with state.session() as session:
        access = _access(session, user, f"investigation {inv_id}")
        for source in sources:
            r = inv.request_data(
                access,
                inv_id,
                source=DataSource(source),
                reason=reason,
                contact_ids=ids,
            )
            whose = f" of contacts {ids}" if ids else ""
            console.print(f"Request {r.id}: {source}{whose} (pending)")


@trace.command("decide")
@click.argument("request_ids", nargs=-1, type=int, required=True)
@click.option("--reject", is_flag=True, help="Reject instead of approving.")
@click.option("--note", default="")
@USER
@pass_state
def decide_cmd(
    state: CliState, request_ids: tuple[int, ...], reject: bool, note: str, user: str
) -> None:
    """Approve (or --reject) data requests."""
    with state.session() as session:
        access = _access(session, user, "data request decision")
        for rid in request_ids:
            r = inv.decide_request(access, rid, approve=not reject, note=note)
            console.print(f"Request {rid}: {r.state.value}")


@trace.command("route")
@click.argument("inv_id", type=int)
@USER
@pass_state
def route_cmd(state: CliState, inv_id: int, user: str) -> None:
    """Rebuild and print INV_ID's route from the approved sources."""
    ctx = _ctx(state)
    with state.session() as session:
        stays = run.rebuild_route(
            _access(session, user, f"investigation {inv_id}"), ctx, inv_id
        )
        table = Table("from (KST)", "to", "place", "sources", "confidence")
        for s in stays:
            place = ctx.places.get(s.place_id) if s.place_id is not None else None
            table.add_row(
                f"{s.t_start.astimezone(KST):%m-%d %H:%M}",
                f"{s.t_end.astimezone(KST):%H:%M}",
                f"{place.name} ({place.kind})" if place else "–",
                s.sources,
                f"{s.confidence:.2f}",
            )
    console.print(table)


@trace.command("contacts")
@click.argument("inv_ids", nargs=-1, type=int, required=True)
@USER
@click.option(
    "--quarantine",
    "order",
    flag_value="high",
    help="Then issue quarantine orders to every high-risk contact.",
)
@pass_state
def contacts_cmd(
    state: CliState, inv_ids: tuple[int, ...], user: str, order: str | None
) -> None:
    """Find close contacts along the routes of INV_IDS (many at once: one scan)."""
    ctx = _ctx(state)
    with state.session() as session:
        access = _access(session, user, f"investigations {list(inv_ids)}"[:200])
        many = run.trace_contacts_many(access, ctx, list(inv_ids))
        found = [c for rows in many.values() for c in rows]
        by: dict[tuple[str, str], int] = {}
        for c in found:
            key = (c.kind.value, c.risk.value)
            by[key] = by.get(key, 0) + 1
        table = Table("exposure", "risk", "contacts")
        for (kind, risk), n in sorted(by.items()):
            table.add_row(kind, risk, f"{n:,}")
        console.print(table)
        if order:
            issued = 0
            for inv_id, rows in many.items():
                high = [
                    c.id for c in rows if c.risk == RiskLevel.HIGH and c.degree == 1
                ]
                issued += len(
                    run.issue_orders(
                        access, ctx, inv_id, contact_ids=high, kind=OrderKind.QUARANTINE
                    )
                )
            console.print(f"{issued:,} quarantine orders issued")


@trace.command("contacts-of-contacts")
@click.argument("inv_id", type=int)
@USER
@pass_state
def contacts_of_contacts_cmd(state: CliState, inv_id: int, user: str) -> None:
    """Find who was with INV_ID's first-degree contacts named in approved requests."""
    ctx = _ctx(state)
    with state.session() as session:
        access = _access(session, user, f"investigation {inv_id}")
        second = run.trace_contacts_of_contacts(access, ctx, inv_id)
        table = Table("via contact", "exposure", "risk", "contacts")
        by: dict[tuple[int, str, str], int] = {}
        for c in second:
            key = (c.via_contact_id or 0, c.kind.value, c.risk.value)
            by[key] = by.get(key, 0) + 1
        for (via, kind, risk), n in sorted(by.items()):
            table.add_row(str(via), kind, risk, f"{n:,}")
        console.print(table)
        console.print(f"{len(second):,} second-degree contacts")


@trace.command("network")
@USER
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def network_cmd(
    state: CliState, user: str, graphml: Path | None, json_out: Path | None
) -> None:
    """Transmission links, suggested clusters and hot spots."""
    ctx = _ctx(state)
    with state.session() as session:
        net = network(_access(session, user, "transmission chains"), ctx.places)
    console.print(
        f"{len(net.cases)} cases, {len(net.links)} probable links, "
        f"{len(net.clusters)} suggested clusters"
    )
    for group, place_id, kind in net.clusters[:10]:
        place = ctx.places.get(place_id) if place_id is not None else None
        console.print(
            f"  {kind.value}: cases {sorted(group)}"
            + (f" at {place.name}" if place else "")
        )
    if graphml:
        graphml.write_text(net.graphml())
    if json_out:
        json_out.write_text(net.graph_json())


@trace.command("graph")
@click.option("--day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dask", "use_dask", is_flag=True, help="Run on a local Dask cluster.")
@click.option("--scheduler", help="Run on this Dask cluster (tcp://host:8786).")
@USER
@pass_state
def graph_cmd(
    state: CliState,
    day: datetime,
    out: Path,
    use_dask: bool,
    scheduler: str | None,
    user: str,
) -> None:
    """The day's whole contact graph (pairs within 20 m for >= 15 min) as Parquet."""
    began = time.perf_counter()
    with state.session() as session:
        pairs = day_graph(
            _access(session, user, "contact graph of the day"),
            _ctx(state).store,
            day.date(),
            out,
            dask=use_dask,
            scheduler=scheduler,
        )
    console.print(f"{pairs:,} pairs in {time.perf_counter() - began:.1f} s → {out}")
