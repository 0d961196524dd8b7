"""End to end with the acceptance scenario of docs/scenario.md (workers-go/examples/scenarios/flow.yaml)
exactly as written: a real master, two Go workers and the counting target, which refuses any request
carrying another login's token, cookie or item. Locust's per-step counts must equal what the target
served, every account must log in once, and users must pace themselves by the scenario's waits."""

from __future__ import annotations

import json

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO, Procs, get_json

pytestmark = pytest.mark.e2e

SCENARIO = REPO / "workers-go" / "examples" / "scenarios" / "flow.yaml"
USERS = 20
SECONDS = 8
# Per iteration: browse (weight 3) is two fast requests around a 50 ms think, home (weight 1) one
# fast request; then a wait drawn from 100-300 ms (mean 200 ms). Requests take about 1 ms here.
MEAN_ITERATION_S = 0.75 * (0.050 + 0.002) + 0.25 * 0.001 + 0.200


@pytest.fixture(scope="module")
def scenario_run(go_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("scenario-flow")
    procs = Procs(work)
    try:
        target = Target(procs, go_bin["target"])
        report = work / "stats"
        master = Master(procs, "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s",
                        "--expect-workers", "2", "--json-file", str(report), "-H", target.url)
        workers = [start_worker(procs, go_bin["worker"], master.port, "--scenario", str(SCENARIO),
                                "--target", target.url, name=f"worker{i}") for i in range(2)]
        assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
        for w in workers:
            assert w.wait(15) == 0, w.log()[-2000:]
        entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
        yield entries, target
    finally:
        procs.stop_all()


def test_every_step_is_counted_as_the_target_served_it(scenario_run):
    entries, target = scenario_run
    served = target.counts()
    steps = {("POST", "login"): "POST /login", ("GET", "items"): "GET /items",
             ("GET", "item"): "GET /items/{id}", ("GET", "home"): "GET /"}
    assert set(entries) == set(steps), sorted(entries)
    for key, route in steps.items():
        assert entries[key]["num_requests"] == served[route] > 0, (key, entries[key]["num_requests"], served)
        assert entries[key]["num_failures"] == 0, entries[key]


def test_no_request_is_refused_and_each_account_logs_in_once(scenario_run):
    _, target = scenario_run
    assert get_json(target.url + "/_refusals") == {}
    # mode: unique over the fleet: user numbers 0..19 from the master, rows user-0..user-19
    assert get_json(target.url + "/_logins") == {f"user-{n}": 1 for n in range(USERS)}


def test_users_pace_themselves_by_the_wait_and_think_times(scenario_run):
    entries, _ = scenario_run
    iterations = entries[("GET", "items")]["num_requests"] + entries[("GET", "home")]["num_requests"]
    # All users start at once and run for --run-time (boomer's timestamps are whole seconds, too
    # coarse to measure 8 s by). Without the waits a user would run hundreds of iterations a
    # second; with them, about 4.
    expected = USERS * SECONDS / MEAN_ITERATION_S
    assert 0.8 * expected <= iterations <= 1.15 * expected, (iterations, expected)


def test_the_readmes_scenario_runs_against_the_demo_target(go_bin, tmp_path):
    """The README's first scenario, as written (its host is the demo target's address): every
    user logs in and browses without a failure. Its login sent no password, and every user's
    on_start failed with 401."""
    text = (REPO / "README.md").read_text()
    scenario = tmp_path / "readme.yaml"
    scenario.write_text(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    procs = Procs(tmp_path)
    try:
        target = Target(procs, go_bin["target"])
        report = tmp_path / "stats"
        master = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "3s", "--expect-workers", "1",
                        "--json-file", str(report), "-H", target.url)
        worker = start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario),
                              "--target", target.url)
        assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
        assert worker.wait(15) == 0, worker.log()[-2000:]
        entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
        served = target.counts()
        assert get_json(target.url + "/_refusals") == {}
    finally:
        procs.stop_all()
    steps = {("POST", "login"): "POST /login", ("GET", "/items"): "GET /items", ("GET", "home"): "GET /"}
    assert set(entries) == set(steps), sorted(entries)
    for key, route in steps.items():
        assert entries[key]["num_requests"] == served[route] > 0, (key, entries[key], served)
        assert entries[key]["num_failures"] == 0, entries[key]
