"""`locust-fleet runs ...`: the stored runs in InfluxDB, listed, reported as HTML, compared.

Exit codes: 0 done, 1 InfluxDB could not be read, 2 bad arguments (unknown run, unreadable
threshold), 3 `compare` found a threshold breached.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..influx_client import InfluxClient, InfluxError

from .compare import ThresholdError, breaches, pair, parse_percent, parse_regressions
from .report import render
from .store import RunNotFound, RunStore
from .summary import summarise

EXIT_UNREADABLE, EXIT_USAGE, EXIT_BREACHED = 1, 2, 3
app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
err = Console(stderr=True)


@app.callback()
def connect(
    ctx: typer.Context,
    url: str = typer.Option("http://127.0.0.1:8086", "--influxdb-url", envvar="LOCUST_INFLUXDB_URL",
                            help="InfluxDB base URL (the master's --influxdb-url)."),
    database: str = typer.Option("locust", "--influxdb-database", envvar="LOCUST_INFLUXDB_DATABASE"),
    username: str = typer.Option("", "--influxdb-username", envvar="LOCUST_INFLUXDB_USERNAME"),
    password: str = typer.Option("", "--influxdb-password", envvar="LOCUST_INFLUXDB_PASSWORD", show_default=False,
                                 help="Prefer the env var: options show in process listings."),
    token: str = typer.Option("", "--influxdb-token", envvar="LOCUST_INFLUXDB_TOKEN", show_default=False),
    ca_file: str = typer.Option("", "--influxdb-ca-file", envvar="LOCUST_INFLUXDB_CA_FILE",
                                help="CA bundle for an https InfluxDB; certificates are always verified."),
) -> None:
    """Read the runs the master stored in InfluxDB (docs/data-model.md)."""
    ctx.obj = RunStore(InfluxClient(url, database, username, password, token, ca_file))


def fail(code: int, message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def guarded(action):
    """Runs an action, turning the store's errors into messages and exit codes."""
    try:
        return action()
    except RunNotFound as e:
        raise fail(EXIT_USAGE, str(e))
    except InfluxError as e:
        raise fail(EXIT_UNREADABLE, str(e))


def number(value, spec: str = ".0f", none: str = "—") -> str:
    return none if value is None else format(value, spec)


@app.command("list")
def list_runs(ctx: typer.Context, limit: int = typer.Option(20, "--limit", min=1, help="How many runs, newest first."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Recent runs: id, start, duration, peak users, requests, fail ratio, p95, description, tags."""
    runs = guarded(lambda: ctx.obj.list(limit))
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in runs], indent=1))
        return
    table = Table(title=f"Runs in {ctx.obj.client.database} at {ctx.obj.client.url}")
    for column in ("run id", "start (UTC)", "duration s", "peak users", "requests", "fail ratio", "p95 ms", "state",
                   "description", "tags"):
        table.add_column(column)
    for r in runs:
        table.add_row(r.run_id, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.start_time)),
                      number(r.duration_s, ".1f"), str(r.most_users), number(r.requests, "d"),
                      number(r.fail_ratio, ".2%"), number(r.p95_ms, "d"), r.state, r.description, r.tags)
    Console().print(table)


@app.command("report")
def report(ctx: typer.Context, run_id: str = typer.Argument(..., metavar="RUN_ID"),
           output: Path = typer.Option(..., "-o", "--output", help="HTML file to write (self-contained).")) -> None:
    """Write one run as a self-contained HTML page: Locust's statistics table, errors, charts."""
    html = render(guarded(lambda: ctx.obj.load(run_id)))
    partial = output.with_name(output.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)  # never leaves a half-written report behind
    typer.echo(f"wrote {output}")


COMPARED = ("rps", "fail_ratio", "p50", "p95", "p99", "avg")


def change_text(change: float | None) -> str:
    if change is None:
        return "—"
    return "new" if math.isinf(change) else f"{change:+.1%}"


@app.command("compare")
def compare(
    ctx: typer.Context,
    baseline: str = typer.Argument(..., metavar="BASELINE"),
    candidate: str = typer.Argument(..., metavar="CANDIDATE"),
    max_regression: list[str] = typer.Option([], "--max-regression", metavar="METRIC=PERCENT",
                                              help="e.g. p95=10% (higher by at most 10 %) or rps=5% (lower by at "
                                                   "most 5 %); metrics rps, avg, p50, p95, p99. Repeatable."),
    max_fail_ratio: str = typer.Option("", "--max-fail-ratio", metavar="PERCENT",
                                       help="e.g. 1%: the candidate's fail ratio, per endpoint and in total."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table (a change is null when the "
                                                       "baseline is 0 and the candidate is not)."),
) -> None:
    """Baseline vs candidate per endpoint and in total, with the change in %; exit 3 on a breach."""
    try:
        limits = parse_regressions(max_regression)
        fail_limit = parse_percent("--max-fail-ratio", max_fail_ratio) if max_fail_ratio else None
    except ThresholdError as e:
        raise fail(EXIT_USAGE, str(e))
    runs = [guarded(lambda r=r: ctx.obj.load(r)) for r in (baseline, candidate)]
    rows = pair(*(summarise(r.requests, r.record.duration_s or 0.0) for r in runs))
    found = breaches(rows, limits, fail_limit)
    if as_json:
        typer.echo(json.dumps({
            "baseline": baseline, "candidate": candidate, "passed": not found, "breaches": [str(b) for b in found],
            "rows": [{"name": r.name, "method": r.method,
                      **{m: {"baseline": r.value(r.baseline, m), "candidate": r.value(r.candidate, m),
                             "change": None if r.change(m) is None or math.isinf(r.change(m)) else r.change(m)}
                         for m in COMPARED}} for r in rows]}, indent=1))
    else:
        print_comparison(baseline, candidate, rows, found)
    if found:
        raise typer.Exit(EXIT_BREACHED)


def print_comparison(baseline: str, candidate: str, rows, found) -> None:
    table = Table(title=f"{baseline} (baseline) vs {candidate} (candidate)")
    table.add_column("Type")
    table.add_column("Name")
    for metric in COMPARED:
        for suffix in ("base", "cand", "Δ"):
            table.add_column(f"{metric} {suffix}", justify="right")
    spec = {"rps": ".2f", "fail_ratio": ".2%", "avg": ".1f"}
    for r in rows:
        cells = []
        for metric in COMPARED:
            cells += [number(r.value(r.baseline, metric), spec.get(metric, "d")),
                      number(r.value(r.candidate, metric), spec.get(metric, "d")), change_text(r.change(metric))]
        table.add_row(r.method, r.name, *cells)
    console = Console(width=max(200, Console().width))
    console.print(table)
    for b in found:
        console.print(f"[bold red]breached[/] {b}", highlight=False)
    if not found:
        console.print("[green]no threshold breached[/]")
