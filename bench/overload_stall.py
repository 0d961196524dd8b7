"""Overloaded through a target stall: the open model asked for 4 × what its core can do against the
counting target's /stall (workers-go/cmd/target, one Go thread on the other core), which stops
answering for STALL_FOR seconds STALL_AT seconds in; the rate it sends in the seconds after the
stall, beside the same seconds of a run without one, rounds taking turns. While the target hangs
the runners wait and the CPU reads idle, so the runner limit grows to the connection limit: what
matters is that it comes down once the target answers again (docs/open-model.md)."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import ratebench
from bench.loadgen import GENERATOR_CPU, TARGET_CPU
from harness.parts import Target
from harness.procs import GO_BIN, Procs

TARGET = GO_BIN / "target"
STALL_AT, STALL_FOR = 2.5, 2.0  # seconds after ratebench starts; how long the target stops answering
# The least --seconds that leaves whole seconds after the stall's backlog, whatever the fraction of
# the second a run begins at (one_run's window).
MIN_SECONDS = int(STALL_AT + STALL_FOR) + 4


def check_seconds(seconds: int) -> None:
    """Before any run: a --seconds too short for the comparison is an error naming it."""
    if seconds < MIN_SECONDS:
        raise ValueError(f"--seconds: got {seconds}; expected at least {MIN_SECONDS}, so that whole seconds "
                         "follow the stall")


@dataclass
class Round:
    after_stall: float  # requests/s the target saw in the seconds after the stall
    without: float      # in the same seconds of a run without a stall
    goroutines: int     # at the end of the run with the stall


def one_run(target: Target, rate: float, seconds: int, stalled: bool) -> tuple[float, int]:
    """Requests/s the target saw from a second after the stall would have ended to the last whole
    second of the run, and the goroutines ratebench had at its end."""
    target.reset()
    timer = threading.Timer(STALL_AT, target.stall, [STALL_FOR])
    begun = time.time()
    if stalled:
        timer.start()
    try:
        result = ratebench.run(target.url, "open", rate, seconds, path="/stall")
    finally:
        timer.cancel()
    arrivals = target.arrivals()
    first = int(begun + STALL_AT + STALL_FOR) + 2  # whole seconds, the backlog of the stall skipped
    last = int(begun + ratebench.WARMUP_S + seconds) - 1
    window = range(first, last)  # not empty from MIN_SECONDS on
    return sum(arrivals.get(s, 0) for s in window) / len(window), result.get("goroutines", 0)


def measure(work: Path, rate: float, seconds: int, repeat: int) -> list[Round]:
    check_seconds(seconds)
    procs = Procs(work)
    try:
        target = Target(procs, TARGET, cpu=TARGET_CPU)
        rounds = []
        for _ in range(repeat):
            without, _ = one_run(target, rate, seconds, stalled=False)
            after, goroutines = one_run(target, rate, seconds, stalled=True)
            rounds.append(Round(after, without, goroutines))
        return rounds
    finally:
        procs.stop_all()


def table(rounds: list[Round], rate: float) -> str:
    ratios = [r.after_stall / r.without for r in rounds]
    return "\n".join([
        f"`workers-go/cmd/ratebench -path /stall`, the open model asked for {rate:,.0f}/s (4 × saturation) on core "
        f"{GENERATOR_CPU}, against the counting target (`workers-go/cmd/target`, `GOMAXPROCS=1`) on core {TARGET_CPU}, "
        f"which stops answering for {STALL_FOR:g} s {STALL_AT:g} s in (`POST /_stall`); the rate the target saw from "
        "a second after the stall to the end, beside the same seconds of a run without a stall, the two taking turns "
        "in each round. Goroutines: ratebench's at the end of the run with the stall (1,029 when the runner limit "
        "stays at the connection limit, 1,024, after the stall).",
        "",
        "| round | after the stall (req/s) | without a stall (req/s) | after / without | goroutines at the end |",
        "|---:|---:|---:|---:|---:|",
        *(f"| {i + 1} | {r.after_stall:,.0f} | {r.without:,.0f} | {r.after_stall / r.without:.2f} | {r.goroutines:,} |"
          for i, r in enumerate(rounds)),
        f"| median | {statistics.median(r.after_stall for r in rounds):,.0f} | "
        f"{statistics.median(r.without for r in rounds):,.0f} | {statistics.median(ratios):.2f} | |",
    ])
