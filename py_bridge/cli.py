"""`pybridge`: the Locust master/worker wire contract, checked from either end.

verify-protocol drives a worker (the project's Go worker by default) through a whole life with a fake master and checks every contract invariant; with --master it joins a running master as a fake worker instead. fuzz-master sends a master you own thousands of malformed frames. Each command's --help gives its exit codes. (The stored runs are read by `locust-fleet runs`.)
"""  # one line per paragraph: the help reflows it to the terminal

from __future__ import annotations

import json
from collections import Counter

import typer
from rich.console import Console
from rich.markup import escape

from . import fuzz
from .contract import DEVIATION, FAIL, PASS, Result
from .fake_master import CONNECT_TIMEOUT, DRAIN_TIMEOUT, OBSERVE, STEP_TIMEOUT
from .fake_worker import verify_master
from .verify import DEFAULT_USER_CLASS, DEFAULT_WORKER_CMD, REPO, verify_worker

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, help=__doc__, no_args_is_help=True)
STYLE = {PASS: "green", FAIL: "bold red"}
# The default worker command as the help shows it: relative to the repository, not this machine's paths.
WORKER_CMD_SHOWN = DEFAULT_WORKER_CMD.replace(f"{REPO}/", "")


@app.command("verify-protocol", help=(
    "Drive a worker through a whole life with a fake master (handshake, spawn up, down, to zero, stop, "
    "spawn again, quit) against a counting HTTP target, and check every contract invariant; with --master, "
    "join a running master as a fake worker and check it instead. One row per invariant (pass, fail, or "
    "handled deviation: a known boomer quirk the master's plugin corrects), then a one-line summary. "
    f"Bounds: {CONNECT_TIMEOUT:g} s to connect, {STEP_TIMEOUT:g} s per step, {DRAIN_TIMEOUT:g} s to drain.\n\n"
    "Exit codes: 0 nothing failed (handled deviations included), 1 an invariant failed, 2 usage error "
    "(a bad option, a worker command that cannot be filled in or run)."))
def verify_protocol(
    worker_cmd: str = typer.Option(
        DEFAULT_WORKER_CMD, "--worker-cmd", show_default=WORKER_CMD_SHOWN,
        help="Worker command; {host}, {port} and {target} are replaced. Default: the project's Go worker."),
    user_class: str = typer.Option(DEFAULT_USER_CLASS, "--user-class",
                                   help="User class named in spawn messages (default: master/locustfile.py's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    observe: float = typer.Option(OBSERVE, "--observe", min=1.0,
                                  help="Seconds to watch the worker after each spawn (reports come every 3 s)."),
    master: str = typer.Option("", "--master", metavar="HOST:PORT",
                               help="Verify a running master instead: act as a worker against it. Start a test "
                                    "on it (or run it with --headless --expect-workers 1)."),
    connect_timeout: float = typer.Option(CONNECT_TIMEOUT, "--connect-timeout", min=1.0,
                                          help="With --master: seconds to wait for the master to listen and to "
                                               "answer the fake worker (its ack); longer for a master still "
                                               "starting, e.g. in a container."),
    spawn_timeout: float = typer.Option(30.0, "--spawn-timeout", min=1.0,
                                        help="With --master: seconds to wait for the master's spawn."),
    fuzz_frames: int = typer.Option(0, "--fuzz", min=0, metavar="N",
                                    help="Also send the worker N malformed frames, spread between the steps; "
                                         "it must survive them and still pass every check."),
) -> None:
    if not user_class:
        raise typer.BadParameter("expected a class name", param_hint="--user-class")
    if not master and not worker_cmd.strip():
        raise typer.BadParameter("got ''; expected a command that starts a worker, with {host} and {port}",
                                 param_hint="--worker-cmd")
    output = ""
    try:
        if master:
            host, port = parse_host_port(master, "--master")
            results = verify_master(host, port, connect_timeout, spawn_timeout, run_for=3)
        else:
            results, output = verify_worker(worker_cmd, user_class, observe, fuzz_frames)
    except (KeyError, IndexError, ValueError) as e:
        raise typer.BadParameter(f"cannot fill in the command: {e}; use {{host}}, {{port}} and {{target}}",
                                 param_hint="--worker-cmd")
    except FileNotFoundError as e:
        raise typer.BadParameter(f"cannot run it: {e}", param_hint="--worker-cmd")
    failed = any(r.status == FAIL for r in results)
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "summary": summary(results), "results": [r.as_dict() for r in results]},
                              indent=1))
    else:
        print_results(results)
        if failed and output:
            Console(stderr=True).print("[bold red]failed[/]; the worker's output ends with:\n" + output[-1500:],
                                       highlight=False)
        Console().print(("[bold red]" if failed else "[green]") + escape(summary(results)) + "[/]", highlight=False,
                        soft_wrap=True)  # one line, however narrow the terminal
    raise typer.Exit(1 if failed else 0)


def summary(results: list[Result]) -> str:
    """One line: the verdict, how many of each result, and which invariants failed."""
    counts = Counter(r.status for r in results)
    parts = ", ".join(f"{counts[s]} {s}{'s' if s == DEVIATION and counts[s] > 1 else ''}"
                      for s in (PASS, DEVIATION, FAIL) if counts[s])
    failed = [r.invariant for r in results if r.status == FAIL]
    verdict = f"FAILED ({'; '.join(failed)})" if failed else "OK"
    return f"verify-protocol: {verdict}: {len(results)} invariants: {parts}"


def print_results(results: list[Result]) -> None:
    """A row per invariant: result and invariant side by side, the detail in full on the lines below
    (never cut: it may name a file or a path a user has to follow)."""
    console = Console(highlight=False)
    console.print("[bold]Locust protocol verification[/]")
    width = max(len(s) for s in (PASS, FAIL, DEVIATION))
    for r in results:
        console.print(f"[{STYLE.get(r.status, 'yellow')}]{r.status:<{width}}[/]  {escape(r.invariant)}",
                      soft_wrap=True)
        if r.detail:
            console.print(" " * (width + 2) + escape(r.detail), soft_wrap=True)


@app.command("fuzz-master", help=(
    "Send malformed frames to a running master's worker port (random bytes, truncated msgpack, wrong "
    "shapes, every field of every message type wrong or missing, unknown types, other nodes' ids, "
    f"payloads of {fuzz.HUGE // 2**20} MiB), then print how many of each kind as JSON. Only for a master you "
    "own: frames go to HOST:PORT as fast as it takes them. Whether the master survived is for you to check "
    "(e.g. verify-protocol --master HOST:PORT).\n\n"
    "Exit codes: 0 the frames were sent (ZeroMQ cannot tell whether anything received them), 2 usage error."))
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
