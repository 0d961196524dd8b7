"""Where the exporter's CPU goes: the capacity benchmark's master (see capacity.py) recorded with
py-spy over the measured window, with the exporter off and on in each round, then summarised from
the collapsed stacks of all rounds (docs/exporter-profile.md is written from its output). Samples
are taken while the master's thread is running or waiting for its core (py-spy leaves out only
sleeping threads), so on a busy machine the totals overstate CPU time and `Hub.run` absorbs the
waiting; the shares of the exporter's functions are what this is for.

    .venv/bin/python -m bench.profile_master --workers 500 --endpoints 20 --rounds 3
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import capacity
from harness.influxd import InfluxServer

# The exporter's own modules; inbound, normalise and drain run whether the exporter is on or not.
EXPORTER = re.compile(r"locust_fleet/(exporter|export_service|intervals|points|lineproto|writer|influx_client|"
                      r"histogram|spool)\.py")
FRAME = re.compile(r"(.*) \((.*):\d+\)$")


def read_stacks(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy raw output: "outer (file:line);...;inner (file:line) COUNT" per line; frames keep
    function and file, without the line, so that a function's lines add up."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = []
        for frame in stack.split(";"):
            m = FRAME.match(frame)
            func, file = m.groups() if m else (frame, "")
            frames.append(f"{func} ({file.replace(str(capacity.REPO) + '/', '').split('site-packages/')[-1]})")
        stacks[tuple(frames)] += int(count)
    return stacks


def summary(off: Counter, on: Counter, rate: int, rounds: int, top: int) -> str:
    n_off, n_on = sum(off.values()), sum(on.values())
    seconds = capacity.WINDOW * rounds
    self_on, self_off = Counter(), Counter()
    for stacks, into in ((on, self_on), (off, self_off)):
        for stack, n in stacks.items():
            into[stack[-1]] += n
    # Inclusive time of the exporter, by its outermost frame (the entry point Locust or gevent called).
    entry = Counter()
    for stack, n in on.items():
        outer = next((f for f in stack if EXPORTER.search(f)), None)
        if outer:
            entry[outer] += n
    inner = Counter()  # within the exporter: its frames' inclusive time, each counted once per stack
    for stack, n in on.items():
        if any(EXPORTER.search(f) for f in stack):
            for f in set(stack[next(i for i, f in enumerate(stack) if EXPORTER.search(f)):]):
                inner[f] += n
    lines = [f"Samples at {rate}/s over {seconds} s of measured window: exporter off {n_off}, on {n_on} "
             f"(on/off {n_on / n_off:.2f}).", "",
             f"Exporter code (inclusive): {sum(entry.values())} samples, **{sum(entry.values()) / n_on * 100:.1f} %** "
             "of the exporter-on run.", "",
             "| exporter entry point | samples | % of on run |", "|---|---:|---:|"]
    lines += [f"| `{f}` | {n} | {n / n_on * 100:.1f} |" for f, n in entry.most_common()]
    lines += ["", "| inside the exporter (inclusive) | samples | % of on run |", "|---|---:|---:|"]
    lines += [f"| `{f}` | {n} | {n / n_on * 100:.1f} |" for f, n in inner.most_common(top)]
    lines += ["", "| function (self time) | on | % of on run | off | % of off run |", "|---|---:|---:|---:|---:|"]
    lines += [f"| `{f}` | {n} | {n / n_on * 100:.1f} | {self_off[f]} | {self_off[f] / n_off * 100:.1f} |"
              for f, n in self_on.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=1, help="off/on pairs; their samples add up")
    parser.add_argument("--keep", help="directory to keep the raw py-spy stacks in")
    args = parser.parse_args()
    stacks = {"off": Counter(), "on": Counter()}
    with tempfile.TemporaryDirectory() as tmp, InfluxServer(Path(tmp) / "influxdb") as server:
        out = Path(args.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        for i in range(args.rounds):
            for label, url in (("off", None), ("on", server.url)):
                raw = out / f"{label}-{i}.txt"
                with tempfile.TemporaryDirectory() as work:
                    figures = capacity.one_run(Path(work), args.workers, args.endpoints, url, profile=raw)
                print(f"round {i + 1}, exporter {label}: {figures}", file=sys.stderr)
                stacks[label] += read_stacks(raw)
    print(summary(stacks["off"], stacks["on"], capacity.PY_SPY_RATE, args.rounds, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
