"""Commands: serve, demo."""

from __future__ import annotations

from datetime import date, timedelta

import click
import uvicorn
from rich.progress import Progress

from outbreak import store
from outbreak.cli.context import CliState, console
from outbreak.demo import DEMO_PASSWORD, DEMO_USERS, SEOUL_WAVE, load_demo
from outbreak.errors import ConfigError
from outbreak.geo import load_districts
from outbreak.store.queries import geo as geo_queries
from outbreak.store.queries import users as user_queries
from outbreak.web import create_app

pass_state = click.make_pass_decorator(CliState)


def _serve(state: CliState, host: str | None, port: int | None) -> None:
    settings = state.settings
    app = create_app(settings, engine=state.engine)
    host, port = host or settings.serve_host, port or settings.serve_port
    console.print(f"Serving on http://{host}:{port}  (API docs: /docs)")
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())


@click.command()
@click.option("--host", help="Default: OUTBREAK_SERVE_HOST.")
@click.option("--port", type=int, help="Default: OUTBREAK_SERVE_PORT.")
@pass_state
def serve(state: CliState, host: str | None, port: int | None) -> None:
    """Serve the API and dashboard."""
    store.check_database(state.engine)
    if store.current_revision(state.engine) != store.head_revision(state.engine):
        raise ConfigError("Database schema is not current: run `outbreak db upgrade`")
    _serve(state, host, port)


def _demo_city(state: CliState, people: int) -> None:
    """A synthetic city of ``people`` × 3 days, generated once and ingested."""
    from outbreak.audit import Access
    from outbreak.auth import principal_for
    from outbreak.cli.ingest import movement_store
    from outbreak.ingest import ingest_city
    from outbreak.quarantine.demo import load_quarantine
    from outbreak.synth.generate import START, generate
    from outbreak.trace.demo import load_investigations
    from outbreak.trace.service import load_context

    city = state.settings.data_dir / "city"
    if not (city / "manifest.json").exists():
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(
                f"Building a city of {people:,} people × 3 days", total=1
            )
            generate(
                city,
                people=people,
                days=3,
                seed=1,
                progress=lambda d, n: bar.update(task, completed=d, total=n),
            )
    store = movement_store(state)
    with state.session() as session, Progress(console=console, transient=True) as bar:
        access = Access(session, principal_for(session, "admin"), "demo data load")
        task = bar.add_task("Ingesting the city's feeds", total=1)
        new = ingest_city(
            access,
            state.keys,
            store,
            city,
            progress=lambda d, n: bar.update(task, completed=d, total=n),
        )
    console.print(f"Movement data: {new:,} new rows ingested from {city}")
    ctx = load_context(state.settings, state.keys)
    with state.session() as session:
        opened = load_investigations(
            session,
            ctx,
            city / "city" / "people",
            last_day=START + timedelta(days=2),
        )
    if opened:
        console.print(
            f"Investigations: {opened} opened, routes rebuilt, contacts traced "
            "(see /investigations and /network)"
        )
    with state.session() as session:
        quarantined = load_quarantine(session, state.keys)
    if quarantined:
        console.print(
            f"Self-quarantine: {quarantined} orders from the investigations, a day "
            "of reports and alerts (log in as 'officer': /quarantine)"
        )


@click.command()
@click.option("--serve/--no-serve", "then_serve", default=True, show_default=True)
@click.option("--scale", default=0.2, show_default=True, help="Fraction of the wave.")
@click.option(
    "--city-people",
    default=20_000,
    show_default=True,
    help="People in the synthetic city (0: no city).",
)
@click.option("--host")
@click.option("--port", type=int)
@pass_state
def demo(
    state: CliState,
    then_serve: bool,
    scale: float,
    city_people: int,
    host: str | None,
    port: int | None,
) -> None:
    """Set up the embedded database with demo data, then serve it."""
    if state.settings.env == "prod":
        raise ConfigError("Refusing to load demo data with OUTBREAK_ENV=prod")
    with console.status("Migrating the database…"):
        store.upgrade(state.engine)
    with state.session() as session:
        geo_queries.upsert_districts(session=session, districts=load_districts())
        loaded = user_queries.get_user(session=session, username="admin") is not None
    if loaded:
        console.print("Demo data already loaded.")
    else:
        with (
            Progress(console=console, transient=True) as bar,
            state.session() as session,
        ):
            task = bar.add_task("Loading demo cases", total=len(SEOUL_WAVE))
            summary = load_demo(
                session,
                state.keys,
                today=date.today(),
                scale=scale,
                progress=lambda done, _total: bar.update(task, completed=done + 1),
            )
        console.print(
            f"Loaded {summary.cases} cases, {summary.contacts} contacts, "
            f"{summary.clusters} clusters."
        )
    if city_people:
        _demo_city(state, city_people)
    console.print(
        f"Demo users: {', '.join(DEMO_USERS)} — password [bold]{DEMO_PASSWORD}[/bold]"
    )
    if then_serve:
        _serve(state, host, port)
