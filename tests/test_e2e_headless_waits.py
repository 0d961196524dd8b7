"""A headless master never waits forever for its workers: it runs the test when enough are there,
or exits non-zero saying why."""

from __future__ import annotations

import signal
import time

import pytest

from harness.parts import Master, Target, start_worker
from py_bridge.fake_worker import FakeWorker
from harness.procs import REPO, wait_until

pytestmark = pytest.mark.e2e


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
    master = Master(procs, "--headless", "--expect-workers", "2", "-f", shape, env={"SHAPE_STEPS": "4x3"})
    wait_until(lambda: "Starting Locust" in master.proc.log(), 20, "the master to start")
    time.sleep(1)
    master.proc.signal(signal.SIGTERM)
    assert master.proc.wait(10) != 0


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
