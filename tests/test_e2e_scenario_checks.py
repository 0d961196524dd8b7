"""End to end, one run shared by every case: a real master (web UI, exporting to a real InfluxDB),
two Go workers and the counting target. One worker runs a closed-model flow with templated and
non-fatal checks, a loop over the ids a page returned, a loop of a count and ifs; the other runs
the open model with a new visitor per task (arrival.session: task) against the target's login,
which refuses a token and a session cookie of different logins.

Locust's counts must equal what the target served, per endpoint and in total (non-fatal checks add
no rows), and the non-fatal checks' passes and fails must be exactly what the served requests
imply, on the master (its end-of-test table and the web UI's Checks tab, in Chromium too) and in
InfluxDB. The target counts the item and ping requests per loop index (a label in the path), which
is how the test knows how many passed each check."""

from __future__ import annotations

import re
import subprocess

import pytest

from harness.chromium import Chromium
from harness.exported import the_run
from harness.influxd import InfluxServer, rows
from harness.parts import Master, Target, start_worker, workers_of
from harness.procs import VENV_BIN, Procs, get_json, wait_until
from py_bridge.fake_worker import FakeWorker

pytestmark = pytest.mark.e2e

USERS = 4  # the run's, shared by the two workers
ACCOUNTS = "user,password\n" + "".join(f"u{i},pw-u{i}\n" for i in range(5))

FLOW = """
wait: {constant: 10ms}
tasks:
  - name: flow
    steps:
      - name: list
        path: /list/3
        extract: {ids: {json: "$.items[*].id"}}
        check:
          - {json: $.items, length: 3}
          - {json: "$.items[*].id", contains: i1, fatal: false, name: has i1}
      - loop: {over: ids, as: id}
        steps:
          - name: item
            path: "/answer/item-{{ loop_index }}"
            query: {body: '{"id":"{{ id }}","n":{{ loop_index }}}'}
            check:
              - {json: $.id, equals: "{{ id }}"}
              - {json: $.n, lt: 1, fatal: false, name: first}
      - name: garbage
        path: /answer/garbage
        query: {body: '{"a":1}garbage'}
        check: [{json: $.a, fatal: false}]
      - loop: {count: 2}
        steps:
          - name: ping
            path: "/answer/ping-{{ loop_index }}"
            query: {header: "X-Remaining: {{ loop_index }}"}
            check: [{header: X-Remaining, gt: 0, fatal: false}]
      - if: {var: ids, length: 3}
        steps: [{name: many, path: /answer/many}]
        else: [{name: few, path: /answer/few}]
      - if: {var: ids, contains: i9}
        steps: [{name: never, path: /answer/never}]
"""

VISITORS = """
arrival: {rate: 10/s, session: task}
data:
  accounts: {csv: accounts.csv}
on_start:
  - name: visitor login
    method: POST
    path: /login
    json: {user: "{{ accounts.user }}", password: "{{ accounts.password }}"}
    extract: {token: {json: $.token}}
tasks:
  - name: visit
    steps:
      - name: visitor items
        path: /items
        headers: {Authorization: "Bearer {{ token }}"}
        extract: {item: {json: "$.items[0].id"}}
      - name: visitor item
        path: "/items/{{ item }}"
        headers: {Authorization: "Bearer {{ token }}"}
        check:
          - {json: $.id, equals: "{{ item }}"}
          - {json: $.owner, equals: "{{ accounts.user }}", fatal: false, name: owner}
"""

# Locust's rows and the target's routes they must equal; the item and ping rows are served under
# a route per loop index.
ROUTES = {
    ("GET", "list"): ["GET /list/3"],
    ("GET", "item"): ["GET /answer/item-0", "GET /answer/item-1", "GET /answer/item-2"],
    ("GET", "garbage"): ["GET /answer/garbage"],
    ("GET", "ping"): ["GET /answer/ping-0", "GET /answer/ping-1"],
    ("GET", "many"): ["GET /answer/many"],
    ("POST", "visitor login"): ["POST /login"],
    ("GET", "visitor items"): ["GET /items"],
    ("GET", "visitor item"): ["GET /items/{id}"],
}


def expected_checks(served: dict[str, int]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(method, name, check) -> (passes, fails), as the served requests imply."""
    return {
        ("GET", "list", "has i1"): (served["GET /list/3"], 0),
        ("GET", "item", "first"): (served["GET /answer/item-0"],
                                   served["GET /answer/item-1"] + served["GET /answer/item-2"]),
        ("GET", "garbage", "json $.a"): (0, served["GET /answer/garbage"]),
        ("GET", "ping", "header X-Remaining gt 0"): (served["GET /answer/ping-1"], served["GET /answer/ping-0"]),
        ("GET", "visitor item", "owner"): (served["GET /items/{id}"], 0),
    }


@pytest.fixture(scope="module")
def run(go_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("scenario-checks")
    (work / "flow.yaml").write_text(FLOW)
    (work / "visitors.yaml").write_text(VISITORS)
    (work / "accounts.csv").write_text(ACCOUNTS)
    procs = Procs(work)
    influx = InfluxServer(work / "influxdb")
    try:
        influx.start()
        target = Target(procs, go_bin["target"])
        master = Master(procs, "-H", target.url, "--influxdb-url", influx.url, "--influxdb-interval", "1",
                        "--spool-dir", str(work / "spool"))
        for name in ("flow", "visitors"):
            start_worker(procs, go_bin["worker"], master.port, "--scenario", str(work / f"{name}.yaml"),
                         "--target", target.url, name=name)
        wait_until(lambda: len(workers_of(master.web)) == 2, 30, "both workers to join")
        master.swarm(USERS, target.url, spawn_rate=USERS, run_time="6s")
        wait_until(lambda: get_json(master.web + "/stats/requests")["state"] == "stopped", 60,
                   "the run (6 s) and its drain to end")
        stats = get_json(master.web + "/stats/requests")
        # a peer that never registered sends counts, a registered one a malformed message: refused
        stranger, broken = FakeWorker("127.0.0.1", master.port), FakeWorker("127.0.0.1", master.port)
        try:
            stranger.send("fleet:checks", [["GET", "list", "has i1", 1000, 0]])
            broken.send("client_ready", -1)
            broken.pump(10, until=lambda: "ack" in broken.types())
            broken.send("fleet:checks", [["GET", "list", "has i1", -5, 0]])
            wait_until(lambda: f"Rejected a message from {stranger.node}: fleet:checks from a peer that is not a "
                               "registered worker" in master.proc.log()
                       and "fleet:checks from pybridge-fake-worker" in master.proc.log(), 30, "the master to refuse both")
        finally:
            stranger.close()
            broken.close()
        with Chromium(work / "chromium") as browser:
            browser.open(master.web + "/?tab=checks")
            page = wait_until(lambda: "has i1" in (text := browser.evaluate("document.body.innerText")) and text,
                              30, "the Checks tab to show the checks")
        yield {"served": target.counts(), "stats": stats, "log": master.proc.log(), "influx": influx,
               "stats_after_peer": get_json(master.web + "/stats/requests"),
               "refusals": get_json(target.url + "/_refusals"), "logins": get_json(target.url + "/_logins"),
               "page": page}
    except BaseException:
        print(procs.logs())
        raise
    finally:
        procs.stop_all()
        influx.close()


def test_locust_counts_what_the_target_served_and_checks_add_no_rows(run):
    served, stats = run["served"], run["stats"]
    entries = {(e["method"], e["name"]): e for e in stats["stats"] if e["name"] != "Aggregated"}
    arrivals = {k: e for k, e in entries.items() if k[0] == "ARRIVAL"}  # visits the open model could not start
    assert set(entries) - set(arrivals) == set(ROUTES), sorted(entries)
    for key, routes in ROUTES.items():
        assert entries[key]["num_requests"] == sum(served[r] for r in routes) > 0, (key, entries[key], served)
        assert entries[key]["num_failures"] == 0, entries[key]
    assert not any(k in served for k in ("GET /answer/few", "GET /answer/never"))
    total = next(e for e in stats["stats"] if e["name"] == "Aggregated")
    not_started = sum(e["num_requests"] for e in arrivals.values())
    assert total["num_requests"] == sum(served.values()) + not_started, (total, served, arrivals)
    assert total["num_failures"] == not_started


def test_loops_run_per_element_and_count(run):
    served = run["served"]
    # The flow's requests in order: each loop ran once per element (3 ids) and per count (2). A flow
    # runs to its end, but a user being stopped (the run time is up) ends it before a loop's next
    # run (docs/scenario.md, "Stopping"): each of the run's users leaves one flow short at most.
    order = ["GET /list/3", "GET /answer/item-0", "GET /answer/item-1", "GET /answer/item-2", "GET /answer/garbage",
             "GET /answer/ping-0", "GET /answer/ping-1", "GET /answer/many"]
    counts = [served.get(route, 0) for route in order]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0, dict(zip(order, counts))
    assert counts[0] - counts[-1] <= USERS, dict(zip(order, counts))


def test_every_visitor_logs_in_with_fresh_cookies(run):
    served = run["served"]
    # Each visit logs in, then lists and fetches an item; a visit the stop finds between its steps
    # ends there (docs/scenario.md, "Stopping") and logs out: the run's end may cut the few visits
    # in flight, one per user at most at these rates (10 visits/s of a few ms each).
    logins, lists, items = served["POST /login"], served["GET /items"], served["GET /items/{id}"]
    assert logins >= lists >= items > 10 and logins - items <= USERS, served
    assert run["refusals"] == {}  # no request carried another visitor's token or cookie
    assert len(run["logins"]) == 5 and sum(run["logins"].values()) == served["POST /login"]  # rows drawn anew


def test_non_fatal_checks_on_the_master(run):
    want = expected_checks(run["served"])
    table = re.search(r"Checks \(non-fatal.*?\n(.*?)\n-+\n(.*?)\n-+\n(.*?)\n", run["log"], re.S)
    assert table, run["log"][-3000:]
    got = {}
    for line in table.group(2).splitlines():
        method, rest = line.split(None, 1)
        name_check, passes, fails, _ = rest.rsplit(None, 3)
        got[(method, *re.split(r"\s{2,}", name_check.strip()))] = (int(passes), int(fails))
    assert got == want
    total = table.group(3).split()
    assert total[0] == "Aggregated" and int(total[1]) == sum(p for p, _ in want.values())
    assert int(total[2]) == sum(f for _, f in want.values())


def test_non_fatal_checks_in_the_web_ui(run):
    want = expected_checks(run["served"])
    [tab] = [t for t in run["stats"]["extended_stats"] if t["key"] == "checks"]
    got = {(r["method"], r["name"], r["check"]): (r["passes"], r["fails"]) for r in tab["data"]}
    assert got == want
    page = run["page"]
    for (_, name, check), (passes, fails) in want.items():
        assert check in page and name in page, (check, page)
    assert str(want[("GET", "list", "has i1")][0]) in page


def test_counts_from_a_peer_that_is_not_a_worker_are_refused(run):
    assert run["stats_after_peer"]["extended_stats"] == run["stats"]["extended_stats"]
    refused = [line.split(": ", 2)[-1] for line in run["log"].splitlines()
               if "fleet:checks from pybridge-fake-worker" in line]
    assert refused == [
        "row 0: got ['GET', 'list', 'has i1', -5, 0]; expected passes and fails as whole numbers >= 0 "
        "(its further bad messages are not logged)"], refused
    strangers = [line for line in run["log"].splitlines() if "fleet:checks from a peer that is not a registered" in line]
    assert len(strangers) == 1, strangers  # refused before the checks see it (inbound.py)


def test_non_fatal_checks_in_influxdb(run):
    influx = run["influx"]
    want = expected_checks(run["served"])
    run_id = the_run(influx)["run_id"]
    points = rows(influx.query(f"SELECT * FROM locust_checks WHERE run_id = '{run_id}'"))
    got = {(p["method"], p["name"], p["check"]): (p["passes"], p["fails"]) for p in points}
    assert got == want
    for p in points:
        total = p["passes"] + p["fails"]
        assert p["pass_ratio"] == pytest.approx(p["passes"] / total if total else 0.0)


def test_non_fatal_checks_in_the_run_report(run, tmp_path):
    influx = run["influx"]
    want = expected_checks(run["served"])
    out = tmp_path / "report.html"
    result = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "report", the_run(influx)["run_id"], "-o", str(out),
                             "--influxdb-url", influx.url], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    table = re.search(r'<table id="checks">.*?<tbody>(.*?)</tbody>', out.read_text()).group(1)
    got = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table):
        method, name, check, passes, fails, percent = re.findall(r"<td>(.*?)</td>", row)
        got[(method, name, check)] = (int(passes), int(fails))
        total = int(passes) + int(fails)
        assert percent == (f"{100 * int(passes) / total:.2f}" if total else "—")
    assert got == want


def test_check_mode_validates_without_connecting(go_bin, tmp_path):
    (tmp_path / "flow.yaml").write_text(FLOW)
    (tmp_path / "bad.yaml").write_text(FLOW.replace("lt: 1", "lt: one").replace("count: 2", "count: 0"))
    # port 1: nothing listens there; a worker that tried to connect would wait for its master
    base = [str(go_bin["worker"]), "--master-host", "127.0.0.1", "--master-port", "1", "--check"]
    ok = subprocess.run([*base, "--scenario", str(tmp_path / "flow.yaml"), "--target", "http://127.0.0.1:9"],
                        capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{tmp_path / 'flow.yaml'}: OK\n  host: http://127.0.0.1:9 (--target)\n"), ok.stdout
    assert "requests (Locust's rows): GET list, GET item, GET garbage, GET ping, GET many, GET few, GET never" in ok.stdout
    assert "checks: 2 fatal, 4 non-fatal" in ok.stdout
    bad = subprocess.run([*base, "--scenario", str(tmp_path / "bad.yaml")], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [  # every mistake at once
        f'worker: {tmp_path / "bad.yaml"}: host: missing; set host in the scenario or pass --target URL',
        f'{tmp_path / "bad.yaml"}: line 19: tasks[0].steps[1].steps[0].check[1].lt: '
        'lt "one": expected a number (or a template that renders one)',
        f'{tmp_path / "bad.yaml"}: line 24: tasks[0].steps[3].loop.count: got "0"; '
        'expected a whole number > 0 of runs of the steps',
    ]
