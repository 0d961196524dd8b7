"""Worker faults with real processes: one Go worker SIGKILLed and one SIGSTOPped (no more
heartbeats) among live ones, and a worker whose target hangs. Each worker sends to its own path,
so the target's counts tell the workers apart. Outcomes: the master marks the dead and the frozen
worker missing and says so in its events, the live workers' totals stay exact, a frozen worker that
wakes after its master is gone exits at once, and a hanging target costs timeouts, not counts."""

from __future__ import annotations

import json
import signal
import time

import pytest

from harness.parts import Master, Target, start_worker
from harness.influxd import InfluxServer, rows
from harness.procs import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def scenario(tmp_path, name: str, path: str, timeout: str = "10s"):
    file = tmp_path / f"{name}.yaml"
    file.write_text(f"requests:\n  - {{name: {name}, path: {path}, timeout: {timeout}}}\n")
    return str(file)


def locust_entries(report) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads(report.with_suffix(".json").read_text())}


def test_killed_and_frozen_workers_are_missing_and_live_totals_stay_exact(procs, go_bin, tmp_path, figure):
    target = Target(procs, go_bin["target"])
    with InfluxServer(tmp_path / "influxdb") as influx:
        report = tmp_path / "stats"
        master = Master(procs, "--headless", "-u", "8", "-r", "8", "-t", "20s", "--expect-workers", "4",
                        "--json-file", str(report), "-H", target.url, "--influxdb-url", influx.url,
                        "--influxdb-interval", "1", "--spool-dir", str(tmp_path / "spool"))
        workers = {name: start_worker(procs, go_bin["worker"], master.port, "--target", target.url,
                                      "--scenario", scenario(tmp_path, name, f"/{name}"), name=name)
                   for name in ("live-a", "live-b", "killed", "frozen")}
        wait_until(lambda: len(target.counts()) == 4, 30, "traffic from all four workers")
        time.sleep(2)
        workers["killed"].signal(signal.SIGKILL)
        workers["frozen"].signal(signal.SIGSTOP)
        faulted_at = time.monotonic()
        wait_until(lambda: master.proc.log().count("failed to send heartbeat, setting state to missing") >= 2, 15,
                   "the master to mark both workers missing")
        figure("both marked missing after (s)", time.monotonic() - faulted_at)
        served_then = dict(target.counts())
        # Polled, not a fixed 2 s: on a loaded machine the missing marks can come late in the run.
        wait_until(lambda: target.counts()["GET /live-a"] > served_then["GET /live-a"], 30,
                   "the live workers to go on")

        assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
        assert workers["live-a"].wait(15) == 0 and workers["live-b"].wait(15) == 0
        workers["frozen"].signal(signal.SIGCONT)
        # Woken after its master left, it never lingers: 0 when the master's quit was still waiting
        # in its socket, 1 when it finds the master gone.
        assert workers["frozen"].wait(15) in (0, 1)

        served = target.counts()
        counted = locust_entries(report)
        for live in ("live-a", "live-b"):
            assert counted[live]["num_requests"] == served[f"GET /{live}"], live

        run_id = rows(influx.query("SELECT * FROM locust_runs"))[0]["run_id"]
        missing = rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run_id}' "
                                    "AND \"event\" = 'worker_missing'"))
        assert len({e["worker"] for e in missing}) == 2, missing
        states = rows(influx.query(f"SELECT last(state) FROM locust_workers WHERE run_id = '{run_id}' "
                                   "AND state = 'missing' GROUP BY worker"))
        assert {s["worker"] for s in states} == {e["worker"] for e in missing}
        figure("live workers' requests served = counted", served["GET /live-a"] + served["GET /live-b"])


def test_a_hanging_target_costs_timeouts_not_counts(procs, go_bin, tmp_path, figure):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", "6", "-r", "6", "-t", "10s", "--expect-workers", "2",
                    "--json-file", str(report), "--exit-code-on-error", "0", "-H", target.url)
    ok = start_worker(procs, go_bin["worker"], master.port, "--target", target.url,
                      "--scenario", scenario(tmp_path, "ok", "/ok"), name="ok-worker")
    hung = start_worker(procs, go_bin["worker"], master.port, "--target", target.url,
                        "--scenario", scenario(tmp_path, "hang", "/delay/4000", timeout="1s"), name="hung-worker")
    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    assert ok.wait(15) == 0 and hung.wait(15) == 0
    log = master.proc.log()
    assert "failed to send heartbeat" not in log, "a worker waiting on its target still sends heartbeats"
    assert "Drained 2 worker(s)" in log
    time.sleep(5)  # the target counts a request when its 4 s delay ends, long after the client gave up
    served, counted = target.counts(), locust_entries(report)
    assert counted["ok"]["num_requests"] == served["GET /ok"]
    hang = counted["hang"]
    assert hang["num_requests"] == hang["num_failures"] == served["GET /delay/4000"] > 0
    figure("timed-out requests counted as failures = received by the target", hang["num_failures"])
