"""The ``outbreak`` command line: thin commands over the domain API.

Errors print ``Error: <message>`` to stderr and exit 1 (usage errors exit 2); run with
``--debug`` to see tracebacks.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from outbreak import __version__
from outbreak.cli.abm import model_calibrate, model_distancing, model_run, model_sweep
from outbreak.cli.admin import audit, db, districts, retention, settings_cmd, users
from outbreak.cli.context import CliState
from outbreak.cli.disclose import disclose
from outbreak.cli.en import en
from outbreak.cli.ingest import ingest, retention_apply
from outbreak.cli.model import model
from outbreak.cli.quarantine import quarantine
from outbreak.cli.serve import demo, serve
from outbreak.cli.synth import synth
from outbreak.cli.trace import trace
from outbreak.errors import OutbreakError


class OutbreakGroup(click.Group):
    """A group that turns :class:`OutbreakError` into a clean ``Error:`` exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutbreakError as exc:
            state = ctx.find_object(CliState)
            if state is not None and state.debug:
                raise
            raise click.ClickException(exc.message) from None


@click.group(cls=OutbreakGroup)
@click.version_option(__version__, prog_name="outbreak")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """outbreak: open-source Test-Trace-Treat epidemic response."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    ctx.obj = CliState(debug=debug)
    ctx.call_on_close(ctx.obj.close)


for command in (
    db,
    districts,
    users,
    audit,
    retention,
    settings_cmd,
    serve,
    demo,
    model,
    synth,
    ingest,
    trace,
    quarantine,
    disclose,
    en,
):
    main.add_command(command)

retention.add_command(retention_apply)
for _command in (model_run, model_sweep, model_calibrate, model_distancing):
    model.add_command(_command)

__all__ = ["main"]
