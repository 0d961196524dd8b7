"""End to end with real processes: the Locust master, Go workers and a counting HTTP target."""

from __future__ import annotations

import json
import signal
import time
import urllib.parse
import urllib.request

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO, wait_until

pytestmark = pytest.mark.e2e
SCENARIO = str(REPO / "tests" / "scenarios" / "three_endpoints.yaml")
# target's "METHOD path" key for each scenario request name
ENDPOINTS = {"home": ("GET", "/"), "items": ("POST", "/items"), "broken": ("GET", "/status/503")}


def entries_by_name(stats: list[dict]) -> dict[str, dict]:
    return {e["name"]: e for e in stats}


def assert_counts_match(entries: dict[str, dict], served: dict[str, int]) -> None:
    for name, (method, path) in ENDPOINTS.items():
        want = served.get(f"{method} {path}", 0)
        assert want > 0, f"the target served no {method} {path}: {served}"
        assert entries[name]["num_requests"] == want, (name, entries[name]["num_requests"], want)
        want_failures = want if name == "broken" else 0
        assert entries[name]["num_failures"] == want_failures, (name, entries[name]["num_failures"])


def test_headless_run_counts_exactly_what_the_target_served(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "-u", "20", "-r", "20", "-t", "6s", "--expect-workers", "2",
                    "--json-file", str(report.with_suffix("")), "-H", target.url)
    workers = [start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                     name=f"worker{i}")
               for i in range(2)]

    assert master.proc.wait(90) in (0, 1), master.proc.log()[-3000:]  # 1: the failing endpoint
    for w in workers:
        assert w.wait(15) == 0, f"{w.name} did not exit 0 after the master's quit:\n{w.log()[-2000:]}"

    entries = entries_by_name(json.loads(report.read_text()))
    served = target.counts()
    assert_counts_match(entries, served)
    assert sum(e["num_requests"] for e in entries.values()) == sum(served.values())
    assert "Drained 2 worker(s)" in master.proc.log()


def test_web_ui_stop_and_start_again_counts_each_run(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url)
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 20, "2 workers in the master's list")

    for run in range(2):
        target.reset()
        master.swarm(10, target.url, spawn_rate=10)
        wait_until(lambda: master.stats()["state"] == "running", 20, f"run {run} to be running")
        time.sleep(4)
        master.stop()
        wait_until(lambda: master.stats()["state"] == "stopped", 30, f"run {run} to stop")
        entries = entries_by_name([e for e in master.stats()["stats"] if e["name"] != "Aggregated"])
        assert_counts_match(entries, target.counts())
        wait_until(lambda: len(master.workers()) == 2 and all(w["state"] == "ready" for w in master.workers()),
                   20, "both workers ready again")


def test_the_web_ui_refuses_a_user_count_a_spawn_message_cannot_carry(procs, go_bin):
    # Locust took 99999999999999999999 users, failed to encode its spawn message and retried it in the
    # background (after 1, 3 and 5 s): after the stop, a retry reached a worker with users that no
    # stop reached, while the master said stopped. Now the form is refused, as Locust refuses others.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url)
    start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    wait_until(lambda: len(master.workers()) == 1, 20, "the worker in the master's list")
    for value in ("99999999999999999999", "-1"):
        form = urllib.parse.urlencode({"user_count": value, "spawn_rate": 1, "host": target.url}).encode()
        answer = json.loads(urllib.request.urlopen(master.web + "/swarm", data=form, timeout=10).read())
        assert answer["success"] is False, answer
        assert answer["message"] == (f"user_count: got '{value}'; expected a whole number of users from 0 to "
                                     "9223372036854775807"), answer
    master.stop()
    time.sleep(10)  # longer than Locust's retries of a spawn message
    assert sum(target.counts().values()) == 0 and [w["user_count"] for w in master.workers()] == [0]
    master.swarm(2, target.url)  # a count that fits still starts, and stops
    wait_until(lambda: master.stats().get("user_count") == 2, 20, "2 users")
    master.stop()
    wait_until(lambda: master.stats()["state"] == "stopped", 20, "the test to stop")
    assert "Traceback" not in master.proc.log()


def test_killed_worker_is_marked_missing_and_the_test_goes_on(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", "14s", "--expect-workers", "2",
                    "-H", target.url)
    workers = [start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"worker{i}")
               for i in range(2)]
    wait_until(lambda: sum(target.counts().values()) > 0, 20, "traffic at the target")
    time.sleep(2)
    workers[0].signal(signal.SIGKILL)
    wait_until(lambda: "failed to send heartbeat, setting state to missing" in master.proc.log(), 30,
               "the master to mark the killed worker missing")
    served_then = sum(target.counts().values())
    # Polled, not a fixed 2 s: on a loaded machine the missing mark can come late in the 14 s run.
    wait_until(lambda: sum(target.counts().values()) > served_then, 30,
               "traffic to go on after one of two workers died")
    master.proc.wait(60)
    assert workers[1].wait(15) == 0
    assert "Drained 1 worker(s)" in master.proc.log()


def test_workers_exit_nonzero_when_the_master_dies(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url)
    workers = [start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"worker{i}")
               for i in range(2)]
    wait_until(lambda: len(master.workers()) == 2, 20, "2 workers in the master's list")
    master.proc.signal(signal.SIGKILL)
    started = time.monotonic()
    for w in workers:
        assert w.wait(70) == 1, w.log()[-2000:]
    assert time.monotonic() - started < 70
    assert "lost the master at 127.0.0.1:" in workers[0].log()


def test_worker_with_bad_scenario_exits_2_before_connecting(procs, go_bin, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("host: http://127.0.0.1:1\nrequests:\n  - path: /\n    weight: 0\n")
    worker = start_worker(procs, go_bin["worker"], 1, "--scenario", str(bad))
    assert worker.wait(10) == 2
    assert f'{bad}: line 4: requests[0].weight: got "0"; expected a whole number > 0' in worker.log()


def test_fractional_spawn_rate_reaches_the_target_user_count(procs, go_bin):
    # Ramp-up steps come faster than once a second; every step must reach the Go workers.
    # The ramp-up takes 6.7 s, then Locust waits for the workers' counts (1 s unless told; 10 here, as
    # a loaded machine can answer late: a step that never reached them still leaves the count short).
    # The test ends once Locust has said how the ramp-up ended, not at a run time of 9 s, which a
    # loaded machine could reach first.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "10", "-r", "1.5", "-t", "60s", "--expect-workers", "2",
                    "-H", target.url, env={"LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP": "10"})
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"worker{i}")
    ended = wait_until(master.ramp_up_end, 60, "the ramp-up's end")
    assert ended.group(0) == 'All users spawned: {"GoWorkerUser": 10} (10 total users)', master.proc.log()[-3000:]
    master.proc.signal(signal.SIGTERM)
    assert master.proc.wait(30) == 0, master.proc.log()[-3000:]


def test_mixed_fleet_go_and_python_workers_count_exactly(procs, go_bin, tmp_path):
    # --stop-timeout lets Python users finish the request in hand when the drain stops them;
    # without one Locust kills them mid-request and does not count what the target served.
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", "6s", "--expect-workers", "2", "-s", "5",
                    "--json-file", str(report.with_suffix("")), "-H", target.url)
    go = start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                      name="go-worker")
    py = procs.start("python-worker", [str(REPO / ".venv" / "bin" / "locust"), "-f",
                                       str(REPO / "tests" / "locustfiles" / "python_worker.py"), "--worker",
                                       "--master-host", "127.0.0.1", "--master-port", str(master.port)])
    master.proc.wait(90)
    assert go.wait(15) == 0 and py.wait(15) == 0
    entries = entries_by_name(json.loads(report.read_text()))
    assert_counts_match(entries, target.counts())
