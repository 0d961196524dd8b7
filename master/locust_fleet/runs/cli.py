"""`locust-fleet runs ...`: the stored runs in InfluxDB, listed, reported as HTML, compared.

Exit codes: 0 done, 1 InfluxDB could not be read, 2 bad arguments (unknown run, unreadable
threshold, an --influxdb-url where no InfluxDB answers, refused credentials, a database that is not
there), 3 `compare` found a threshold breached.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ..influx_client import (SERVER_KINDS, AuthError, CredentialsError, DatabaseNotFound, InfluxClient, InfluxError,
                             NoHttpAnswer, WrongServer, ca_file_problem, read_connection)

from .columns import Column, layout
from .compare import COMPARED, ThresholdError, breaches, comparison_text, pair, parse_percent, parse_regressions
from .report import render
from .store import RunNotFound, RunRecord, RunStore
from .summary import summarise

EXIT_UNREADABLE, EXIT_USAGE, EXIT_BREACHED = 1, 2, 3
DEFAULT_URL = "http://127.0.0.1:8086"
app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
err = Console(stderr=True)

# Where the runs are: accepted after the command (`runs list --influxdb-url URL`), where people put
# them, and before it (`runs --influxdb-url URL list`); after wins.
CONNECTION = "InfluxDB (as for the master; each also read from its LOCUST_ env var)"
Url = Annotated[Optional[str], typer.Option(
    "--influxdb-url", envvar="LOCUST_INFLUXDB_URL", show_default=DEFAULT_URL, rich_help_panel=CONNECTION,
    help="InfluxDB base URL (the master's --influxdb-url); a user and password in it (http://USER:PASSWORD@HOST) "
         "are read as the options' are, never shown.")]
Database = Annotated[Optional[str], typer.Option(
    "--influxdb-database", envvar="LOCUST_INFLUXDB_DATABASE", show_default="locust", rich_help_panel=CONNECTION)]
Username = Annotated[Optional[str], typer.Option(
    "--influxdb-username", envvar="LOCUST_INFLUXDB_USERNAME", rich_help_panel=CONNECTION)]
Password = Annotated[Optional[str], typer.Option(
    "--influxdb-password", envvar="LOCUST_INFLUXDB_PASSWORD", show_default=False, rich_help_panel=CONNECTION,
    help="Prefer the env var: options show in process listings.")]
Token = Annotated[Optional[str], typer.Option(
    "--influxdb-token", envvar="LOCUST_INFLUXDB_TOKEN", show_default=False, rich_help_panel=CONNECTION,
    help="Prefer the env var: options show in process listings.")]
CaFile = Annotated[Optional[str], typer.Option(
    "--influxdb-ca-file", envvar="LOCUST_INFLUXDB_CA_FILE", rich_help_panel=CONNECTION,
    help="CA bundle for an https InfluxDB; certificates are always verified.")]
Server = Annotated[Optional[str], typer.Option(
    "--influxdb-server", envvar="LOCUST_INFLUXDB_SERVER", show_default="auto", rich_help_panel=CONNECTION,
    help="1, 2 or 3: which InfluxDB serves the URL; auto reads it from /ping.")]


@app.callback()
def connect(ctx: typer.Context, url: Url = None, database: Database = None, username: Username = None,
            password: Password = None, token: Token = None, ca_file: CaFile = None, server: Server = None) -> None:
    """Read the runs the master stored in InfluxDB (docs/data-model.md)."""
    ctx.obj = {"url": url, "database": database, "username": username, "password": password, "token": token,
               "ca_file": ca_file, "server": server}


def store(ctx: typer.Context, **given: str | None) -> RunStore:
    """The store the options name: given after the command, else before it, else from the env var."""
    before = ctx.obj or {}

    def typed(context: typer.Context | None, name: str) -> bool:
        # by name: typer carries its own copy of click, whose ParameterSource is not click's
        return context is not None and getattr(context.get_parameter_source(name), "name", "") == "COMMANDLINE"

    def choose(name: str, value: str | None) -> str | None:
        return value if typed(ctx, name) or not typed(ctx.parent, name) else before[name]

    chosen = {k: choose(k, v) for k, v in given.items()}
    server = chosen["server"] or "auto"
    if server not in SERVER_KINDS:
        raise fail(EXIT_USAGE, f"--influxdb-server: got {server!r}; expected one of {', '.join(SERVER_KINDS)}")
    given_url = chosen["url"] or DEFAULT_URL
    try:
        url, credentials = read_connection(given_url, chosen["username"] or "", chosen["password"] or "",
                                           chosen["token"] or "")
    except CredentialsError as e:
        raise fail(EXIT_USAGE, str(e)) from None
    if problem := ca_file_problem(given_url, chosen["ca_file"] or ""):
        raise fail(EXIT_USAGE, problem)
    return RunStore(InfluxClient(url, chosen["database"] or "locust", credentials.username, credentials.password,
                                 credentials.token, chosen["ca_file"] or "", server=server, shown_url=given_url))


def fail(code: int, message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def guarded(action):
    """Runs an action, turning the store's errors into messages and exit codes."""
    try:
        return action()
    # nothing restarts while a command reads: these are the arguments' fault
    except (RunNotFound, WrongServer, NoHttpAnswer, AuthError, DatabaseNotFound) as e:
        raise fail(EXIT_USAGE, str(e))
    except InfluxError as e:
        raise fail(EXIT_UNREADABLE, str(e))


DURATION_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def parse_duration(option: str, text: str) -> float:
    """12h, 30d, 52w: seconds."""
    number, unit = text[:-1], text[-1:]
    if unit not in DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise fail(EXIT_USAGE, f"{option}: got {text!r}; expected a whole number and a unit of "
                               f"{', '.join(DURATION_UNITS)}, such as 30d")
    return int(number) * DURATION_UNITS[unit]


def number(value, spec: str = ".0f", none: str = "—") -> str:
    return none if value is None else format(value, spec)


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else 80 (as `docker ps` fits its table)."""
    return shutil.get_terminal_size((80, 24)).columns


# `runs list`: what shows at 80 columns, then what --wide adds. The run id starts with the start
# time (20261125-143002-7f3a), so the start column is only in the wide view.
LIST_COLUMNS = [Column("RUN ID"), Column("DURATION", right=True), Column("PEAK USERS", right=True),
                Column("REQUESTS", right=True), Column("FAILS", right=True), Column("REQ/S", right=True),
                Column("P95 MS", right=True), Column("DESCRIPTION", shrink=True, optional=True), Column("TAGS", optional=True)]
WIDE_COLUMNS = [Column("RUN ID"), Column("START (UTC)"), Column("STATE"), Column("DURATION S", right=True),
                Column("USERS RAN S", right=True), Column("PEAK USERS", right=True), Column("END USERS", right=True),
                Column("REQUESTS", right=True),
                Column("FAILS", right=True), Column("REQ/S", right=True), Column("AVG MS", right=True),
                Column("P50 MS", right=True), Column("P95 MS", right=True), Column("P99 MS", right=True),
                Column("HOST"), Column("DESCRIPTION"), Column("TAGS")]


def list_row(r: RunRecord) -> list[str]:
    running = r.state != "stopped"
    return [r.run_id, "running" if running else f"{r.duration_s:.0f}s", str(r.most_users), number(r.requests, "d"),
            number(r.fail_ratio, ".1%"), number(r.rps, ".1f"), number(r.p95_ms, "d"), r.description or "", r.tags]


def wide_row(r: RunRecord) -> list[str]:
    return [r.run_id, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.start_time)), r.state,
            number(r.duration_s, ".1f"), number(r.active_s, ".1f"), str(r.most_users), str(r.users),
            number(r.requests, "d"),
            number(r.failures, "d"), number(r.rps, ".1f"), number(r.avg_ms, ".1f"), number(r.p50_ms, "d"),
            number(r.p95_ms, "d"), number(r.p99_ms, "d"), r.host, r.description, r.tags]


@app.command("list")
def list_runs(ctx: typer.Context, limit: int = typer.Option(20, "--limit", min=1, help="How many runs, newest first."),
              wide: bool = typer.Option(False, "--wide", help="Every column, nothing cut (start, state, time users "
                                                              "ran, avg/p50/p99, host)."),
              as_json: bool = typer.Option(False, "--json", help="Print every field as JSON instead of a table."),
              since: str = typer.Option("90d", "--since", metavar="DURATION",
                                        help="How far back to look for runs: e.g. 12h, 30d, 52w (every query bounds "
                                             "its time range, as InfluxDB 3 needs)."),
              url: Url = None, database: Database = None, username: Username = None, password: Password = None,
              token: Token = None, ca_file: CaFile = None, server: Server = None) -> None:
    """Recent runs, newest first. PEAK USERS is the most users the run had; REQ/S is Locust's: requests
    over the time users ran. FAILS is the fail ratio. At 80 columns the description is cut and the tags left out; --wide shows everything."""
    runs = store(ctx, url=url, database=database, username=username, password=password, token=token,
                 ca_file=ca_file, server=server)
    since_s = parse_duration("--since", since)
    found = guarded(lambda: runs.list(limit, since_s))
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in found], indent=1))
        return
    if not found:
        typer.echo(f"No runs in the last {since} in database {runs.client.database!r} at {runs.client.shown_url} "
                   "(--since looks further back).")
        return
    if wide:
        typer.echo(layout(WIDE_COLUMNS, [wide_row(r) for r in found], None))
    else:
        typer.echo(layout(LIST_COLUMNS, [list_row(r) for r in found], terminal_width()))


@app.command("report")
def report(ctx: typer.Context, run_id: str = typer.Argument(..., metavar="RUN_ID"),
           output: Path = typer.Option(..., "-o", "--output", help="HTML file to write (self-contained)."),
           url: Url = None, database: Database = None, username: Username = None, password: Password = None,
           token: Token = None, ca_file: CaFile = None, server: Server = None) -> None:
    """Write one run as a self-contained HTML page: Locust's statistics table, errors, charts."""
    runs = store(ctx, url=url, database=database, username=username, password=password, token=token,
                 ca_file=ca_file, server=server)
    html = render(guarded(lambda: runs.load(run_id)))
    partial = output.with_name(output.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)  # never leaves a half-written report behind
    typer.echo(f"wrote {output}")


@app.command("compare")
def compare(
    ctx: typer.Context,
    baseline: str = typer.Argument(..., metavar="BASELINE"),
    candidate: str = typer.Argument(..., metavar="CANDIDATE"),
    max_regression: list[str] = typer.Option([], "--max-regression", metavar="METRIC=PERCENT[,FLOOR]",
                                              help="e.g. p95=10% (higher by at most 10 %), p95=10%,5ms (... or by "
                                                   "at most 5 ms: both must be exceeded), rps=5% (lower by at most "
                                                   "5 %; floor as 50/s); metrics rps, avg, p50, p95, p99. Repeatable."),
    max_fail_ratio: str = typer.Option("", "--max-fail-ratio", metavar="PERCENT",
                                       help="e.g. 1%: the candidate's fail ratio, per endpoint and in total."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables (a change is null when the "
                                                       "baseline is 0 and the candidate is not)."),
    url: Url = None, database: Database = None, username: Username = None, password: Password = None,
    token: Token = None, ca_file: CaFile = None, server: Server = None,
) -> None:
    """Baseline vs candidate, one table per metric, each endpoint and the total with the change in %;
    exit 3 on a breach. Compared: requests/s as Locust computes it (over the time users ran), the fail
    ratio, and p50, p95, p99 and average response times in ms over the whole run (from the merged
    histograms, so they equal Locust's own)."""
    try:
        limits = parse_regressions(max_regression)
        fail_limit = parse_percent("--max-fail-ratio", max_fail_ratio) if max_fail_ratio else None
    except ThresholdError as e:
        raise fail(EXIT_USAGE, str(e))
    runs = store(ctx, url=url, database=database, username=username, password=password, token=token,
                 ca_file=ca_file, server=server)
    loaded = [guarded(lambda r=r: runs.load(r)) for r in (baseline, candidate)]
    rows = pair(*(summarise(r.requests, r.record.rate_seconds) for r in loaded))
    found = breaches(rows, limits, fail_limit)
    if as_json:
        typer.echo(json.dumps({
            "baseline": baseline, "candidate": candidate, "passed": not found, "breaches": [str(b) for b in found],
            "thresholds": {**{m: limit.text(m) for m, limit in limits.items()},
                           **({"fail_ratio": f"{fail_limit * 100:g}%"} if fail_limit is not None else {})},
            "rows": [{"name": r.name, "method": r.method,
                      **{m: {"baseline": r.value(r.baseline, m), "candidate": r.value(r.candidate, m),
                             "change": None if r.change(m) is None or math.isinf(r.change(m)) else r.change(m)}
                         for m in COMPARED}} for r in rows]}, indent=1))
    else:
        typer.echo(comparison_text(baseline, candidate, rows, limits, fail_limit, found, terminal_width()))
    if found:
        raise typer.Exit(EXIT_BREACHED)
