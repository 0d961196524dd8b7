"""Rates over time follow the load, not the reporting cadence: two workers held at about 1,000
requests/s each chart in InfluxDB, interval by interval, what the target saw arrive in the same
seconds (GET /_arrivals counts /stall by second), at any --influxdb-interval, while the sums stay
exact. Two masters run at once into one InfluxDB, at two intervals, each with its own target.
Compared with the target rather than with the rate asked for: on a loaded machine the workers do
not always hold 1,000/s, and the chart must show what they did."""

from __future__ import annotations


import pytest

from harness.exported import influx_args
from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from locust_fleet.model import AGGREGATED, REQUESTS, RUNS, WORKERS

pytestmark = pytest.mark.e2e
RATE = 1000  # per worker
RUN_S = 23  # three whole 5 s intervals after the first, whatever the flushes' phase
INTERVALS = ("5", "2")


def test_a_steady_load_charts_flat_at_two_intervals(procs, go_bin, influx, tmp_path):
    scenario = tmp_path / "stall.yaml"
    scenario.write_text("requests:\n  - {name: home, path: /stall}\n")  # the target counts /stall by second
    runs = {}
    for interval in INTERVALS:
        target = Target(procs, go_bin["target"])
        master = Master(procs, "--headless", "-u", "20", "-r", "20", "-t", f"{RUN_S}s", "--expect-workers", "2",
                        "-H", target.url, *influx_args(influx, tmp_path / interval, interval),
                        "--run-tag", f"interval={interval}", name=f"master-{interval}")
        for i in range(2):
            start_worker(procs, go_bin["worker"], master.port, "--target", target.url, "--max-rps", str(RATE),
                         "--scenario", str(scenario), name=f"worker-{interval}-{i}")
        runs[interval] = (master, target)
    for interval, (master, target) in runs.items():
        assert master.proc.wait(60) == 0, master.proc.log()[-3000:]

    for interval, (master, target) in runs.items():
        (run,) = rows(influx.query(f"SELECT * FROM {RUNS} WHERE \"interval\" = '{interval}'"))
        points = rows(influx.query(f"SELECT requests, rps, interval_s FROM {REQUESTS} WHERE "
                                   f"run_id = '{run['run_id']}' AND \"name\" = '{AGGREGATED}'"))
        assert sum(p["requests"] for p in points) == sum(target.counts().values())
        # Intervals wholly inside the load. A point is stamped when its interval was flushed and counts
        # whole seconds, from int(time) - interval_s to int(time): those may start up to a second
        # before the flush before it (5.01 s after it can count 6 s). Steady: the seconds start after
        # the users did (the first interval starts in the run's first second) and end by the run time.
        start, end = run["start_time"], run["start_time"] + RUN_S
        steady = [p for p in points if int(p["time"] // 1e9) - p["interval_s"] >= start + 1
                  and int(p["time"] // 1e9) <= end]
        assert len(steady) >= 3, (interval, start, points)
        arrived = target.arrivals()
        seen = []
        for p in steady:
            last = int(p["time"] // 1e9)
            sent = sum(arrived.get(sec, 0) for sec in range(last - int(p["interval_s"]), last))
            seen.append((p["requests"], sent))
        # boomer stamps a request with the second it got to record it in, at most a few ms after
        # the target saw it; on a starved machine a burst may cross into the next interval, so one
        # interval in five may be off by up to 15 %, the others by 5 % at most.
        off = [abs(got - sent) / sent for got, sent in seen]
        assert all(o < 0.15 for o in off) and sum(o < 0.05 for o in off) >= 0.8 * len(off), (interval, seen)

        # per worker, by the same seconds: both sent in every interval, and they add up to the total
        totals = {p["time"]: p["rps"] for p in steady}
        by_time: dict[int, list[float]] = {}
        for w in rows(influx.query(f"SELECT rps FROM {WORKERS} WHERE run_id = '{run['run_id']}' GROUP BY worker")):
            if w["time"] in totals:
                by_time.setdefault(w["time"], []).append(w["rps"])
        assert set(by_time) == set(totals)
        for at, rates in by_time.items():
            assert len(rates) == 2 and all(r > 0 for r in rates), (interval, rates)
            assert abs(sum(rates) - totals[at]) < 1e-6 * totals[at], (interval, rates, totals[at])
