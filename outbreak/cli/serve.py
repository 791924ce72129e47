"""Commands: serve, demo."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

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
from outbreak.web import create_app, create_public_app
from outbreak.web.asgi import tune_gc

pass_state = click.make_pass_decorator(CliState)


def _serve(
    state: CliState,
    host: str | None,
    port: int | None,
    *,
    public: bool = False,
    workers: int = 1,
) -> None:
    settings = state.settings
    host, port = host or settings.serve_host, port or settings.serve_port
    if not public:  # model runs a stopped server left behind cannot finish now
        from outbreak.scenarios.service import recover

        with state.session() as session:
            stale = recover(session)
        if stale:
            console.print(f"Model runs: {stale} left unfinished marked failed")
    what = "public site" if public else "API docs: /docs"
    console.print(f"Serving on http://{host}:{port}  ({what})")
    level = settings.log_level.lower()
    if workers > 1:  # each worker process builds its own app from the environment
        factory = "public_app" if public else "main_app"
        uvicorn.run(
            f"outbreak.web.asgi:{factory}",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=level,
            access_log=not public,
        )
        return
    app = (
        create_public_app(settings)
        if public
        else create_app(settings, engine=state.engine)
    )
    tune_gc()
    uvicorn.run(app, host=host, port=port, log_level=level, access_log=not public)


@click.command()
@click.option("--host", help="Default: OUTBREAK_SERVE_HOST.")
@click.option("--port", type=int, help="Default: OUTBREAK_SERVE_PORT.")
@click.option(
    "--public",
    is_flag=True,
    help="Only the public site (exposure places, feeds, self-check, key exports), "
    "served from OUTBREAK_PUBLIC_DIR without a database.",
)
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@pass_state
def serve(
    state: CliState, host: str | None, port: int | None, public: bool, workers: int
) -> None:
    """Serve the API and dashboard (or, with --public, the public site alone)."""
    if not public:
        store.check_database(state.engine)
        if store.current_revision(state.engine) != store.head_revision(state.engine):
            raise ConfigError(
                "Database schema is not current: run `outbreak db upgrade`"
            )
    _serve(state, host, port, public=public, workers=workers)


def _demo_city(state: CliState, people: int) -> None:
    """A synthetic city of ``people`` × 3 days, generated once and ingested."""
    from outbreak.audit import Access
    from outbreak.auth import principal_for
    from outbreak.cli.ingest import movement_store
    from outbreak.disclose.demo import load_disclosures, load_exposure_keys
    from outbreak.ingest import ingest_city
    from outbreak.quarantine.demo import load_quarantine
    from outbreak.synth.generate import generate
    from outbreak.trace.demo import load_investigations
    from outbreak.trace.service import load_context

    city = state.settings.data_dir / "city"
    # The city's days end yesterday, so that its exposure places are still public
    # (14 days) and its quarantine orders run now; a city built earlier is reused.
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
                start=date.today() - timedelta(days=3),
                progress=lambda d, n: bar.update(task, completed=d, total=n),
            )
    start = date.fromisoformat(
        json.loads((city / "manifest.json").read_text())["start"]
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
            last_day=start + timedelta(days=2),
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
    with state.session() as session:
        published = load_disclosures(
            session, state.settings, ctx.places, now=datetime.now(UTC)
        )
    if published:
        console.print(
            f"Disclosure: {published} exposure places published (public page: "
            "/public/exposures; review as 'press': /disclosure)"
        )
    with state.session() as session:
        exported = load_exposure_keys(session, state.settings, now=datetime.now(UTC))
    if exported:
        console.print(
            f"Exposure notification: {exported} keys uploaded with a verification "
            "code and exported, signed (/public/en/index.txt)"
        )


def _demo_scenarios(state: CliState) -> None:
    """A small distancing comparison, run once (the Scenarios page)."""
    from outbreak.scenarios.demo import load_scenarios
    from outbreak.store import make_sessionmaker

    with console.status("Running a small distancing comparison (agent-based model)…"):
        run_id = load_scenarios(make_sessionmaker(state.engine), state.settings)
    if run_id is not None:
        console.print(
            f"Scenarios: distancing levels compared on a synthetic Seoul "
            f"(/scenarios/{run_id}; run your own as 'analyst')"
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
    _demo_scenarios(state)
    console.print(
        f"Demo users: {', '.join(DEMO_USERS)} — password [bold]{DEMO_PASSWORD}[/bold]"
    )
    if then_serve:
        _serve(state, host, port)
