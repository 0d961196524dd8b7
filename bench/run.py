"""`make bench`: runs the benchmarks and writes BENCHMARKS.md. Every figure is a ratio against a
reference measured in the same run, as the median of several rounds with its spread, because these
machines are shared and noisy."""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import exporter
import loadgen

REPO = Path(__file__).resolve().parents[1]


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f} – {max(values):,.0f}"


def load_section(results: dict[str, list[float]], args) -> str:
    ref = statistics.median(results["wrk"])
    fast = statistics.median(results["FastHttpUser"])
    lines = [
        "## 1. Load generation per core",
        "",
        f"nginx (`return 200`, 1 worker process) on core {loadgen.TARGET_CPU}; each load generator alone on core "
        f"{loadgen.GENERATOR_CPU}; {args.connections} connections/users; {args.seconds} s per round; "
        f"{args.repeat} rounds, generators taking turns. The Go worker is connected to a real Locust master "
        "(on the target's core) and its rate is Locust's own count over the time it measured.",
        "",
        "| generator | median req/s | spread (min – max) | × wrk | × FastHttpUser |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in results.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:,.0f} | {spread(values)} | {median / ref:.2f} | {median / fast:.2f} |")
    go = statistics.median(results["Go worker"])
    lines += ["", f"Goals: Go worker ≥ 0.5 × wrk — **{'met' if go / ref >= 0.5 else 'missed'}** ({go / ref:.2f}); "
                  f"≥ 6 × FastHttpUser — **{'met' if go / fast >= 6 else 'missed'}** ({go / fast:.2f}).", ""]
    return "\n".join(lines)


def exporter_section(results: dict[str, list[float]], args) -> str:
    ref = statistics.median(results["influxdb write_points"])
    mine = statistics.median(results["writer"])
    lines = [
        "## 3. Exporter throughput",
        "",
        f"{args.points:,} points shaped like `locust_requests` (20 endpoints per interval, 13 fields) written "
        f"into a real influxd (Debian's 1.6) on loopback, {args.repeat} rounds, the two writers taking turns: the "
        "project's writer (`master/locust_fleet/writer.py`: line protocol, gzip, batches of 5,000) and the "
        "`influxdb` client's `write_points` (batch_size 5,000). Includes encoding and the server's work.",
        "",
        "| writer | median points/s | spread (min – max) | × write_points |",
        "|---|---:|---:|---:|",
    ]
    for name, values in results.items():
        lines.append(f"| {name} | {statistics.median(values):,.0f} | {spread(values)} | "
                     f"{statistics.median(values) / ref:.2f} |")
    lines += ["", f"Goal: ≥ 2 × write_points — **{'met' if mine / ref >= 2 else 'missed'}** ({mine / ref:.2f}).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    args = parser.parse_args()
    worker_bin = REPO / "workers-go" / "bin" / "worker"
    with tempfile.TemporaryDirectory() as tmp:
        results = loadgen.measure(Path(tmp), worker_bin, args.seconds, args.repeat, args.connections)
    written = exporter.measure(args.points, args.repeat)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    header = [
        "# Benchmarks",
        "",
        f"Written by `make bench` ({' '.join(['python', 'bench/run.py', *sys.argv[1:]])}) on {time.strftime('%Y-%m-%d')}, "
        f"commit {commit}, {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores. "
        "Reproduce with `make bench` (options: `make bench BENCH_ARGS='--seconds 20 --repeat 5'`).",
        "",
        "",
    ]
    Path(args.out).write_text("\n".join(header) + load_section(results, args) + "\n" + exporter_section(written, args))
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
