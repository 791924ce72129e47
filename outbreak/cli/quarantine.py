"""``outbreak quarantine …``: orders from investigations, the worklist, alerts."""

from __future__ import annotations

from datetime import date, datetime

import click
from rich.table import Table
from sqlalchemy.orm import Session

from outbreak.audit import Access
from outbreak.auth import principal_for
from outbreak.cli.context import CliState, console
from outbreak.quarantine import Geofence, Monitoring
from outbreak.quarantine import service as q
from outbreak.types import QuarantineState

pass_state = click.make_pass_decorator(CliState)
USER = click.option(
    "--user", required=True, help="Who acts (written to the audit log)."
)


def _access(session: Session, user: str, purpose: str) -> Access:
    return Access(session, principal_for(session, user), purpose)


@click.group()
def quarantine() -> None:
    """Self-quarantine: orders, the officers' worklist, alerts, release."""


@quarantine.command("issue")
@click.argument("action_order_id", type=int)
@click.option("--lat", type=float, required=True, help="The quarantine address.")
@click.option("--lon", type=float, required=True)
@click.option("--radius", type=float, default=100.0, show_default=True, help="Metres.")
@USER
@pass_state
def issue_cmd(
    state: CliState,
    action_order_id: int,
    lat: float,
    lon: float,
    radius: float,
    user: str,
) -> None:
    """Self-quarantine for an investigation's quarantine order ACTION_ORDER_ID; prints
    the app token once (deliver it to the person out of band)."""
    with state.session() as session:
        issued = q.issue_from_trace(
            _access(session, user, "quarantine order"),
            state.keys,
            action_order_id,
            fence=Geofence(lat, lon, radius),
            retention_days=state.settings.retention_contact_days,
        )
        o = issued.order
        console.print(
            f"Order {o.id}: {o.start_on} → {o.end_on}, officer {o.officer}, "
            f"{o.state.value}"
        )
        if issued.token:
            console.print(f"App token (shown once): {issued.token}")


@quarantine.command("list")
@click.option("--mine", is_flag=True, help="Only the caller's own orders.")
@USER
@pass_state
def list_cmd(state: CliState, mine: bool, user: str) -> None:
    """The worklist, riskiest first."""
    with state.session() as session:
        items = q.worklist(
            _access(session, user, "quarantine worklist"),
            officer=user if mine else None,
        )
        table = Table("order", "state", "ends", "officer", "checks", "home", "alerts")
        for w in items:
            home = {None: "?", True: "in", False: "OUT"}[w.last_inside]
            alerts = ", ".join(
                f"#{a.id} {a.rule.value}" + (f" (L{a.level})" if a.level else "")
                for a in w.alerts
            )
            table.add_row(
                str(w.order.id),
                w.order.state.value,
                str(w.order.end_on),
                w.order.officer,
                str(w.checks_today),
                home,
                alerts or "–",
            )
    console.print(table)


@quarantine.command("evaluate")
@pass_state
def evaluate_cmd(state: CliState) -> None:
    """Raise alerts for missed self-checks and silent phones; escalate the
    unacknowledged (run every few minutes, e.g. from cron)."""
    with state.session() as session:
        changed = q.evaluate(session, rules=Monitoring())
    console.print(f"{len(changed)} alerts raised or escalated")


@quarantine.command("ack")
@click.argument("alert_id", type=int)
@click.option("--note", default="")
@USER
@pass_state
def ack_cmd(state: CliState, alert_id: int, note: str, user: str) -> None:
    """Acknowledge an alert."""
    with state.session() as session:
        q.acknowledge(_access(session, user, "quarantine alert"), alert_id, note=note)
    console.print(f"Alert {alert_id} acknowledged")


@quarantine.command("state")
@click.argument("order_id", type=int)
@click.argument(
    "target", type=click.Choice(["active", "released", "breached", "converted"])
)
@click.option("--negative-test", type=click.DateTime(["%Y-%m-%d"]), default=None)
@USER
@pass_state
def state_cmd(
    state: CliState,
    order_id: int,
    target: str,
    negative_test: datetime | None,
    user: str,
) -> None:
    """Release, mark breached, resume or convert ORDER_ID."""
    with state.session() as session:
        o = q.change_state(
            _access(session, user, "quarantine order"),
            order_id,
            QuarantineState(target),
            negative_test_on=negative_test.date() if negative_test else None,
        )
        console.print(f"Order {o.id}: {o.state.value}")


@quarantine.command("purge")
@pass_state
def purge_cmd(state: CliState) -> None:
    """Delete reports and closed orders past their retention."""
    with state.session() as session:
        reports, orders = q.purge(session, today=date.today())
    console.print(f"{reports:,} reports and {orders:,} orders deleted")
