"""Master capacity: a real master (master/locustfile.py plus a loop-lag probe) on core 1 with N fake
workers (bench/fake_workers.py) on core 0, with and without the InfluxDB exporter writing to a real
influxd: gevent loop lag p99, the master's CPU over the steady part of the run and its memory."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import psutil

from harness.influxd import InfluxServer
from harness.procs import REPO, VENV_BIN, Procs, free_port, wait_until

RUN_SECONDS = 30
WARMUP = 10
WINDOW = RUN_SECONDS - WARMUP - 5  # the measured part: after spawning, before the stop
PY_SPY_RATE = 250  # samples per second when profiling


class MasterFigures(NamedTuple):
    lag_ms: float  # loop lag p99
    cpu: float  # % of one core over the measured window
    rss_mb: float  # resident memory at the end of the measured window (steady state)
    load: float  # the machine's 1-minute load average then: how much else ran (the run itself included)


def one_run(work: Path, workers: int, endpoints: int, influx_url: str | None,
            profile: Path | None = None) -> MasterFigures:
    """profile: record the master with py-spy over the measured window into this file (raw
    collapsed stacks); py-spy runs on the fleet's core so that the master's core stays its own."""
    procs = Procs(work)
    try:
        port = free_port()
        args = [str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "locustfiles" / "master_with_lag.py"),
                "--master", "--headless", "-u", str(workers), "-r", str(max(workers, 1)), "-t", f"{RUN_SECONDS}s",
                "--expect-workers", str(workers), "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                "--web-port", str(free_port()), "--web-host", "127.0.0.1", "--drain-timeout", "5"]
        if influx_url:
            args += ["--influxdb-url", influx_url, "--spool-dir", str(work / "spool")]
        master = procs.start("master", ["taskset", "-c", "1", *args],
                             env={"PYTHONPATH": str(REPO / "master")})
        procs.start("fake-workers", ["taskset", "-c", "0", sys.executable, "-m", "bench.fake_workers", str(port),
                              str(workers), str(endpoints), str(RUN_SECONDS + 40)])
        wait_until(lambda: "Run time limit set" in master.log(), 60, "all fake workers to connect")
        time.sleep(WARMUP)
        if profile:
            spy = procs.start("py-spy", ["taskset", "-c", "0", str(VENV_BIN / "py-spy"), "record", "--pid",
                                         str(master.pid), "--duration", str(WINDOW), "--rate", str(PY_SPY_RATE),
                                         "--format", "raw", "--full-filenames", "-o", str(profile)])
        process = psutil.Process(master.pid)
        cpu0, t0 = sum(process.cpu_times()[:2]), time.monotonic()
        time.sleep(WINDOW)
        cpu = (sum(process.cpu_times()[:2]) - cpu0) / (time.monotonic() - t0) * 100
        rss = process.memory_info().rss / 2**20
        load = os.getloadavg()[0]
        master.wait(120)
        if profile:
            spy.wait(60)
        lag = float(re.search(r"LOOP_LAG_P99_MS=([\d.]+)", master.log()).group(1))
        return MasterFigures(lag, cpu, rss, load)
    finally:
        procs.stop_all()


def measure(worker_counts: list[int], endpoints: int, rounds: int = 1) -> list[dict]:
    """One row per worker count: {"workers", "endpoints", "off": [MasterFigures per round], "on": [...]}."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp, InfluxServer(Path(tmp) / "influxdb") as server:
        for n in worker_counts:
            row = {"workers": n, "endpoints": endpoints, "off": [], "on": []}
            for i in range(rounds):
                # Off and on take turns, so a busy spell of the shared machine falls on both alike, and
                # swap places every round, so that neither is always the second run.
                pair = [("off", None), ("on", server.url)]
                for label, url in pair[::-1] if i % 2 else pair:
                    with tempfile.TemporaryDirectory() as work:
                        row[label].append(one_run(Path(work), n, endpoints, url))
                print(f"  {n} workers x {endpoints} endpoints: off {row['off'][-1]}, on {row['on'][-1]}",
                      file=sys.stderr)
            rows.append(row)
    return rows


if __name__ == "__main__":
    print(measure([int(a) for a in sys.argv[1:]] or [100], 20))
