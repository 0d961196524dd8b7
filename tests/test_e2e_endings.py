"""Every way a test ends counts its last seconds: after each, Locust's statistics equal what the
counting target served, per endpoint (README, "The last seconds count"). The run time and the
web UI's POST /stop are tested in test_e2e_master_workers.py."""

from __future__ import annotations

import json
import signal
import time

import pytest

from harness.exported import NAMES, check_exact, exported_requests, run_headless, sums_by_name, the_run
from harness.manifests import stopping_worker_needs
from harness.parts import FaultProxy, Master, Target, start_worker
from harness.procs import REPO, wait_until

pytestmark = pytest.mark.e2e
SCENARIO = str(REPO / "tests" / "scenarios" / "three_endpoints.yaml")
SHAPE = str(REPO / "tests" / "locustfiles" / "stepped_shape.py")
ENDPOINTS = {"home": ("GET", "/"), "items": ("POST", "/items"), "broken": ("GET", "/status/503")}


def assert_exact(entries: list[dict], served: dict[str, int]) -> None:
    by_name = {e["name"]: e for e in entries if e["name"] != "Aggregated"}
    for name, (method, path) in ENDPOINTS.items():
        want = served.get(f"{method} {path}", 0)
        assert want > 0, f"the target served no {method} {path}: {served}"
        got = by_name[name]["num_requests"]
        assert got == want, f"{name}: Locust counted {got}, the target served {want}"
        assert by_name[name]["num_failures"] == (want if name == "broken" else 0), name


def headless(procs, go_bin, tmp_path, *args, workers=2, env=None):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "--expect-workers", str(workers), "--json-file",
                    str(report.with_suffix("")), "-H", target.url, *args, env=env)
    started = [start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                            name=f"worker{i}") for i in range(workers)]
    return target, master, started, report


def traffic(target, seconds: float) -> None:
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic at the target")
    time.sleep(seconds)


@pytest.mark.parametrize("steps", ["4x2,12x2,2x2", "4x2,0x2,3x2"], ids=["stepped", "through-zero"])
def test_a_shapes_end_counts_the_last_seconds(procs, go_bin, tmp_path, steps):
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-f", SHAPE, env={"SHAPE_STEPS": steps})
    assert master.proc.wait(60) in (0, 1), master.proc.log()[-3000:]
    assert "Shape test stopping" in master.proc.log()
    assert "Drained 2 worker(s)" in master.proc.log()
    assert_exact(json.loads(report.read_text()), target.counts())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_a_headless_master_counts_the_last_seconds(procs, go_bin, tmp_path, sig):
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-u", "10", "-r", "10")
    traffic(target, 2)
    master.proc.signal(sig)
    assert master.proc.wait(40) in (0, 1), master.proc.log()[-3000:]
    assert "Drained 2 worker(s)" in master.proc.log()
    assert_exact(json.loads(report.read_text()), target.counts())


def test_a_signal_during_a_shape_counts_the_last_seconds(procs, go_bin, tmp_path):
    # Two stops at once: SIGTERM's, and the shape's, whose greenlet is killed and whose
    # locust main loop then quits too; the second waits for the first one's drain.
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-f", SHAPE,
                                               env={"SHAPE_STEPS": "6x30"})
    traffic(target, 2)
    master.proc.signal(signal.SIGTERM)
    assert master.proc.wait(40) in (0, 1), master.proc.log()[-3000:]
    assert_exact(json.loads(report.read_text()), target.counts())


def test_the_last_worker_leaving_reports_its_last_seconds(procs, go_bin, tmp_path):
    # An interrupted Go worker stops its users and sends the report of their last requests before
    # it tells the master it quits; the master then ends the headless test (Locust's rule).
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-u", "10", "-r", "10", workers=1)
    traffic(target, 2)
    workers[0].signal(signal.SIGTERM)
    assert workers[0].wait(15) == 0, workers[0].log()[-2000:]
    assert "the users' last requests are reported" in workers[0].log()
    assert master.proc.wait(30) in (0, 1), master.proc.log()[-3000:]
    assert "The last worker quit" in master.proc.log()
    assert_exact(json.loads(report.read_text()), target.counts())


def test_a_worker_leaving_mid_test_reports_its_last_seconds(procs, go_bin, tmp_path):
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-u", "10", "-r", "10", "-t", "9s")
    traffic(target, 2)
    workers[0].signal(signal.SIGINT)  # it reports its last requests (3 to 6 s), then quits
    assert workers[0].wait(15) == 0, workers[0].log()[-2000:]
    assert "the users' last requests are reported" in workers[0].log()
    assert master.proc.wait(40) in (0, 1), master.proc.log()[-3000:]
    assert_exact(json.loads(report.read_text()), target.counts())


def test_a_boomer_style_worker_interrupted_mid_test_reports_its_last_seconds(procs, go_bin, tmp_path):
    # examples/custom: a task of plain Go code recording through boomer (lifecycle.Run)
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", "2", "-r", "2", "-t", "9s", "--expect-workers", "2",
                    "--json-file", str(report), "-H", target.url)
    workers = [procs.start(f"custom{i}", [str(go_bin["custom"]), "--master-host", "127.0.0.1", "--master-port",
                                          str(master.port), "--target", target.url]) for i in range(2)]
    traffic(target, 2)
    workers[0].signal(signal.SIGTERM)  # it stops calling the task, reports the last requests, then quits
    assert workers[0].wait(15) == 0, workers[0].log()[-2000:]
    assert master.proc.wait(40) in (0, 1), master.proc.log()[-3000:]
    assert workers[1].wait(15) == 0
    served = target.counts()["GET /"]
    assert served > 0 and sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text())) == served
    assert "the tasks' last requests are reported" in workers[0].log()


def test_stop_timeout_counts_the_last_seconds(procs, go_bin, tmp_path):
    target, master, workers, report = headless(procs, go_bin, tmp_path, "-u", "10", "-r", "10", "-t", "3s",
                                               "--stop-timeout", "3")
    assert master.proc.wait(60) in (0, 1), master.proc.log()[-3000:]
    assert "Drained 2 worker(s)" in master.proc.log()
    assert_exact(json.loads(report.read_text()), target.counts())


def test_users_edited_in_the_web_ui_then_stopped_count_exactly_and_so_does_a_web_run_time(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url)
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 20, "2 workers in the master's list")
    master.swarm(12, target.url)
    wait_until(lambda: master.stats()["state"] == "running", 20, "the test to run")
    time.sleep(1.5)
    master.swarm(3, target.url)  # a new test started while one runs: Locust edits the user count
    time.sleep(1.5)
    master.swarm(8, target.url)
    time.sleep(1.5)
    master.stop()
    wait_until(lambda: master.stats()["state"] == "stopped", 30, "the test to stop")
    assert_exact(master.stats()["stats"], target.counts())
    assert "Drained 2 worker(s)" in master.proc.log()

    # a next test with a run time set in the web UI, on the same master and workers
    wait_until(lambda: len(master.workers()) == 2 and all(w["state"] == "ready" for w in master.workers()),
               20, "both workers ready again")
    target.reset()
    master.swarm(6, target.url, run_time="3s")
    wait_until(lambda: master.stats()["state"] == "running", 20, "the second test to run")
    wait_until(lambda: master.stats()["state"] == "stopped", 30, "the run time to stop it")
    assert_exact(master.stats()["stats"], target.counts())
    assert master.proc.log().count("Drained 2 worker(s)") == 2


def test_a_shape_started_in_the_web_ui_counts_its_last_seconds(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-f", SHAPE, "-H", target.url, env={"SHAPE_STEPS": "5x2,10x2"})
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 20, "2 workers in the master's list")
    master.swarm(1, target.url)
    wait_until(lambda: "Shape test stopping" in master.proc.log(), 30, "the shape to end")
    wait_until(lambda: master.stats()["state"] == "stopped", 30, "the test to stop")
    assert_exact(master.stats()["stats"], target.counts())
    assert "Drained 2 worker(s)" in master.proc.log()


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl+C", "SIGTERM"])
def test_a_ctrl_c_while_stopping_ends_promptly_and_writes_everything(procs, go_bin, influx, tmp_path, first):
    """A Ctrl+C during the stop's drain (after a first one, or SIGTERM) ended the master with Locust's
    traceback, without its JSON file, summary or final write to InfluxDB. It now stops waiting for the
    workers, writes all of that, and exits 4 (interrupted); Locust's counts equal InfluxDB's sums, and
    none exceeds what the target served."""
    target = Target(procs, go_bin["target"])
    master, _workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=60,
                                            extra=("--threshold", "fail_ratio<50%"))
    traffic(target, 2)
    # the workers report every 3 s: a second Ctrl+C abandons the last reports, so the test needs one that
    # reached the master (shipped to InfluxDB each second) or there is nothing to count
    wait_until(lambda: exported_requests(influx) > 0, 30, "a first report shipped to InfluxDB")
    master.proc.signal(first)
    # The second Ctrl+C must come once the master has taken the first signal (its quitting listeners
    # say the test was cut short), not after a fixed 0.3 s: a master not scheduled by then took both
    # SIGINTs as one (the kernel keeps one pending signal of a kind), or SIGINT before SIGTERM.
    wait_until(lambda: "The test was interrupted at" in master.proc.log(), 30, "the master to take the first signal")
    master.proc.signal(signal.SIGINT)
    second = time.monotonic()
    assert master.proc.wait(30) == 4, master.proc.log()[-3000:]
    log = master.proc.log()
    assert time.monotonic() - second < 10, log[-3000:]
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-3000:]
    assert "Ctrl+C while stopping: no longer waiting for the workers' last reports" in log
    assert "Shutting down (exit code 4)" in log
    counted = {e["name"]: e["num_requests"] for e in json.loads(report.read_text())}
    run = the_run(influx)
    assert run["state"] == "stopped" and run["requests"] == sum(counted.values()) > 0, (run, counted)
    sums = sums_by_name(influx, run["run_id"])
    served = target.counts()
    for name, key in NAMES.items():
        assert sums[name][0] == counted[name] <= served[key], (name, sums[name], counted[name], served[key])


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_a_sigterm_while_stopping_leaves_the_stop_to_the_first_signal(procs, go_bin, influx, tmp_path, first):
    """A SIGTERM (a supervisor or CI job repeating it) while the master stopped ran Locust's shutdown
    a second time beside the first: the final write to InfluxDB twice (an IndexError in the writer, points
    counted twice), "Shutting down" twice. The stop now belongs to the first signal: the drain still
    waits for the workers' last reports, everything is written once, and every count is exact."""
    target = Target(procs, go_bin["target"])
    master, _workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=60,
                                            extra=("--threshold", "fail_ratio<50%"))
    traffic(target, 2)
    master.proc.signal(first)
    wait_until(lambda: "The test was interrupted at" in master.proc.log(), 30, "the master to take the first signal")
    master.proc.signal(signal.SIGTERM)
    assert master.proc.wait(30) == 4, master.proc.log()[-3000:]
    log = master.proc.log()
    assert "Traceback" not in log and "Uncaught exception" not in log, log[-3000:]
    assert log.count("Shutting down (exit code 4)") == 1, log[-3000:]
    assert "Asked to stop again while stopping (SIGTERM): the stop under way goes on" in log, log[-3000:]
    assert "Drained 2 worker(s)" in log
    check_exact(influx, target, report)


def test_a_third_ctrl_c_exits_at_once_while_the_final_write_hangs(procs, go_bin, influx, tmp_path):
    """When the stop is stuck elsewhere (here InfluxDB answering 30 s late to the final write), a third Ctrl+C
    exits at once with 4, saying what is lost; the second only hurried the stop."""
    proxy = FaultProxy(procs, influx.url)
    target = Target(procs, go_bin["target"])

    class Behind:  # the master writes through the proxy
        url = proxy.url
        database = influx.database

    master, _workers, _report = run_headless(procs, go_bin, target, Behind, tmp_path, seconds=60,
                                             extra=("--influxdb-timeout", "30"))
    traffic(target, 2)
    proxy.mode("slow/30")
    master.proc.signal(signal.SIGINT)
    wait_until(lambda: "Drained 2 worker(s)" in master.proc.log() or "Stopped without" in master.proc.log(), 20,
               "the drain")
    master.proc.signal(signal.SIGINT)
    wait_until(lambda: "Ctrl+C while stopping" in master.proc.log(), 30, "the second Ctrl+C's message")
    assert master.proc.alive(), master.proc.log()[-3000:]  # the final write still waits
    master.proc.signal(signal.SIGINT)
    third = time.monotonic()
    assert master.proc.wait(10) == 4, master.proc.log()[-3000:]
    assert time.monotonic() - third < 3
    log = master.proc.log()
    assert "Ctrl+C a third time: exiting at once (exit code 4); points not yet written to InfluxDB or the spool " \
           "are lost" in log
    assert "Traceback" not in log, log[-3000:]


def test_a_worker_stopped_with_a_request_in_hand_needs_more_than_the_report_wait(procs, go_bin, tmp_path):
    """What Kubernetes' grace period must cover (docs/kubernetes.md, the chart's minimum): SIGTERM lets a
    user finish its request in hand before the worker waits up to 7 s for its last report, so a worker whose
    request takes 8 s stops after more than 8 s (values.yaml said 7 s in all), within the chart's minimum,
    with that request counted."""
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("tasks:\n  - {name: slow, path: /delay/8000}\n")
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "-u", "1", "-r", "1", "-t", "60s", "--expect-workers", "1",
                    "--json-file", str(report.with_suffix("")), "-H", target.url)
    worker = start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url)
    wait_until(master.ramp_up_end, 30, "the user to start")
    time.sleep(1)  # its first request is in hand
    worker.signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert worker.wait(40) == 0, worker.log()[-2000:]
    took = time.monotonic() - stopped
    assert 7 < took < stopping_worker_needs(), (took, worker.log()[-2000:])
    assert "the users' last requests are reported" in worker.log()
    assert master.proc.wait(30) in (0, 1), master.proc.log()[-3000:]
    counted = {e["name"]: e["num_requests"] for e in json.loads(report.read_text())}
    assert counted["slow"] == target.counts()["GET /delay/8000"] == 1, (counted, target.counts())
