"""`locust-fleet spool ...`: what waits in a master's spool, per destination; replayed into a
destination named on purpose, or discarded.

Exit codes: 0 done, 1 InfluxDB could not be written (the batches stay), 2 bad arguments (an
unknown spool id, a server that is not InfluxDB, refused credentials).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from . import spool
from .influx_client import (SERVER_KINDS, CredentialsError, InfluxClient, PermanentError, RetryableError,
                            ca_file_problem, read_connection)
from .writer import Writer

EXIT_UNWRITTEN, EXIT_USAGE = 1, 2
DEFAULT_DIR = ".locust_fleet/spool"
app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
err = Console(stderr=True)

def spool_dir_checked(value: str) -> str:
    """A --spool-dir that can be one: not empty, not a file. One that does not exist holds nothing
    (a master that never spooled); the listing says so."""
    if not value.strip():
        raise typer.BadParameter("got ''; expected the master's spool directory")
    if Path(value).exists() and not Path(value).is_dir():
        raise typer.BadParameter(f"got {value!r}; it is a file, expected the master's spool directory")
    return value


SpoolDir = typer.Option(DEFAULT_DIR, "--spool-dir", envvar="LOCUST_SPOOL_DIR", callback=spool_dir_checked,
                        help="The master's --spool-dir (relative to the directory the master ran in).")


def fail(code: int, message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def find(spool_dir: str, spool_id: str) -> spool.Spool:
    try:
        return spool.open_held(spool_dir, spool_id)
    except KeyError:
        ids = ", ".join(h.spool_id for h in spool.held(spool_dir)) or "none"
        raise fail(EXIT_USAGE, f"SPOOL_ID: nothing waits under {spool_id!r} in {spool_dir}; the spool ids there: "
                               f"{ids} (`locust-fleet spool list`)") from None


@app.command("list")
def list_held(spool_dir: str = SpoolDir,
              as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Batches waiting in the spool, per destination (URL, database, credentials identity)."""
    found = spool.held(spool_dir)
    if as_json:
        typer.echo(json.dumps([{"spool_id": h.spool_id, "batches": h.batches, "points": h.points,
                                "refused": h.refused, "reasons": list(h.reasons),
                                "destination": None if h.destination is None else vars(h.destination)}
                               for h in found], indent=1))
        return
    if not found:
        absent = "" if Path(spool_dir).is_dir() else " (no such directory)"
        typer.echo(f"nothing waits in {spool_dir}{absent}")
        return
    table = Table(title=f"Spooled points in {spool_dir}")
    for column in ("spool id", "url", "database", "identity", "batches", "points", "refused"):
        table.add_column(column)
    for h in found:
        d = h.destination
        table.add_row(h.spool_id, d.url if d else "?", d.database if d else "?", d.identity if d else "?",
                      str(h.batches), str(h.points), str(h.refused))
    Console().print(table)
    for h in found:
        for reason in h.reasons:
            typer.echo(f"refused in {h.spool_id}: {reason}")


@app.command("replay")
def replay(
    spool_id: str = typer.Argument(..., metavar="SPOOL_ID", help="From `locust-fleet spool list`."),
    url: str = typer.Option(..., "--influxdb-url", envvar="LOCUST_INFLUXDB_URL",
                            help="Where to write the batches, named on purpose: it need not be where they "
                                 "were meant to go. A user and password in it (http://USER:PASSWORD@HOST) are read as "
                                 "the options' are, never shown."),
    database: str = typer.Option("locust", "--influxdb-database", envvar="LOCUST_INFLUXDB_DATABASE"),
    username: str = typer.Option("", "--influxdb-username", envvar="LOCUST_INFLUXDB_USERNAME"),
    password: str = typer.Option("", "--influxdb-password", envvar="LOCUST_INFLUXDB_PASSWORD", show_default=False,
                                 help="Prefer the env var: options show in process listings."),
    token: str = typer.Option("", "--influxdb-token", envvar="LOCUST_INFLUXDB_TOKEN", show_default=False,
                              help="Prefer the env var: options show in process listings."),
    ca_file: str = typer.Option("", "--influxdb-ca-file", envvar="LOCUST_INFLUXDB_CA_FILE"),
    server: str = typer.Option("auto", "--influxdb-server", envvar="LOCUST_INFLUXDB_SERVER",
                               help="1, 2 or 3; auto reads it from /ping."),
    spool_dir: str = SpoolDir,
) -> None:
    """Write the batches of SPOOL_ID, oldest first, into the InfluxDB named by the options; then the
    points the server refused before (kept with their reasons), which stay if refused again."""
    given_url = url
    try:
        url, credentials = read_connection(given_url, username, password, token)
    except CredentialsError as e:
        raise fail(EXIT_USAGE, str(e)) from None
    if problem := ca_file_problem(given_url, ca_file):
        raise fail(EXIT_USAGE, problem)
    held = find(spool_dir, spool_id)
    if server not in SERVER_KINDS:
        raise fail(EXIT_USAGE, f"--influxdb-server: got {server!r}; expected one of {', '.join(SERVER_KINDS)}")
    client = InfluxClient(url, database, credentials.username, credentials.password, credentials.token, ca_file,
                          server=server, shown_url=given_url)
    # the identity the master recorded, from the same credentials: a token's last newline is not in it
    target = spool.Destination.of(url, database, credentials.username, credentials.token)
    try:
        client.ping()
        client.ensure_database()
    except RetryableError as e:
        raise fail(EXIT_UNWRITTEN, f"{e}; the batches stay in the spool") from None
    except PermanentError as e:
        raise fail(EXIT_USAGE, str(e)) from None
    writer = Writer(client, held)
    writer.flush()
    if held.pending():
        raise fail(EXIT_UNWRITTEN, f"{writer.down_since}; wrote {writer.counters['replayed']} points, "
                                   f"{held.points()} stay in the spool")
    refused_before = held.refused
    retried = 0
    for batch_id in refused_before.pending():  # the server may take them now (or it is another one)
        body, reason = refused_before.read(batch_id), refused_before.reason(batch_id)
        retried += body.count(b"\n")
        refused_before.remove(batch_id)
        if not writer.write_once(body):
            held.refuse(body, reason)
            raise fail(EXIT_UNWRITTEN, f"{writer.down_since}; the refused points stay in the spool")
    meant = held.destination or "an unrecorded destination"
    note = "" if held.destination == target else f" (they were meant for {meant})"
    refused = writer.counters["refused"]
    again = f"; {refused} refused by InfluxDB, kept in the spool with the reason" if refused else ""
    earlier = f" (with {retried - refused} of the {retried} it refused before)" if retried else ""
    typer.echo(f"replayed {writer.counters['replayed']} points into {target}{note}{earlier}{again}")
    if spool_id != spool.UNLABELLED:
        spool.tidy(held.dir)


@app.command("discard")
def discard(spool_id: str = typer.Argument(..., metavar="SPOOL_ID", help="From `locust-fleet spool list`."),
            spool_dir: str = SpoolDir) -> None:
    """Delete the batches of SPOOL_ID without writing them anywhere."""
    find(spool_dir, spool_id)
    typer.echo(f"discarded {spool.discard(spool_dir, spool_id)} points of spool id {spool_id}")
