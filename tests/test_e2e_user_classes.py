"""A master locustfile with two user classes and a Go worker that has one of them. Locust's
dispatcher hands every worker a share of every class; the Go worker ran the other class's share
as its own users and reported them as that class running. Now it runs its class's users only,
reports the others as 0 (the master's user count is the users that run) and says so once per test
in Locust's failures and its own log; the target served exactly what Locust counts."""

from __future__ import annotations

import csv
import json
import re
import urllib.parse
import urllib.request

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO, wait_until

pytestmark = pytest.mark.e2e

TWO_CLASSES = str(REPO / "tests" / "locustfiles" / "two_classes.py")
SCENARIO = str(REPO / "tests" / "scenarios" / "three_endpoints.yaml")
ROUTES = {("GET", "home"): "GET /", ("POST", "items"): "POST /items", ("GET", "broken"): "GET /status/503"}


def run(procs, go_bin, tmp_path, *master_args: str, worker_args: tuple[str, ...] = ()):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "-f", TWO_CLASSES, "--headless", "-u", "6", "-r", "6", "-t", "3s", "--expect-workers", "1",
                    "--json-file", str(report), "--csv", str(report), "-H", target.url, *master_args)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", target.url, "--scenario", SCENARIO,
                          *worker_args)
    master.proc.wait(60)
    assert worker.wait(15) == 0, worker.log()[-2000:]
    entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
    with open(f"{report}_failures.csv") as f:
        failures = {(r["Method"], r["Name"]): (r["Error"], int(r["Occurrences"])) for r in csv.DictReader(f)}
    return target, master, worker, entries, failures


def spawned(master_log: str) -> list[str]:
    """The users the master logs as running once spawning is done. Locust compares the workers'
    reported users with what it dispatched, so it says "Spawning is complete and report waittime
    is expired, but not all reports received from workers" (after about a second) rather than
    "All users spawned"."""
    return re.findall(r'(\{"BrowserUser": .*\(\d+ total users\))', master_log)


def test_a_go_worker_runs_only_its_class_and_says_what_it_left(procs, go_bin, tmp_path):
    target, master, worker, entries, failures = run(procs, go_bin, tmp_path)
    reason, times = failures[("USER", "user classes")]
    assert times == 1
    assert reason == ('the master asks this worker for users of "BrowserUser", which it does not run: they are not '
                      'started (Locust shows the users that run); it runs "GoWorkerUser" (--user-class). Give the Go '
                      "workers' class alone to their master (or pick it alone in the web UI)")
    assert 'for user class "GoWorkerUser" (--user-class)' in worker.log()  # said when it starts
    assert "users not started: 3 of BrowserUser" in worker.log()
    # the master's user count: the 3 users that ran, not 6
    assert spawned(master.proc.log())[-1] == '{"BrowserUser": 0, "GoWorkerUser": 3} (3 total users)', \
        spawned(master.proc.log())
    served = target.counts()
    assert {ROUTES[k]: e["num_requests"] for k, e in entries.items() if k in ROUTES} == served
    assert ("GET", "python home") not in entries


def test_the_class_a_worker_runs_is_named_by_user_class(procs, go_bin, tmp_path):
    target, master, worker, entries, failures = run(procs, go_bin, tmp_path,
                                                    worker_args=("--user-class", "BrowserUser"))
    assert failures[("USER", "user classes")][0].startswith('the master asks this worker for users of "GoWorkerUser"')
    assert spawned(master.proc.log())[-1] == '{"BrowserUser": 3, "GoWorkerUser": 0} (3 total users)'
    assert {ROUTES[k]: e["num_requests"] for k, e in entries.items() if k in ROUTES} == target.counts()


def test_a_class_picked_in_the_web_ui_that_no_go_worker_runs_is_said_in_its_failures(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-f", TWO_CLASSES, "--class-picker", "-H", target.url)
    start_worker(procs, go_bin["worker"], master.port, "--target", target.url, "--scenario", SCENARIO)
    wait_until(lambda: len(master.workers()) == 1, 30, "the worker to join")
    form = urllib.parse.urlencode([("user_count", 4), ("spawn_rate", 4), ("host", target.url),
                                   ("user_classes", "BrowserUser")]).encode()
    urllib.request.urlopen(master.web + "/swarm", data=form, timeout=10).read()
    stats = wait_until(lambda: (s := master.stats())["errors"] and s, 15, "a failure in the web UI")
    master.stop()
    assert [(e["method"], e["name"]) for e in stats["errors"]] == [("USER", "user classes")]
    assert stats["errors"][0]["error"].startswith('the master asks this worker for users of "BrowserUser"')
    assert stats["user_count"] == 0 and target.counts() == {}
