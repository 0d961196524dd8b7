"""Rates over time follow the load, not the reporting cadence: two workers held at a steady
1,000 requests/s each chart flat in InfluxDB at any --influxdb-interval, while the sums stay exact."""

from __future__ import annotations

import statistics

import pytest

from harness.exported import influx_args
from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from locust_fleet.model import AGGREGATED, REQUESTS, RUNS, WORKERS

pytestmark = pytest.mark.e2e
RATE = 1000  # per worker
RUN_S = 21


@pytest.mark.parametrize("interval", ["5", "2"])
def test_a_steady_load_charts_flat(procs, go_bin, influx, tmp_path, interval):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "20", "-r", "20", "-t", f"{RUN_S}s", "--expect-workers", "2",
                    "-H", target.url, *influx_args(influx, tmp_path, interval))
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--target", target.url, "--max-rps", str(RATE),
                     name=f"worker{i}")
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]

    (run,) = rows(influx.query(f"SELECT * FROM {RUNS}"))
    points = rows(influx.query(f"SELECT requests, rps, interval_s FROM {REQUESTS} WHERE run_id = '{run['run_id']}' "
                               f"AND \"name\" = '{AGGREGATED}'"))
    assert sum(p["requests"] for p in points) == sum(target.counts().values())
    # Intervals wholly inside the load: not the first (the users start, and boomer's rate limiter
    # begins with a full bucket), none reaching past the run time.
    start, end = run["start_time"], run["start_time"] + RUN_S
    steady = [p["rps"] for p in points if p["time"] / 1e9 - p["interval_s"] >= start + float(interval)
              and p["time"] / 1e9 <= end]
    assert len(steady) >= 3, points
    mean = statistics.fmean(steady)
    assert abs(mean - 2 * RATE) / (2 * RATE) < 0.03, steady
    assert all(abs(r - mean) / mean < 0.03 for r in steady), steady

    steady_times = {p["time"] for p in points if p["rps"] in steady}
    workers = rows(influx.query(f"SELECT rps FROM {WORKERS} WHERE run_id = '{run['run_id']}' GROUP BY worker"))
    by_worker: dict[str, list[float]] = {}
    for w in workers:
        if w["time"] in steady_times:
            by_worker.setdefault(w["worker"], []).append(w["rps"])
    assert len(by_worker) == 2
    for rates in by_worker.values():
        assert all(abs(r - RATE) / RATE < 0.05 for r in rates), rates
