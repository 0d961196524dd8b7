"""A headless master never waits forever for its workers: it runs the test when enough are there,
or exits non-zero saying why."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from harness.exported import influx_args
from harness.parts import Master, Target, start_worker
from py_bridge.fake_worker import FakeWorker
from harness.procs import REPO, wait_until

pytestmark = pytest.mark.e2e
WAITING = "Waiting for workers to be ready"  # Locust logs it each second of the wait (at DEBUG the first 5 s)


def test_a_worker_that_quits_before_the_test_is_forgotten_and_the_test_runs(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "3s", "--expect-workers", "2", "-H", target.url)
    early = start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name="early")
    wait_until(lambda: "reported as ready. 1 workers connected" in master.proc.log(), 20, "the first worker")
    early.signal(signal.SIGTERM)  # boomer sends quit: a pod restarted before the test
    assert early.wait(10) == 0, early.log()[-2000:]
    wait_until(lambda: "quit before the test started" in master.proc.log(), 30, "the master to forget it")
    time.sleep(1)
    assert master.proc.alive(), master.proc.log()[-3000:]
    late = [start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"late{i}")
            for i in range(2)]
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    assert "Drained 2 worker(s)" in master.proc.log()
    assert sum(target.counts().values()) > 0
    for w in late:
        assert w.wait(15) == 0


@pytest.mark.parametrize("sig,rate", [(signal.SIGSTOP, "4"), (signal.SIGKILL, "0.5")],
                         ids=["frozen", "killed-while-spawning"])
def test_a_headless_test_whose_last_worker_went_missing_exits_1(procs, go_bin, sig, rate):
    # Without a run time Locust would stop the test and idle forever.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "4", "-r", rate, "--expect-workers", "1", "-H", target.url)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    wait_until(lambda: sum(target.counts().values()) > 0, 20, "traffic at the target")
    worker.signal(sig)
    assert master.proc.wait(30) == 1, master.proc.log()[-3000:]
    assert "Every worker went missing (no heartbeat for 3 s); the headless test cannot go on" in master.proc.log()
    worker.signal(signal.SIGCONT)


def test_sigterm_ends_a_headless_shape_master_still_waiting_for_workers(procs, tmp_path):
    shape = str(REPO / "tests" / "locustfiles" / "stepped_shape.py")
    master = Master(procs, "--headless", "--expect-workers", "2", "-f", shape, "-L", "DEBUG",
                    env={"SHAPE_STEPS": "4x3"})
    wait_until(lambda: WAITING in master.proc.log(), 20, "the master to wait for its workers")
    master.proc.signal(signal.SIGTERM)
    assert master.proc.wait(10) == 4
    assert "SIGTERM while waiting for the workers (0 of 2 connected): no test ran" in master.proc.log()


@pytest.mark.parametrize("mode, signals, workers", [
    ("--headless", (signal.SIGINT,), 0), ("--headless", (signal.SIGINT, signal.SIGINT), 1),
    ("--headless", (signal.SIGTERM,), 1), ("--autostart", (signal.SIGTERM,), 1), ("--autostart", (signal.SIGINT,), 0),
], ids=["ctrl-c-none-connected", "ctrl-c-twice-too-few", "sigterm-too-few", "autostart-sigterm", "autostart-ctrl-c"])
def test_a_signal_while_the_headless_master_waits_for_its_workers_exits_4_in_one_line(procs, go_bin, influx,
                                                                                     tmp_path, mode, signals, workers):
    """Ctrl+C ended the waiting master with Locust's traceback and SIGTERM killed it (-15), leaving
    the workers connected without a quit; with --autostart (the Locust operator's master) both
    exited 0 and wrote a JSON file without a test. Now: one line, exit code 4 (interrupted), the
    workers told to quit, nothing in InfluxDB, and no JSON, JUnit or HTML file, as no test ran (an
    earlier run's are removed at start)."""
    target = Target(procs, go_bin["target"])
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "stats.json").write_text("[]")  # an earlier run's
    (reports / "thresholds.xml").write_text("<testsuites/>")
    master = Master(procs, mode, "-u", "2", "-r", "2", "-t", "5s", "--expect-workers", "2", "-H", target.url,
                    "--json-file", str(reports / "stats"), "--csv", str(reports / "stats"),
                    "--html", str(reports / "report.html"), "--threshold", "fail_ratio<1%",
                    "--junit-xml", str(reports / "thresholds.xml"), *influx_args(influx, tmp_path), "-L", "DEBUG")
    joined = [start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"worker{i}")
              for i in range(workers)]
    wait_until(lambda: master.proc.log().count("reported as ready") == workers, 20, "the workers to join")
    wait_until(lambda: f"{WAITING}, {workers} of 2 connected" in master.proc.log(), 20, "the master to wait")
    for sig in signals:
        master.proc.signal(sig)
        time.sleep(0.1)
    assert master.proc.wait(15) == 4, master.proc.log()[-3000:]
    log = master.proc.log()
    name = "Ctrl+C" if signals[0] == signal.SIGINT else "SIGTERM" if mode == "--headless" else "Shutting down"
    assert f"{name} while waiting for the workers ({workers} of 2 connected): no test ran; exiting with code 4 " \
           "(interrupted)" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    if len(signals) == 2:
        assert "Ctrl+C again: the master is exiting (no test ran)" in log
    # Locust writes its CSV files from its start on: they say what ran, nothing
    assert sorted(p.name for p in reports.iterdir()) == [
        "stats_exceptions.csv", "stats_failures.csv", "stats_stats.csv", "stats_stats_history.csv"]
    assert (reports / "stats_stats.csv").read_text().splitlines()[1].startswith(",Aggregated,0,0,")
    assert influx.query("SHOW MEASUREMENTS") == []
    assert sum(target.counts().values()) == 0
    for worker in joined:
        assert worker.wait(10) == 0, worker.log()[-2000:]  # the master said quit


def test_a_forgotten_worker_that_comes_back_is_asked_to_reconnect(procs):
    # A worker the master removed after missing heartbeats sends heartbeats but no client_ready;
    # Locust would ignore it for good. Here a fake worker plays it.
    master = Master(procs)
    wait_until(lambda: "Starting Locust" in master.proc.log(), 20, "the master to start")
    worker = FakeWorker("127.0.0.1", master.port)
    try:
        worker.pump(8, until=lambda: "reconnect" in worker.types())
        assert "reconnect" in worker.types(), worker.types()
        worker.pump(3)
        assert worker.types().count("reconnect") == 1  # asked again only after RECONNECT_EVERY_S
    finally:
        worker.close()
    assert "is not registered (forgotten after missing its heartbeats?); asking it to reconnect" in master.proc.log()


def test_ctrl_c_while_the_master_checks_a_silent_influxdb_at_start_exits_4_in_one_line(procs, tmp_path):
    """The InfluxDB check at start waits up to --influxdb-timeout for /ping's answer: a Ctrl+C then
    ended the master with Locust's traceback, the plugin's handlers being installed after it."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    silent.settimeout(30)
    try:
        master = Master(procs, "--headless", "-u", "1", "-t", "5s", "--influxdb-url",
                        f"http://127.0.0.1:{silent.getsockname()[1]}", "--influxdb-timeout", "30",
                        "--spool-dir", str(tmp_path / "spool"))
        asked, _ = silent.accept()  # the master is in its check, waiting for an answer that never comes
        master.proc.signal(signal.SIGINT)
        assert master.proc.wait(15) == 4, master.proc.log()[-3000:]
        asked.close()
    finally:
        silent.close()
    log = master.proc.log()
    assert "Ctrl+C while waiting for the workers (0 of 1 connected): no test ran; exiting with code 4" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
