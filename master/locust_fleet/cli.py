"""`locust-fleet`: the project's own commands. `locust-fleet runs list/report/compare` reads the
runs the master stored in InfluxDB (locust_fleet.runs); `locust-fleet spool list/replay/discard`
acts on the points a master spooled; `locust-fleet scenario from-har` writes a scenario from a
browser's recording (locust_fleet.har); the master itself is Locust's `locust`."""

from __future__ import annotations

import typer

from .har.cli import app as scenario_app
from .runs.cli import app as runs_app
from .spool_cli import app as spool_app

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(spool_app, name="spool")
app.add_typer(scenario_app, name="scenario")
