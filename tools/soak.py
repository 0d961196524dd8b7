"""`make soak`: a long run at a moderate rate, as a user running a test for hours would: the web UI's
master exporting to a real InfluxDB, Go workers joining and leaving all along (one of them stays
for the whole run), an InfluxDB outage and a stats reset on the way. It measures what a long run
wears down: the resident memory of the master and of the worker that stays (sampled every 10 s;
the slope after warm-up, by least squares), the master's loop lag (the exporter's per-interval
p99 and max) and the counts at the end: Locust's, the run record's and InfluxDB's points after the
reset each equal what the target served after the reset (the workers send the reset's number,
--reset-header). Prints the figures as a markdown table (docs/faults.md keeps the last ones);
exit code 1 when a count is off, 0 otherwise.

    python -m tools.soak [--minutes 30] [--users 20]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness.influxd import InfluxServer, rows
from harness.parts import Master, Target, start_worker
from harness.procs import GO_BIN, Procs, get_json, wait_until

HEADER = "X-Locust-Fleet-Reset"
SCENARIO = "wait: {constant: 100ms}\ntasks:\n  - {name: home, path: /, weight: 4}\n  - {name: item, path: /items/1, weight: 1, expect_status: 403}\n"
SAMPLE_S = 10.0
# The InfluxDB outage starts at OUTAGE_AT of the run and lasts OUTAGE_S; the stats reset comes at
# RESET_AT, after the outage has ended: in a run of MIN_MINUTES at least.
OUTAGE_AT, OUTAGE_S, RESET_AT = 0.4, 60.0, 0.6
MIN_MINUTES = 6.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s for s, _ in samples], [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600


def exporter_counters(log: str) -> dict[str, int]:
    """The exporter's last "InfluxDB export (points): queued N, written N, ..." line."""
    lines = [line for line in log.splitlines() if "InfluxDB export (points): " in line]
    if not lines:
        return {}
    return {k: int(v) for k, v in (part.split() for part in lines[-1].split("(points): ", 1)[1].split(", "))}


def answers(web: str) -> bool:
    try:
        get_json(web + "/stats/requests")
        return True
    except OSError:
        return False


def post(url: str, timeout: float = 60) -> None:
    urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=timeout).read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.minutes >= MIN_MINUTES:  # a shorter run would end inside the outage, before its stats reset
        parser.error(f"--minutes: {args.minutes:g}; expected at least {MIN_MINUTES:g} (the InfluxDB "
                     f"outage of {OUTAGE_S:g} s has to end before the stats reset at {RESET_AT:g} of the run)")
    if args.users < 1:
        parser.error(f"--users: {args.users}; expected a whole number of 1 or more")
    duration = args.minutes * 60
    warm_up = min(300.0, duration / 6)
    work = Path(tempfile.mkdtemp(prefix="locust-fleet-soak-"))
    procs = Procs(work)
    influx = InfluxServer(work / "influxdb")
    scenario = work / "soak.yaml"
    scenario.write_text(SCENARIO)
    figures: list[tuple[str, str]] = []
    ok = True
    try:
        influx.start()
        target = Target(procs, GO_BIN / "target")
        master = Master(procs, "-H", target.url, "--influxdb-url", influx.url, "--influxdb-interval", "5",
                        "--spool-dir", str(work / "spool"), "--run-tag", "suite=soak")
        wait_until(lambda: answers(master.web), 30, "the web UI")

        count = [0]

        def join():
            count[0] += 1
            return start_worker(procs, GO_BIN / "worker", master.port, "--scenario", str(scenario), "--target",
                                target.url, "--reset-header", HEADER, name=f"worker-{count[0]}")

        staying = join()
        churn = [join(), join()]
        wait_until(lambda: len(master.workers()) == 3, 60, "three workers")
        master.swarm(args.users, target.url, spawn_rate=5)
        started = time.monotonic()
        samples_master, samples_worker = [], []
        outage_at, reset_at = OUTAGE_AT * duration, RESET_AT * duration
        outage_done = reset_done = False
        next_churn = 120.0
        while (elapsed := time.monotonic() - started) < duration:
            if elapsed >= warm_up:
                samples_master.append((elapsed, rss_mb(master.proc.pid)))
                samples_worker.append((elapsed, rss_mb(staying.pid)))
            if elapsed >= next_churn:  # one worker leaves (SIGTERM: it reports its last seconds), one joins
                leaving = churn.pop(0)
                leaving.signal(signal.SIGTERM)
                leaving.wait(20)
                churn.append(join())
                next_churn += 120.0
            if not outage_done and elapsed >= outage_at:
                influx.kill()
                time.sleep(OUTAGE_S)
                influx.start()
                outage_done = True
                continue
            if not reset_done and elapsed >= reset_at:
                post(master.web + "/stats/reset")
                reset_done = True
            time.sleep(SAMPLE_S)
        post(master.web + "/stop", timeout=120)
        final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 60, "the stopped run")
        after_reset = get_json(target.url + "/_counts/resets").get("1", {})
        sent = sum(after_reset.values())
        counted = sum(e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated")
        run = wait_until(lambda: (r := rows(influx.query("SELECT * FROM locust_runs"))) and r[0]["state"] == "stopped"
                         and r[0], 120, "the run record's stop (the spool replays first)")
        reset_event = rows(influx.query("SELECT * FROM locust_events WHERE \"event\" = 'stats_reset'"))[-1]
        since = rows(influx.query("SELECT sum(requests) FROM locust_requests WHERE \"name\" = 'Aggregated' AND "
                                  f"time >= {reset_event['time']}"))[0]["sum"]
        lag = rows(influx.query("SELECT loop_lag_p99_ms, loop_lag_max_ms FROM locust_exporter"))
        steady = [p for p in lag if p.get("loop_lag_p99_ms") is not None][int(len(lag) * warm_up / duration):]
        ok = sent == counted == run["requests"] == since and sent > 0
        log = master.proc.log()
        counters = exporter_counters(log)
        figures += [
            ("duration, users, workers started (joined and left)", f"{args.minutes:g} min, {args.users}, {count[0]}"),
            ("requests served after the reset = Locust = run record = InfluxDB points",
             f"{sent} = {counted} = {run['requests']} = {since}" + ("" if ok else "  (NOT EQUAL)")),
            ("master RSS after warm-up: first / last / slope",
             f"{samples_master[0][1]:.1f} / {samples_master[-1][1]:.1f} MB / {slope_per_hour(samples_master):+.1f} MB/h"),
            ("staying worker RSS after warm-up: first / last / slope",
             f"{samples_worker[0][1]:.1f} / {samples_worker[-1][1]:.1f} MB / {slope_per_hour(samples_worker):+.1f} MB/h"),
            ("master loop lag per interval after warm-up: median p99 / worst p99 / worst max",
             f"{statistics.median(p['loop_lag_p99_ms'] for p in steady):.1f} / "
             f"{max(p['loop_lag_p99_ms'] for p in steady):.1f} / {max(p['loop_lag_max_ms'] for p in steady):.1f} ms"),
            ("InfluxDB outage (60 s): points spooled / replayed / dropped",
             " / ".join(str(counters.get(k, "?")) for k in ("spooled", "replayed", "dropped"))),
            ("tracebacks in the master's log", str(log.count("Traceback"))),
        ]
    finally:
        procs.stop_all()
        influx.close()
    print("| figure | value |\n|---|---|")
    for name, value in figures:
        print(f"| {name} | {value} |")
    print(f"(logs in {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
