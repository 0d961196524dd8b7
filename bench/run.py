"""`make bench`: runs the benchmarks and writes BENCHMARKS.md. Every figure is a ratio against a
reference measured in the same run, as the median of several rounds with its spread, because these
machines are shared and noisy. `--sections` runs only some sections; the others are kept as they
are in BENCHMARKS.md, each saying the command, date and commit it was measured with."""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import capacity, exporter, https, loadgen, openmodel, scaling, userflow
from harness.procs import GO_BIN, REPO


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f} – {max(values):,.0f}"


def round_ratios(results: dict[str, list[loadgen.FlowFigures]], a: str, b: str) -> list[float]:
    """a over b per CPU-second, one ratio per round (the two ran within a minute of each other)."""
    return [x.per_cpu_second / y.per_cpu_second for x, y in zip(results[a], results[b])]


def ratio_cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f} – {max(values):.2f})"


def load_section(results: dict[str, list[loadgen.FlowFigures]], loads: list[float], args) -> str:
    lines = [
        "## 1. Load generation per core",
        "",
        f"The plain closed loop: nginx (`return 200`, 1 worker process, with `stub_status`) on core "
        f"{loadgen.TARGET_CPU}; each load generator alone on core {loadgen.GENERATOR_CPU}; {args.connections} "
        f"keep-alive connections/users; {args.seconds} s measured after {loadgen.WARMUP:g} s; {args.repeat} rounds, "
        "the generators taking turns in each. wrk `-t1`; the bare fasthttp loop (`workers-go/cmd/bareloop`: "
        f"{args.connections} goroutines sending `GET /` in a loop on fasthttp, reusing one request and response, "
        "recording nothing) is what the Go worker is built on; the Go worker is connected to a real Locust master "
        "(on the target's core) and records every request in boomer's stats. Per CPU-second: requests nginx served "
        "in the window (`stub_status`) over the generator's CPU time in it (/proc), the figure that holds on a busy "
        "machine. Ratios are medians of each round's own ratios (spread: min – max). The machine's 1-minute load "
        f"average was {min(loads):.1f} – {max(loads):.1f} before the rounds and at the end, on "
        f"{len(os.sched_getaffinity(0))} cores, the benchmark's own processes included.",
        "",
        "| generator | median requests per CPU-second | spread (min – max) | median req/s | × wrk "
        "| × bare fasthttp loop | × FastHttpUser |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures in results.items():
        per_cpu = [f.per_cpu_second for f in figures]
        lines.append(f"| {name} | {statistics.median(per_cpu):,.0f} | {spread(per_cpu)} "
                     f"| {userflow.median_of(figures, 'rate'):,.0f} | {ratio_cell(round_ratios(results, name, 'wrk'))} "
                     f"| {ratio_cell(round_ratios(results, name, 'bare fasthttp loop'))} "
                     f"| {ratio_cell(round_ratios(results, name, 'FastHttpUser'))} |")
    bare = statistics.median(round_ratios(results, "Go worker", "bare fasthttp loop"))
    wrk = statistics.median(round_ratios(results, "Go worker", "wrk"))
    lines += ["", f"Goals, per CPU-second: Go worker ≥ 0.9 × the bare fasthttp loop — "
                  f"**{'met' if bare >= 0.9 else 'missed'}** ({bare:.2f}); ≥ 0.8 × wrk on a quiet machine — "
                  f"**{'met' if wrk >= 0.8 else 'missed'}** ({wrk:.2f}). Where the Go worker's time goes beside the "
                  "bare loop's: `docs/worker-profile.md`.", ""]
    return "\n".join(lines)


def noise(runs: list[capacity.MasterFigures]) -> str:
    """The machine's load during the runs: loop lag is wall-clock time, so other work on the cores inflates it."""
    loads = [f.load for f in runs]
    return (f"the 1-minute load average was {min(loads):.1f} – {max(loads):.1f} during the runs "
            f"on {len(os.sched_getaffinity(0))} cores, the benchmark's own processes included.")


def cpu_ratios(row: dict) -> list[float]:
    """Exporter on/off master CPU, one ratio per round (the two runs of a round ran back to back)."""
    return [on.cpu / off.cpu for off, on in zip(row["off"], row["on"])]


def capacity_section(rows: list[dict], rounds: int) -> str:
    lines = [
        "## 2. Master capacity",
        "",
        f"A real master (`master/locustfile.py` plus a loop-lag probe, `bench/locustfiles/master_with_lag.py`) on "
        f"core 1; N fake workers (`bench/fake_workers.py`) on core 0 sending boomer-shaped reports of 20 endpoints every "
        f"3 s and heartbeats every second; {capacity.RUN_SECONDS} s runs, measured after {capacity.WARMUP} s. "
        "Exporter on: writing every 5 s to a real influxd. Loop lag: how late a 50 ms gevent sleep wakes (p99). "
        f"{rounds} round{'s' if rounds > 1 else ''} per size, exporter off and on taking turns (which goes first "
        "alternates); figures are medians and CPU on/off is the median of the rounds' ratios (spread: min – max). "
        "Other work on the machine only adds to a run's CPU time, so the ratio of the least CPU measured on and off "
        "is shown too.",
        "",
        "| workers | loop lag p99, exporter off (ms) | on (ms) | master CPU off (% of a core) | on | CPU on/off "
        "| spread | least on / least off |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    kept = []
    for r in rows:
        lag = {label: statistics.median(f.lag_ms for f in r[label]) for label in ("off", "on")}
        cpu = {label: statistics.median(f.cpu for f in r[label]) for label in ("off", "on")}
        ratios = cpu_ratios(r)
        lines.append(f"| {r['workers']} | {lag['off']:.1f} | {lag['on']:.1f} | {cpu['off']:.1f} | {cpu['on']:.1f} | "
                     f"{statistics.median(ratios):.2f} | {min(ratios):.2f} – {max(ratios):.2f} | "
                     f"{min(f.cpu for f in r['on']) / min(f.cpu for f in r['off']):.2f} |")
        if max(lag.values()) < 100:
            kept.append(r["workers"])
    top = rows[-1]  # the ratio goal is judged at the largest size
    ratios = cpu_ratios(top)
    ratio = statistics.median(ratios)
    firm = "" if min(ratios) > 1.10 or max(ratios) <= 1.10 else \
        "; its rounds range from below to above 1.10, so the verdict is not firm"
    off_cpu = [f.cpu for f in top["off"]]
    lines += ["", f"Goals: ≥ 500 workers with loop lag p99 < 100 ms — **{'met' if 500 in kept else 'missed'}** "
                  f"(largest measured with lag < 100 ms: {max(kept) if kept else 'none'}); exporter CPU ratio ≤ 1.10 at "
                  f"{top['workers']} workers — **{'met' if ratio <= 1.10 else 'missed'}** ({ratio:.2f}{firm}). "
                  f"Run to run, CPU figures vary on these shared machines: at {top['workers']} workers with the "
                  f"exporter off, the same run gave {min(off_cpu):.1f} – {max(off_cpu):.1f} % of a core; "
                  f"{noise([f for r in rows for f in r['off'] + r['on']])} Where the exporter's CPU goes, and the "
                  "ratio over more rounds than one run takes: `docs/exporter-profile.md`.", ""]
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


def scaling_section(sweeps: scaling.Sweeps) -> str:
    lines = [
        "## 4. Master scaling with the exporter on",
        "",
        f"The master of section 2 with the exporter on (writing every 5 s to a real influxd), as the fleet grows "
        f"({scaling.ENDPOINTS_PER_WORKER} endpoints per worker) and as reports grow "
        f"({scaling.WORKERS_FOR_ENDPOINTS} workers): CPU over the measured window and RSS at its end (steady state). "
        "**1 round per point**, so each figure is a single run; × ref is the ratio to the first row of the same "
        "sweep. Plot: `bench/scaling.png`.",
        "",
    ]
    for sweep, head in (("workers", "| workers | endpoints per worker |"),
                        ("endpoints", "| endpoints per worker | workers |")):
        ref = sweeps[sweep][0][1]
        other = scaling.ENDPOINTS_PER_WORKER if sweep == "workers" else scaling.WORKERS_FOR_ENDPOINTS
        lines += [head + " master CPU (% of a core) | × ref | RSS (MB) | × ref | loop lag p99 (ms) |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {x} | {other} | {f.cpu:.1f} | {f.cpu / ref.cpu:.2f} | {f.rss_mb:.0f} | "
                  f"{f.rss_mb / ref.rss_mb:.2f} | {f.lag_ms:.1f} |" for x, f in sweeps[sweep]]
        lines.append("")
    twice = [f for sweep, x in (("workers", scaling.WORKERS_FOR_ENDPOINTS), ("endpoints", scaling.ENDPOINTS_PER_WORKER))
             for y, f in sweeps[sweep] if y == x]
    if len(twice) == 2:
        lines += [f"{scaling.WORKERS_FOR_ENDPOINTS} workers × {scaling.ENDPOINTS_PER_WORKER} endpoints is in both "
                  f"sweeps, so it was measured twice: CPU {twice[0].cpu:.1f} and {twice[1].cpu:.1f} % of a core, RSS "
                  f"{twice[0].rss_mb:.0f} and {twice[1].rss_mb:.0f} MB — a sample of the run-to-run noise.", ""]
    # CPU time comes from the kernel in clock ticks, which bounds how exact the smallest figure is.
    tick = 1 / os.sysconf("SC_CLK_TCK")
    smallest = min(f.cpu for points in sweeps.values() for _, f in points) / 100 * capacity.WINDOW
    text = noise([f for points in sweeps.values() for _, f in points])
    lines += [f"The kernel counts CPU time in {tick * 1000:.0f} ms ticks, so the smallest figure ({smallest:.2f} s of "
              f"CPU in the {capacity.WINDOW} s window) is exact to ± {tick / smallest * 100:.0f} %. "
              + text[0].upper() + text[1:], ""]
    return "\n".join(lines)


def users_table(held: list[userflow.UsersFigures], seconds: int) -> list[str]:
    """Memory of one worker holding many waiting users, and whether its counts are exact."""
    lines = [
        "Users per worker: one Go worker (connected to a real master, both on any core) holding N users that each "
        "send `GET /` and wait 1 s (`wait: {constant: 1s}`), all spawned at once; memory measured "
        f"{seconds} s after they were spawned and had settled for 10 s; the master's user count read from its web "
        "API then; after the run stops, the requests Locust counted in the whole run against those the counting "
        "target served. A waiting user is held by the runtime's scheduler (a heap of wake-up times), not by a "
        "goroutine and a timer of its own; the rate is what one worker sends with its users' waits, on a shared "
        "core beside the master and the target.",
        "",
        "| users | RSS (MB) | peak RSS (MB) | req/s served | master's user count | Locust counted | target served "
        "| exact |",
        "|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for u in held:
        lines.append(f"| {u.users:,} | {u.rss_mb:,.0f} | {u.peak_mb:,.0f} | {u.rate:,.0f} | {u.master_users:,} "
                     f"| {u.counted:,} | {u.served:,} | {'yes' if u.exact else 'no'} |")
    by_users = {u.users: u for u in held}
    verdicts = []
    if 10_000 in by_users:
        u = by_users[10_000]
        verdicts.append(f"10,000 waiting users ≤ 200 MB — **{'met' if u.peak_mb <= 200 else 'missed'}** "
                        f"({u.peak_mb:,.0f} MB at its peak)")
    if 50_000 in by_users:
        u = by_users[50_000]
        verdicts.append(f"50,000 users on one worker within 1 GB, the master's user count and the counts after the "
                        f"stop exact — **{'met' if u.peak_mb <= 1024 and u.exact else 'missed'}** "
                        f"({u.peak_mb:,.0f} MB, {u.master_users:,} users, {u.counted:,} counted of {u.served:,} served)")
    if verdicts:
        lines += ["", "Goals: " + "; ".join(verdicts) + "."]
    return lines


def userflow_section(flows: dict[str, list[loadgen.FlowFigures]], held: list[userflow.UsersFigures], profile: str,
                     loads: list[float], args) -> str:
    fast = userflow.median_of(flows["FastHttpUser"], "per_cpu_second")
    go = userflow.median_of(flows["Go worker"], "per_cpu_second")
    lines = [
        "## 5. User flows per core and users per worker",
        "",
        "The acceptance flow of `docs/scenario.md` (`workers-go/examples/scenarios/flow.yaml`: a login per user with "
        "a JSON body and token extraction, then browse = items with extraction and a check, item with a templated "
        "path and three checks, one against the per-user item id (a templated check), all sending the flow's default Authorization header, or home), its wait and think "
        "time taken out (they only idle the core), sent by one Go "
        "worker (connected to a real master) and by Locust's FastHttpUser (`bench/locustfiles/fast_http_flow.py`, "
        f"the same requests, names and checks), each alone on core {loadgen.GENERATOR_CPU}, against the counting target "
        f"(which checks every token, cookie and item) on core {loadgen.TARGET_CPU}; {args.flow_users} users; "
        f"{args.seconds} s measured after {loadgen.WARMUP:g} s; {args.repeat} rounds taking turns. "
        "Per CPU-second: requests the target served in the window over the generator's CPU time in it (/proc), "
        "which holds whether the generator or the target is the limit.",
        "",
        "| generator | median requests per CPU-second | spread (min – max) | median req/s | × FastHttpUser |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figures in flows.items():
        per_cpu = [f.per_cpu_second for f in figures]
        median = statistics.median(per_cpu)
        lines.append(f"| {name} | {median:,.0f} | {spread(per_cpu)} | {userflow.median_of(figures, 'rate'):,.0f} "
                     f"| {median / fast:.2f} |")
    lines += [
        "",
        f"Goal: Go worker ≥ 8 × FastHttpUser per core on the flow — **{'met' if go / fast >= 8 else 'missed'}** "
        f"({go / fast:.2f}). The machine's 1-minute load average was {min(loads):.1f} – {max(loads):.1f} before, "
        f"between and after these runs, on {len(os.sched_getaffinity(0))} cores, the benchmark's own processes "
        "included.",
        "",
        *users_table(held, args.seconds),
        "",
        "Where the Go worker's CPU goes on the flow (last round, `go tool pprof -top -cum` of boomer's "
        "`--cpu-profile`; cumulative share, the top 25):",
        "",
        "```",
        profile.rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def https_section(results: dict[tuple[str, str], list[loadgen.FlowFigures]], version: str, loads: list[float],
                  args) -> str:
    per_cpu = {key: [f.per_cpu_second for f in figures] for key, figures in results.items()}

    def ratios(a: tuple[str, str], b: tuple[str, str]) -> list[float]:
        """a over b, one ratio per round (the two ran within a minute of each other)."""
        return [x / y for x, y in zip(per_cpu[a], per_cpu[b])]

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f} – {max(values):.2f})"

    lines = [
        "## 7. HTTPS per core",
        "",
        f"What TLS costs a load generator: one nginx (`return 200`, 1 worker process, on core {loadgen.TARGET_CPU}) "
        f"serves plain HTTP and HTTPS ({version}, an ECDSA P-256 certificate of a throw-away CA from "
        f"`workers-go/bin/certs`) on two ports; wrk (`-t1`) and one Go worker (connected to a real Locust master, "
        f"`--tls-ca-file`), each alone on core {loadgen.GENERATOR_CPU}, {args.connections} keep-alive "
        f"connections/users, {args.seconds} s measured after {loadgen.WARMUP:g} s; {args.repeat} rounds, each running "
        "wrk and the Go worker on http, then on https. Per CPU-second: requests nginx served in the window "
        "(`stub_status`) over the generator's CPU time in it (/proc), the figure that holds on a busy machine. "
        "With keep-alive a connection's handshake is paid once; what remains is encrypting and decrypting every "
        "request and answer. Ratios are medians of each round's own ratios (spread: min – max). The machine's "
        f"1-minute load average was {min(loads):.1f} – {max(loads):.1f} during the runs on "
        f"{len(os.sched_getaffinity(0))} cores, the benchmark's own processes included.",
        "",
        "| generator | scheme | median requests per CPU-second | spread (min – max) | median req/s "
        "| × its http | × wrk on the same scheme |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (gen, scheme), values in per_cpu.items():
        lines.append(f"| {gen} | {scheme} | {statistics.median(values):,.0f} | {spread(values)} "
                     f"| {userflow.median_of(results[gen, scheme], 'rate'):,.0f} "
                     f"| {cell(ratios((gen, scheme), (gen, 'http')))} | {cell(ratios((gen, scheme), ('wrk', scheme)))} |")
    over_wrk = statistics.median(ratios(("Go worker", "https"), ("wrk", "https")))
    cost = statistics.median(ratios(("Go worker", "https"), ("Go worker", "http")))
    lines += ["", f"Per core, the Go worker over HTTPS sends {over_wrk:.2f} × what wrk sends to the same TLS target, "
                  f"and {cost:.2f} × what it sends over plain HTTP (wrk: "
                  f"{statistics.median(ratios(('wrk', 'https'), ('wrk', 'http'))):.2f} ×).", ""]
    return "\n".join(lines)


SECTIONS = {"load": "## 1. Load generation per core", "capacity": "## 2. Master capacity",
            "exporter": "## 3. Exporter throughput", "scaling": "## 4. Master scaling with the exporter on",
            "userflow": "## 5. User flows per core and users per worker",
            "openmodel": "## 6. Open model", "https": "## 7. HTTPS per core"}


def kept_sections(path: Path) -> dict[str, str]:
    """The sections already in BENCHMARKS.md, by name, so that a partial run keeps the others."""
    if not path.exists():
        return {}
    parts = re.split(r"(?m)^(?=## )", path.read_text())[1:]
    by_heading = {part.splitlines()[0]: part for part in parts}
    return {name: by_heading[heading] for name, heading in SECTIONS.items() if heading in by_heading}


def provenance(text: str, command: str, commit: str) -> str:
    """The measuring command, date and commit, under the section's heading."""
    heading, _, rest = text.partition("\n")
    return f"{heading}\n\nMeasured with `{command}` on {time.strftime('%Y-%m-%d')}, commit {commit}.\n{rest}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)} (default all)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--workers", default="100,250,500", help="fake worker counts for the master capacity runs")
    parser.add_argument("--capacity-rounds", type=int, default=1, help="exporter off/on pairs per worker count")
    parser.add_argument("--flow-users", type=int, default=50, help="users of the flow benchmark")
    parser.add_argument("--held-users", default="10000,50000",
                        help="comma-separated: users one worker holds in each run of the memory benchmark")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    args = parser.parse_args()
    wanted = args.sections.split(",")
    if unknown := set(wanted) - set(SECTIONS):
        parser.error(f"--sections: unknown {', '.join(sorted(unknown))}; expected some of {', '.join(SECTIONS)}")
    fresh = {}
    if "load" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            results, loads = loadgen.measure(Path(tmp), GO_BIN, args.seconds, args.repeat, args.connections)
        fresh["load"] = load_section(results, loads, args)
    if "capacity" in wanted:
        rows = capacity.measure([int(n) for n in args.workers.split(",")], 20, args.capacity_rounds)
        fresh["capacity"] = capacity_section(rows, args.capacity_rounds)
    if "exporter" in wanted:
        fresh["exporter"] = exporter_section(exporter.measure(args.points, args.repeat), args)
    if "scaling" in wanted:
        sweeps = scaling.measure()
        scaling.plot(sweeps, REPO / "bench" / "scaling.png")
        fresh["scaling"] = scaling_section(sweeps)
    if "userflow" in wanted:
        loads = [os.getloadavg()[0]]
        with tempfile.TemporaryDirectory() as tmp:
            flows = userflow.measure_flows(Path(tmp), GO_BIN / "worker", GO_BIN / "target", args.seconds, args.repeat,
                                           args.flow_users)
            profile = userflow.profile_top(GO_BIN / "worker", Path(tmp) / "worker.cpu.pprof")
            loads.append(os.getloadavg()[0])
            held = [userflow.measure_users(Path(tmp), GO_BIN / "worker", GO_BIN / "target", int(n), args.seconds)
                    for n in args.held_users.split(",")]
            loads.append(os.getloadavg()[0])
        fresh["userflow"] = userflow_section(flows, held, profile, loads, args)
    if "openmodel" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            fresh["openmodel"] = openmodel.section(openmodel.measure(Path(tmp), args.seconds, args.repeat),
                                                   args.seconds, args.repeat)
    if "https" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            results, version, loads = https.measure(Path(tmp), GO_BIN, args.seconds, args.repeat,
                                                    args.connections)
        fresh["https"] = https_section(results, version, loads, args)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    # Figures measured on uncommitted code say so, not to pass for the commit's (read-only git commands).
    changed = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "master", "bench"], cwd=REPO).returncode
    new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "master", "bench"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    if changed or new:
        commit += " plus uncommitted changes to master/ or bench/"
    python = os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO)) else "python"
    command = " ".join([python, "-m", "bench.run", *sys.argv[1:]])
    sections = kept_sections(Path(args.out)) | {name: provenance(text, command, commit) for name, text in fresh.items()}
    header = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run`) on {platform.machine()}, {len(os.sched_getaffinity(0))} cores; each "
        "section says the command, date and commit it was measured with. Reproduce with `make bench` (options: "
        "`make bench BENCH_ARGS='--seconds 20 --repeat 5'`; one section only: "
        "`.venv/bin/python -m bench.run --sections scaling`).",
        "",
        "",
    ]
    body = "\n".join(sections[name].rstrip("\n") + "\n" for name in SECTIONS if name in sections)
    Path(args.out).write_text("\n".join(header) + body)
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
