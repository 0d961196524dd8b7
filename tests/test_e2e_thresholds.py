"""Thresholds judged by a real master on the merged stats of two Go workers, against the counting
target's /share/ endpoints, whose failures and slow answers are an exact share of what it served
(tests/scenarios/shares.yaml): the figure of every threshold is checked against Locust's own
statistics (its JSON file, read back into Locust's own StatsEntry), the counts against what the
target served. One target serves every test of
the module (reset between them); each test has its own master and workers, since a master's exit
code is what a test checks."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from harness.chromium import Chromium
from harness.exported import influx_args
from harness.influxd import server_of, start_server
from harness.parts import Master, Target, start_worker
from harness.procs import REPO, VENV_BIN, Procs, wait_until
from locust_fleet.threshold_report import RAN_TO_ITS_END
from locust.stats import RequestStats, StatsEntry

pytestmark = pytest.mark.e2e
SCENARIO = str(REPO / "tests" / "scenarios" / "shares.yaml")
SCHEMA = xmlschema.XMLSchema(str(REPO / "tests" / "schemas" / "junit-10.xsd"))
ROUTES = {"/ok": "GET /share/ok", "/login": "POST /share/login", "/slow": "GET /share/slow"}


@pytest.fixture(scope="module")
def target(go_bin, tmp_path_factory):
    group = Procs(tmp_path_factory.mktemp("thresholds-target"))
    try:
        yield Target(group, go_bin["target"])
    finally:
        group.stop_all()


@pytest.fixture
def fresh_target(target):
    target.reset()
    return target


def headless(procs, go_bin, target, tmp_path, *args, env=None):
    master = Master(procs, "--headless", "--expect-workers", "2", "-u", "10", "-r", "10", "-H", target.url,
                    "--junit-xml", str(tmp_path / "junit" / "thresholds.xml"), *args, env=env)
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                     name=f"worker{i}")
    return master


def locust_stats(tmp_path) -> RequestStats:
    """Locust's final statistics (--json-file), as the master held them, total included."""
    stats = RequestStats()
    for data in json.loads((tmp_path / "stats.json").read_text()):
        for key in ("response_times", "num_reqs_per_sec", "num_fail_per_sec"):  # JSON made the keys text
            data[key] = {int(k): v for k, v in data[key].items()}
        entry = StatsEntry.unserialize(data, stats)
        stats.entries[(entry.name, entry.method)] = entry
        stats.total.extend(entry)
    return stats


def junit(tmp_path) -> dict[str, ElementTree.Element]:
    text = (tmp_path / "junit" / "thresholds.xml").read_text()
    SCHEMA.validate(text)
    return {case.get("name"): case for case in ElementTree.fromstring(text).iter("testcase")}


def assert_exact_counts(stats: RequestStats, served: dict[str, int]) -> None:
    """Locust counted what the target served, per endpoint, and the failures are the share the
    target's rule gives (20 % of /login, rounded down)."""
    for (name, method), entry in stats.entries.items():
        route = ROUTES[name]
        assert route.startswith(method + " ") and served.get(route, 0) > 0, (route, served)
        assert entry.num_requests == served[route], (name, entry.num_requests, served)
    assert len(stats.entries) == len(ROUTES)
    assert stats.get("/login", "POST").num_failures == served[ROUTES["/login"]] * 20 // 100
    assert stats.get("/ok", "GET").num_failures == stats.get("/slow", "GET").num_failures == 0


OK, LOGIN, SLOW = ("/ok", "GET"), ("/login", "POST"), ("/slow", "GET")
# threshold -> (passes?, the figure it measures, as Locust computes it from its own statistics;
# None: checked otherwise below). The target makes 20 % of /login fail and 10 % of /slow 120 ms late.
JUDGED = {
    "fail_ratio<1%": (False, lambda s: s.total.fail_ratio),
    "POST /login: fail_ratio<=20%": (True, lambda s: s.get(*LOGIN).fail_ratio),
    "/login: failures>0": (True, lambda s: s.get(*LOGIN).num_failures),
    "GET /ok: failures==0": (True, lambda s: s.get(*OK).num_failures),
    "requests>=100": (True, lambda s: s.total.num_requests),
    "rps>=1000000": (False, None),
    "/slow: p(95)<100ms": (False, lambda s: s.get(*SLOW).get_response_time_percentile(0.95)),
    "/slow: p80<100": (True, lambda s: s.get(*SLOW).get_response_time_percentile(0.80)),
    "/slow: max>=0.12s": (True, lambda s: s.get(*SLOW).max_response_time),
    "/ok: avg<50": (True, lambda s: s.get(*OK).avg_response_time),
    "min<20ms": (True, lambda s: s.total.min_response_time),
    "med<50": (True, lambda s: s.total.median_response_time),
    "p99.9>0": (True, lambda s: s.total.get_response_time_percentile(0.999)),
    "users>=10": (True, lambda s: 10),
    "users!=10": (False, lambda s: 10),
    "p95[3s]<60s": (True, None),
    "/slow: p99[3s]<100": (False, None),
    "GET /nope: requests>0": (False, None),
}
FAILED = sum(not passes for passes, _ in JUDGED.values())


def test_a_headless_run_is_judged_on_the_merged_stats_exactly(procs, go_bin, fresh_target, influx, tmp_path):
    env = {"LOCUST_THRESHOLDS": ";".join(JUDGED)}  # the env var form; the flag form is below
    master = headless(procs, go_bin, fresh_target, tmp_path, "-t", "7s", "--json-file", str(tmp_path / "stats"),
                      *influx_args(influx, tmp_path), env=env)
    assert master.proc.wait(60) == 3, master.proc.log()[-3000:]
    log = master.proc.log()
    assert "Drained 2 worker(s)" in log
    stats = locust_stats(tmp_path)
    assert_exact_counts(stats, fresh_target.counts())

    # the run record keeps each result, with the figure measured; it equals Locust's own figure
    listed = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "list", "--json", "--influxdb-url", influx.url,
                             "--influxdb-database", influx.database], capture_output=True, text=True, check=True)
    (record,) = json.loads(listed.stdout)
    kept = {r["threshold"]: r for r in record["thresholds"]}
    assert list(kept) == list(JUDGED) and record["thresholds_failed"] == FAILED
    for text, (passes, figure) in JUDGED.items():
        assert kept[text]["passed"] is passes, kept[text]
        if figure is not None:
            assert kept[text]["value"] == pytest.approx(figure(stats), rel=1e-12), (text, kept[text])
    assert kept["rps>=1000000"]["value"] == pytest.approx(record["rps"], rel=1e-12)  # Locust's requests/s
    assert kept["GET /nope: requests>0"]["result"] == "never appeared" and kept["GET /nope: requests>0"]["value"] is None
    # windows were judged while the run went on: the slow endpoint's worst 3 s window is at least its slow answer
    assert kept["/slow: p99[3s]<100"]["value"] >= 120 and kept["p95[3s]<60s"]["passed"]

    # the JUnit file: one case per threshold, failures where the run record says so
    cases = junit(tmp_path)
    assert list(cases) == list(JUDGED)
    assert {name for name, case in cases.items() if case.find("failure") is not None} == {
        text for text, (passes, _) in JUDGED.items() if not passes}
    assert cases["GET /nope: requests>0"].find("failure").get("type") == "never appeared"
    assert f"measured: {kept['rps>=1000000']['measured']}\n" in cases["rps>=1000000"].find("system-out").text

    # the summary (Locust prints no tables with --json-file; the order is checked below)
    assert f"Thresholds: {len(JUDGED) - FAILED} passed, {FAILED} failed (exit code 3)" in log
    assert re.search(r"GET /nope: requests>0 +> 0 +GET /nope never appeared +FAIL", log)

    # locust-fleet runs report shows them
    page = tmp_path / "report.html"
    subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "report", record["run_id"], "-o", str(page),
                    "--influxdb-url", influx.url, "--influxdb-database", influx.database], check=True,
                   capture_output=True)
    html = page.read_text()
    assert f"<p>{len(JUDGED) - FAILED} passed, {FAILED} failed.</p>" in html and "<td>GET /nope never appeared</td>" in html


def test_an_abort_threshold_stops_the_test_through_the_drain_after_its_grace_time(procs, go_bin, fresh_target,
                                                                                  tmp_path):
    master = headless(procs, go_bin, fresh_target, tmp_path, "-t", "60s", "--json-file", str(tmp_path / "stats"),
                      "--threshold", "/login: fail_ratio<10% abort after 4s", "--threshold", "p95<60s")
    assert master.proc.wait(40) == 3, master.proc.log()[-3000:]  # long before its run time
    log = master.proc.log()
    breached = re.search(r"Threshold '/login: fail_ratio<10% abort after 4s' breached after ([0-9.]+) s: "
                         r"measured ([0-9.]+)%, limit < 10%; stopping the test", log)
    # not before its grace time; the fail ratio so far is about 20 % of what was served: each worker's
    # report carries its own share of the target's every-fifth failures, so until the other worker's
    # report of the same seconds is in, the merged ratio may be a little above or below it
    assert breached and 4.0 <= float(breached.group(1)) < 10 and 18 < float(breached.group(2)) < 22, log[-3000:]
    # the normal stop: drained, so the counts up to the stop are exact, then judged and reported
    assert log.index("stopping the test") < log.index("Drained 2 worker(s)") < log.index("Thresholds: 1 passed")
    assert_exact_counts(locust_stats(tmp_path), fresh_target.counts())
    failure = junit(tmp_path)["/login: fail_ratio<10% abort after 4s"].find("failure")
    assert re.fullmatch(r"/login: fail_ratio<10% abort after 4s: measured (19\.9\d|20\.00)%, limit < 10%; stopped the "
                        r"test at [0-9.]+ s", failure.get("message"))


OPEN_SLOW = """\
# the open model on a slow route with one task open per user: most arrivals are not started
arrival: {rate: 20/s, max_in_flight: 1, max_lag: 1m}
tasks:
  - {name: slow, path: /delay/300}
"""
CHECKED = """\
# a non-fatal check on a route the target fails 20 % of (an unexpected status counts a fail of it)
wait: {constant: 20ms}
tasks:
  - name: items
    path: /share/items
    query: {fail: "20"}
    check:
      - {status: 200, fatal: false, name: ok}
"""


def test_arrivals_not_started_and_non_fatal_checks_are_judged(procs, go_bin, fresh_target, tmp_path):
    # A CI job gating on the open model's arrivals not started (k6's dropped_iterations) and on the
    # non-fatal checks (k6's checks rate): neither had a metric (exit 2), and a threshold on a task's
    # ARRIVAL row failed as "never appeared" exactly when every arrival had started.
    judged = ["not_started==0", "slow: not_started>0", "items: not_started==0", "checks>=99%",
              "GET items: checks>=70%", "home: checks>0"]
    master = Master(procs, "--headless", "--expect-workers", "2", "-u", "4", "-r", "4", "-t", "5s",
                    "-H", fresh_target.url, "--json-file", str(tmp_path / "stats"),
                    "--junit-xml", str(tmp_path / "junit" / "thresholds.xml"),
                    *[arg for text in judged for arg in ("--threshold", text)])
    for i, text in enumerate((OPEN_SLOW, CHECKED)):  # one worker each: the open model's, the checked one's
        scenario = tmp_path / f"scenario{i}.yaml"
        scenario.write_text(text)
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", fresh_target.url,
                     name=f"worker{i}")
    assert master.proc.wait(60) == 3, master.proc.log()[-3000:]
    stats = locust_stats(tmp_path)
    not_started = sum(e.num_failures for (_, method), e in stats.entries.items() if method == "ARRIVAL")
    items = stats.get("items", "GET")
    assert not_started > 0 and items.num_failures > 0, stats.entries
    assert items.num_requests == fresh_target.counts()["GET /share/items"]
    # each request of items counted one check: a pass when it was answered 200, else a fail
    ratio = f"{100 * (items.num_requests - items.num_failures) / items.num_requests:.2f}%"
    want = {"not_started==0": (False, str(not_started)), "slow: not_started>0": (True, str(not_started)),
            "items: not_started==0": (True, "0"), "checks>=99%": (False, ratio), "GET items: checks>=70%": (True, ratio),
            "home: checks>0": (False, "home never appeared")}
    cases = junit(tmp_path)
    for text, (passes, measured) in want.items():
        assert (cases[text].find("failure") is None) is passes, (text, ElementTree.tostring(cases[text]))
        assert f"measured: {measured}\n" in cases[text].find("system-out").text, ElementTree.tostring(cases[text])
    assert re.search(r"checks>=99% +>= 99% +" + re.escape(ratio) + " +FAIL", master.proc.log())


def test_thresholds_that_all_hold_exit_0_although_requests_failed(procs, go_bin, fresh_target, tmp_path):
    # Locust alone exits 1 on any failed request (--exit-code-on-error); the thresholds judge instead
    # a password in --host (the workers send to --target) never reaches the JUnit file: it is shown as ***
    host = fresh_target.url.replace("http://", "http://alice:s3cret-pw@")
    master = headless(procs, go_bin, fresh_target, tmp_path, "-t", "3s", "--threshold", "fail_ratio<50%",
                      "--threshold", "POST /login: failures>0", "-H", host)
    assert master.proc.wait(40) == 0, master.proc.log()[-3000:]
    log = master.proc.log()
    assert log.index("Response time percentiles") < log.index("Thresholds: 2 passed, 0 failed")
    assert all(case.find("failure") is None for case in junit(tmp_path).values())
    text = (tmp_path / "junit" / "thresholds.xml").read_text()
    assert "s3cret-pw" not in text and '"http://alice:***@127.0.0.1:' in text


@pytest.mark.parametrize("run_time, sig, code, exported", [
    ("60s", signal.SIGTERM, 4, False),  # cut short: no pass, though every threshold holds on what ran
    ("60s", signal.SIGTERM, 4, True),   # the same with the export on, whose quitting listener stops the test first
    ("60s", signal.SIGINT, 4, True),
    ("", signal.SIGINT, 0, False),      # no run time: Ctrl+C is how the run was to end
])
def test_a_headless_run_stopped_before_its_run_time_does_not_pass(procs, go_bin, fresh_target, tmp_path, request,
                                                                  run_time, sig, code, exported):
    # A CI job cancelled, a `timeout` wrapper, an operator's Ctrl+C after a few seconds of a 60 s run:
    # it exited 0 when the thresholds held on what ran, and a pipeline read that as a pass. With
    # --influxdb-url it still did on SIGTERM: the export stopped the test before it was seen running.
    args = ["-t", run_time] if run_time else []
    if exported:
        args += influx_args(request.getfixturevalue("influx"), tmp_path)
    master = headless(procs, go_bin, fresh_target, tmp_path, *args, "--threshold", "requests>0",
                      "--json-file", str(tmp_path / "stats"))
    wait_until(lambda: master.ramp_up_end() and sum(fresh_target.counts().values()) > 0, 30,
               "the test running")
    master.proc.signal(sig)
    assert master.proc.wait(40) == code, master.proc.log()[-3000:]
    log = master.proc.log()
    assert_exact_counts(locust_stats(tmp_path), fresh_target.counts())  # drained and judged as any stop
    cases = junit(tmp_path)
    assert cases["requests>0"].find("failure") is None
    if code == 4:
        assert re.search(r"Thresholds: 1 passed, 0 failed \(exit code 4\)\n.*The test was interrupted at [0-9.]+ s, "
                         r"before the end of its 60 s run time: .*the run did not pass", log), log[-3000:]
        assert cases[RAN_TO_ITS_END].find("failure").get("type") == "interrupted"
    else:
        assert "Thresholds: 1 passed, 0 failed\n" in log and "interrupted" not in log
        assert RAN_TO_ITS_END not in cases
    if exported:  # the run record says what the JUnit file says (it said 0 failed, a pass)
        influx = request.getfixturevalue("influx")
        listed = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "list", "--json", "--influxdb-url", influx.url,
                                 "--influxdb-database", influx.database], capture_output=True, text=True, check=True)
        (record,) = json.loads(listed.stdout)
        assert record["thresholds_failed"] == 1, record
        assert [(r["threshold"], r["passed"], r["result"]) for r in record["thresholds"]] == [
            ("requests>0", True, "passed"), (RAN_TO_ITS_END, False, "interrupted")]


@pytest.mark.parametrize("sig, exported", [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
                         ids=["SIGTERM", "SIGINT", "SIGTERM-exported"])
def test_a_signal_during_the_drain_after_the_run_time_does_not_fail_the_run(procs, go_bin, fresh_target, tmp_path,
                                                                            request, sig, exported):
    # The run time was up and the stop drains (Locust still says "running"): an impatient Ctrl+C
    # hurries the end of a test that ran as planned.
    args = influx_args(request.getfixturevalue("influx"), tmp_path) if exported else []
    master = headless(procs, go_bin, fresh_target, tmp_path, "-t", "3s", "--threshold", "requests>0",
                      "--drain-timeout", "10", *args)
    wait_until(lambda: "--run-time limit reached" in master.proc.log(), 30, "the run time to be up")
    master.proc.signal(sig)
    assert master.proc.wait(40) == 0, master.proc.log()[-3000:]
    assert "Thresholds: 1 passed, 0 failed\n" in master.proc.log() and RAN_TO_ITS_END not in junit(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_load_shape_stopped_before_its_end_does_not_pass(procs, go_bin, fresh_target, tmp_path, sig):
    # On Ctrl+C Locust ends a shape's test as if the shape had ended ("Shape test completed").
    master = Master(procs, "--headless", "--expect-workers", "2", "-f", str(REPO / "tests" / "locustfiles" /
                    "stepped_shape.py"), "-H", fresh_target.url, "--junit-xml", str(tmp_path / "junit" /
                    "thresholds.xml"), "--threshold", "requests>0", env={"SHAPE_STEPS": "6x60"})
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", fresh_target.url,
                     name=f"worker{i}")
    wait_until(lambda: sum(fresh_target.counts().values()) > 0, 30, "the test running")
    master.proc.signal(sig)
    assert master.proc.wait(40) == 4, master.proc.log()[-3000:]
    assert "before its load shape's end: its figures are those of what ran" in master.proc.log()
    assert junit(tmp_path)[RAN_TO_ITS_END].find("failure") is not None


def test_a_run_whose_workers_all_went_missing_does_not_pass(procs, go_bin, fresh_target, tmp_path):
    # Every worker killed a few seconds into a 60 s run: the master exits 1 (leaving.py), but its
    # JUnit file and summary said every threshold passed, and a CI reporter showed a passed run.
    master = Master(procs, "--headless", "--expect-workers", "1", "-u", "4", "-r", "4", "-t", "60s",
                    "-H", fresh_target.url, "--junit-xml", str(tmp_path / "junit" / "thresholds.xml"),
                    "--threshold", "users>=1")  # holds whenever the worker is killed
    worker = start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", fresh_target.url)
    wait_until(lambda: master.ramp_up_end() and sum(fresh_target.counts().values()) > 0, 30,
               "the test running")
    worker.signal(signal.SIGKILL)
    assert master.proc.wait(40) == 1, master.proc.log()[-3000:]
    log = master.proc.log()
    assert "Every worker went missing" in log
    assert re.search(r"Thresholds: 1 passed, 0 failed \(exit code 1\)\nThe test ended at [0-9.]+ s with exit code 1 "
                     r"\(the log says why\): its figures are those of what ran, and the run did not pass", log), log[-3000:]
    cases = junit(tmp_path)
    assert cases["users>=1"].find("failure") is None
    assert cases[RAN_TO_ITS_END].find("failure").get("type") == "broke"


@pytest.mark.parametrize("ending", ["no worker came", "a typo in a threshold", "InfluxDB refused the credentials"])
def test_a_run_never_judged_leaves_no_junit_file_of_an_earlier_run(procs, tmp_path, ending):
    # A CI workspace kept from the last job: its passed JUnit file stood for this run, whose workers
    # never came (exit 1), and a CI reporter showed the thresholds as passed. A master that exited 2
    # at start (a typo in a threshold, InfluxDB refusing the credentials) left it there still, and
    # Locust's JSON file of the earlier run (--json-file) stayed in every case.
    report = tmp_path / "junit" / "thresholds.xml"
    report.parent.mkdir()
    report.write_text('<testsuites name="locust-fleet thresholds" tests="1" failures="0"/>\n')
    stats = tmp_path / "stats.json"
    stats.write_text('[{"name": "/", "method": "GET", "num_requests": 1000, "num_failures": 0}]\n')
    args, code, said = ["--threshold", "requests>0"], 1, "Gave up waiting for workers to connect"
    if ending == "a typo in a threshold":
        args, code, said = ["--threshold", "requests>0", "--threshold", "p95<500msx"], 2, "'msx' is not a unit of p95"
    with ExitStack() as stack:
        if ending == "InfluxDB refused the credentials":
            server = start_server(server_of("influxdb-1.6", tmp_path / "influxdb"))  # with an admin user
            stack.callback(server.close)
            args += ["--influxdb-url", server.url, "--influxdb-username", "admin", "--influxdb-password", "wrong",
                     "--spool-dir", str(tmp_path / "spool")]
            code, said = 2, "refused the credentials (HTTP 401)"
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--expect-workers", "1",
                        "--expect-workers-max-wait", "2", "--junit-xml", str(report),
                        "--json-file", str(tmp_path / "stats"), *args)
        assert master.proc.wait(40) == code, master.proc.log()[-3000:]
    assert said in master.proc.log()
    assert not report.exists() and not stats.exists()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_malformed_threshold_stops_the_master_at_start_naming_the_option(procs, tmp_path, how):
    bad = ["p95<<500ms", "latency<1s", "p95[1m<800ms"]
    args = [arg for b in bad for arg in ("--threshold", b)] if how == "flag" else []
    master = Master(procs, "--headless", *args, env={"LOCUST_THRESHOLDS": ";".join(bad)} if how == "env" else None)
    assert master.proc.wait(30) == 2
    log = master.proc.log()
    assert "--threshold: got 'p95<<500ms'; expected a number after '<' such as 500 or 0.5, found '<500ms'" in log
    assert "--threshold: got 'latency<1s'; unknown metric 'latency'" in log
    assert "--threshold: got 'p95[1m<800ms'; the window's '[' is never closed" in log


def test_the_web_ui_shows_the_thresholds_while_the_test_runs(procs, go_bin, fresh_target, tmp_path):
    thresholds = ["/login: fail_ratio<10%", "p95[3s]<60s", "GET /nope: requests>0"]
    master = Master(procs, "-H", fresh_target.url, "--junit-xml", str(tmp_path / "junit" / "thresholds.xml"),
                    *[arg for t in thresholds for arg in ("--threshold", t)])
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", fresh_target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 20, "2 workers in the master's list")
    with Chromium(tmp_path / "chromium") as browser:
        master.swarm(6, fresh_target.url)
        wait_until(lambda: master.stats()["state"] == "running", 20, "the test to run")
        browser.open(master.web + "/?tab=thresholds")

        def rows():
            return browser.evaluate("""Array.from(document.querySelectorAll('table tbody tr'))
                .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim()))""")

        def shown(states):
            got = rows()
            return got if [r[0] for r in got] == thresholds and [r[4] for r in got] == states else None

        # the window is evaluated while the test runs, once it is full
        running = wait_until(lambda: master.stats()["state"] == "running" and shown(
            ["BREACHED", "holding", "waiting for requests"]), 30, "the live states in the Thresholds tab")
        assert running[0][1:3] == ["/login, whole run", "< 10%"]
        # the target fails 20 % of /login rounded down, floor(n / 5) / n of n requests: 20 % at most,
        # and above 15 % from the 20th request on (the tab shows it as the browser last fetched it)
        measured = re.fullmatch(r"(\d+\.\d\d)%", running[0][3])
        assert measured and 15 < float(measured.group(1)) <= 20, running[0]
        assert running[1][1] == "all requests, every 3 s window"
        header = browser.evaluate("Array.from(document.querySelectorAll('table thead th')).map(th => th.innerText.trim())")
        assert header == ["Threshold", "Over", "Limit", "Now", "State"]
        assert browser.evaluate("Array.from(document.querySelectorAll('[role=tab]')).map(t => t.textContent.trim())"
                                ".includes('Thresholds')")
        master.stop()
        wait_until(lambda: master.stats()["state"] == "stopped", 30, "the test to stop")
        final = wait_until(lambda: shown(["FAILED (breached)", "passed", "FAILED (never appeared)"]), 20,
                           "the results in the Thresholds tab")
        assert final[2][3] == "GET /nope never appeared"
    # a test started in the web UI writes its JUnit file when it stops, too
    assert set(junit(tmp_path)) == set(thresholds)
