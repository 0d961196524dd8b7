"""`pybridge`: checks that a worker speaks Locust's master/worker protocol.

Exit codes: 0 every invariant passed (handled deviations included), 1 something failed, 2 usage.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from . import fuzz
from .contract import FAIL, PASS
from .fake_master import CONNECT_TIMEOUT, DRAIN_TIMEOUT, OBSERVE, STEP_TIMEOUT
from .fake_worker import verify_master
from .verify import DEFAULT_USER_CLASS, DEFAULT_WORKER_CMD, verify_worker

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__)
STYLE = {PASS: "green", FAIL: "bold red"}


@app.callback()
def main() -> None:
    """Locust wire-contract tools."""


@app.command("verify-protocol", help=(
    "Drive a worker through a whole life with a fake master (handshake, spawn up, down, to zero, stop, "
    "spawn again, quit) against a counting HTTP target, and check every contract invariant. "
    f"Bounds: {CONNECT_TIMEOUT:g} s to connect, {STEP_TIMEOUT:g} s per step, {DRAIN_TIMEOUT:g} s to drain."))
def verify_protocol(
    worker_cmd: str = typer.Option(
        DEFAULT_WORKER_CMD, "--worker-cmd",
        help="Worker command; {host}, {port} and {target} are replaced. Default: the project's Go worker."),
    user_class: str = typer.Option(DEFAULT_USER_CLASS, "--user-class",
                                   help="User class named in spawn messages (default: master/locustfile.py's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    observe: float = typer.Option(OBSERVE, "--observe", min=1.0,
                                  help="Seconds to watch the worker after each spawn (reports come every 3 s)."),
    master: str = typer.Option("", "--master", metavar="HOST:PORT",
                               help="Verify a running master instead: act as a worker against it. Start a test "
                                    "on it (or run it with --headless --expect-workers 1)."),
    spawn_timeout: float = typer.Option(30.0, "--spawn-timeout", min=1.0,
                                        help="With --master: seconds to wait for the master's spawn."),
    fuzz_frames: int = typer.Option(0, "--fuzz", min=0, metavar="N",
                                    help="Also send the worker N malformed frames, spread between the steps; "
                                         "it must survive them and still pass every check."),
) -> None:
    if not user_class:
        raise typer.BadParameter("expected a class name", param_hint="--user-class")
    output = ""
    try:
        if master:
            host, port = parse_host_port(master, "--master")
            results = verify_master(host, port, CONNECT_TIMEOUT, spawn_timeout, run_for=3)
        else:
            results, output = verify_worker(worker_cmd, user_class, observe, fuzz_frames)
    except (KeyError, IndexError, ValueError) as e:
        raise typer.BadParameter(f"cannot fill in the command: {e}; use {{host}}, {{port}} and {{target}}",
                                 param_hint="--worker-cmd")
    except FileNotFoundError as e:
        raise typer.BadParameter(f"cannot run it: {e}", param_hint="--worker-cmd")
    failed = any(r.status == FAIL for r in results)
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "results": [r.as_dict() for r in results]}, indent=1))
    else:
        table = Table(title="Locust protocol verification")
        for column in ("invariant", "result", "detail"):
            table.add_column(column)
        for r in results:
            table.add_row(r.invariant, f"[{STYLE.get(r.status, 'yellow')}]{r.status}[/]", r.detail)
        Console().print(table)
        if failed and output:
            Console(stderr=True).print("[bold red]failed[/]; the worker's output ends with:\n" + output[-1500:])
    raise typer.Exit(1 if failed else 0)


@app.command("fuzz-master", help=(
    "Send malformed frames to a running master's worker port (random bytes, truncated msgpack, wrong "
    "shapes, every field of every message type wrong or missing, unknown types, other nodes' ids, "
    f"payloads of {fuzz.HUGE // 2**20} MiB). Only for a master you own: frames go to HOST:PORT as fast as it takes them."))
def fuzz_master_command(
    master: str = typer.Argument(..., metavar="HOST:PORT"),
    frames: int = typer.Option(5000, "--frames", min=1, help="How many frames."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same frames."),
    register: bool = typer.Option(False, "--register", help="Join as a worker first (client_ready, heartbeats)."),
    huge: int = typer.Option(3, "--huge", min=0, help="How many of the frames are huge payloads."),
) -> None:
    host, port = parse_host_port(master, "HOST:PORT")
    sent = fuzz.fuzz_master(host, port, frames, seed, register, huge)
    typer.echo(json.dumps({"frames": sum(sent.values()), "kinds": len(sent), "sent": sent}, indent=1))


@app.command("runs", hidden=True, add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def runs_moved() -> None:
    """The stored runs are read by the plugin's package now, beside the data model they read."""
    typer.echo("error: `pybridge runs ...` is now `locust-fleet runs ...`, with the same arguments", err=True)
    raise typer.Exit(2)


def parse_host_port(value: str, hint: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"got {value!r}; expected HOST:PORT", param_hint=hint)
    return host, int(port)
