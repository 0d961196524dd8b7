"""Faults of InfluxDB and of the master, with real processes: InfluxDB killed for 30 s, slow, or
answering 500s (through harness/faultproxy.py); the master killed mid-run and restarted on
the same spool. Outcomes: the master's loop keeps up, the test's numbers are unaffected, InfluxDB
ends up holding every point exactly once, and the exporter's counters account for every point."""

from __future__ import annotations

import re
import signal
import time

import pytest

from harness.exported import check_exact, exported_requests, run_headless
from harness.parts import FaultProxy, Master, Target, start_worker
from harness.influxd import rows
from harness.procs import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
# A loop blocked by InfluxDB's I/O would lag by the seconds InfluxDB takes (the slow answers take
# 3 s, the timeout is 2 s); a loop that only appends lags by what a loaded machine costs it (a few
# tens of ms on a quiet one, over 100 ms with other suites running beside it).
LAG_LIMIT_MS = 1000


def loop_lag_p99(log: str) -> float:
    found = re.findall(r"Master gevent loop lag during the run: p99 ([\d.]+) ms", log)
    assert found, "the master logged no loop lag"
    return float(found[-1])


def final_counters(log: str) -> dict[str, int]:
    line = re.findall(r"InfluxDB export \(points\): (.*)", log)[-1]
    return {k: int(v) for k, v in (part.split() for part in line.split(", "))}


def assert_all_written(log: str) -> dict[str, int]:
    """Once the final flush succeeded: every queued point was written, none dropped (the spool was
    empty at start and is empty at the end)."""
    counters = final_counters(log)
    assert counters["dropped"] == counters["refused"] == 0 and counters["queued"] == counters["written"], counters
    return counters


def test_influxdb_killed_for_30_s_loses_and_doubles_nothing(procs, go_bin, own_influx, tmp_path, figure):
    influx = own_influx
    target = Target(procs, go_bin["target"])
    master, workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=42)
    # The outage begins once the run writes, not 6 s after the master's start: on a loaded machine a
    # master that took longer to start found no InfluxDB at its start, another case than this one.
    wait_until(lambda: exported_requests(influx) > 0, 30, "the run's first requests in InfluxDB")
    influx.kill()
    time.sleep(30)
    influx.start()
    master.proc.wait(120)
    check_exact(influx, target, report)
    log = master.proc.log()
    assert "points go to the spool" in log and "InfluxDB is back" in log
    counters = assert_all_written(log)
    assert counters["spooled"] > 0 and counters["replayed"] > 0
    assert loop_lag_p99(log) < LAG_LIMIT_MS
    figure("requests served = counted = in InfluxDB", sum(target.counts().values()))
    figure("points spooled / replayed / dropped", f"{counters['spooled']} / {counters['replayed']} / 0")
    figure("master loop lag p99 (ms)", loop_lag_p99(log))


def test_slow_then_failing_influxdb(procs, go_bin, influx, tmp_path, figure):
    """Answers 3 s late (longer than --influxdb-timeout 2), then HTTP 500 for a while."""
    proxy = FaultProxy(procs, influx.url)
    target = Target(procs, go_bin["target"])

    class Behind:  # the master writes through the proxy; the checks read InfluxDB directly
        url = proxy.url
        database = influx.database

    master, workers, report = run_headless(procs, go_bin, target, Behind, tmp_path, seconds=30,
                                           extra=("--influxdb-timeout", "2"))
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic")
    time.sleep(4)
    proxy.mode("slow/3")
    time.sleep(9)
    proxy.mode("error/500")
    time.sleep(9)
    seen = proxy.mode("pass")["seen"]
    assert seen.get("slow", 0) >= 2 and seen.get("error", 0) >= 2, seen
    master.proc.wait(120)
    check_exact(influx, target, report)
    log = master.proc.log()
    assert "no answer within 2 s" in log and "HTTP 500" in log
    counters = assert_all_written(log)
    assert counters["retried"] > 0
    assert loop_lag_p99(log) < LAG_LIMIT_MS
    figure("writes answered late / with 500", f"{seen['slow']} / {seen['error']}")
    figure("points retried / replayed / dropped", f"{counters['retried']} / {counters['replayed']} / 0")
    figure("master loop lag p99 (ms)", loop_lag_p99(log))


def test_master_killed_mid_run_replays_its_spool_and_workers_exit(procs, go_bin, influx, tmp_path, figure):
    """InfluxDB refuses writes (500) so the master spools; it is SIGKILLed mid-run; its Go workers
    exit with code 1 at once; a new master on the same --spool-dir writes every spooled point."""
    proxy = FaultProxy(procs, influx.url)
    proxy.mode("error/500")
    target = Target(procs, go_bin["target"])
    spool = tmp_path / "spool"
    args = ["--influxdb-url", proxy.url, "--influxdb-database", influx.database, "--influxdb-interval", "1",
            "--spool-dir", str(spool)]
    first = Master(procs, "--headless", "-u", "6", "-r", "6", "-t", "60s", "--expect-workers", "2", "-H",
                   target.url, *args, name="first-master")
    workers = [start_worker(procs, go_bin["worker"], first.port, "--target", target.url, name=f"worker-{i}")
               for i in (1, 2)]
    # interval points are written once their seconds have settled (rates.SETTLE_S after their end)
    wait_until(lambda: len(list(spool.rglob("*.lp"))) >= 5
               and any(b"locust_requests" in p.read_bytes() for p in spool.rglob("*.lp")), 30,
               "the first master to spool interval points")
    first.proc.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    assert [w.wait(15) for w in workers] == [1, 1]
    exited_after = time.monotonic() - killed_at
    assert exited_after < 10, "the workers lingered"
    figure("Go workers exited (code 1) after the kill (s)", exited_after)

    spooled = [line for p in sorted(spool.rglob("*.lp")) for line in p.read_bytes().splitlines() if line]
    run_id = re.search(rb"run_id=([\w-]+)", spooled[0]).group(1).decode()
    # (measurement, timestamp) of every spooled point; tags may hold escaped spaces, these two cannot
    expected = {(line.split(b",", 1)[0].decode(), int(line.rsplit(b" ", 1)[1])) for line in spooled}
    proxy.mode("pass")
    second = Master(procs, *args, name="second-master")
    wait_until(lambda: not list(spool.rglob("*.lp")), 30, "the second master to replay the spool")
    second.proc.signal(signal.SIGTERM)
    second.proc.wait(30)
    assert "from an earlier master; replaying them first" in second.proc.log()

    stored = {(m, r["time"]) for m in {m for m, _ in expected}
              for r in rows(influx.query(f"SELECT * FROM {m} WHERE run_id = '{run_id}'"))}
    assert expected <= stored, sorted(expected - stored)[:5]
    figure("spooled points found in InfluxDB after the restart", f"{len(expected)} of {len(expected)}")
    total = rows(influx.query(f"SELECT sum(requests) FROM locust_requests WHERE run_id = '{run_id}' "
                              "AND \"name\" = 'Aggregated'"))[0]["sum"]
    assert 0 < total <= sum(target.counts().values())  # what was reported before the kill
