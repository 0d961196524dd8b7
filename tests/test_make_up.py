"""`make up` / `make down` as a user runs them: the stack starts (a local InfluxDB included), the
workers join, headless runs are stored and reported, the printed commands work as printed, and
nothing is left running afterwards."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import socket
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.chromium import Chromium
from harness.parts import Master, make, workers_of
from harness.procs import REPO, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.builds]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def stack_env(tmp_path):
    env = {"RUN_DIR": str(tmp_path / "run"), "MASTER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "TARGET_PORT": str(free_port()), "WORKERS": "2", "INFLUXDB_PORT": str(free_port()),
           "INFLUXDB_RPC_PORT": str(free_port())}
    yield env
    make("down", env=env)  # whatever the test did, stop the stack


def test_up_starts_the_stack_and_down_stops_all_of_it(stack_env):
    up = make("up", env=stack_env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"http://127.0.0.1:{stack_env['WEB_PORT']}" in up.stdout
    # the stop command printed is one that stops this stack (a bare make down looks in .run)
    assert f"Stop everything with: make down RUN_DIR={stack_env['RUN_DIR']}\n" in up.stdout
    run = Path(stack_env["RUN_DIR"])
    pgids = {p.stem: int(p.read_text()) for p in run.glob("*.pid")}
    assert set(pgids) == {"master", "target", "worker1", "worker2", "influxdb"}

    web = f"http://127.0.0.1:{stack_env['WEB_PORT']}"
    # make up returned once both workers joined: a swarm right away starts users on both
    form = urllib.parse.urlencode({"user_count": 4, "spawn_rate": 100, "host": ""}).encode()
    started = json.loads(urllib.request.urlopen(web + "/swarm", data=form, timeout=10).read())
    assert started["success"] and "2 workers" not in started.get("message", "no worker"), started
    wait_until(lambda: [w["user_count"] for w in workers_of(web)] == [2, 2], 30, "users on both Go workers")
    again = make("up", env=stack_env)
    assert again.returncode == 2 and "already up" in again.stderr
    assert f"run 'make down RUN_DIR={stack_env['RUN_DIR']}' first" in again.stderr

    down = make("down", env=stack_env)
    assert down.returncode == 0, down.stderr
    assert not [name for name, pgid in pgids.items() if group_alive(pgid)]
    assert not list(run.glob("*.pid"))
    assert not listening(int(stack_env["INFLUXDB_PORT"])), "InfluxDB still answers after make down"


def test_up_names_the_workers_that_did_not_join(stack_env, tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("tasks:\n  - {name: home, path: /, weight: 0}\n")
    try:
        up = make("up", env={**stack_env, "SCENARIO": str(scenario), "WORKERS_WAIT": "5", "INFLUXDB": "off"})
        assert up.returncode == 2, up.stdout + up.stderr  # make's own code for a failed recipe (up.sh exits 1)
        for worker in ("worker1", "worker2"):
            assert f"make up: {worker} did not join the master within 5 s (WORKERS_WAIT); its log, " in up.stderr
        assert "tasks[0].weight" in up.stderr  # the end of their logs says why
        assert f"the rest of the stack is up; make down RUN_DIR={stack_env['RUN_DIR']} stops it" in up.stderr
    finally:
        make("down", env=stack_env)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def locust_csv_total(prefix: Path) -> dict[str, str]:
    """The Aggregated row of Locust's own --csv statistics."""
    with open(f"{prefix}_stats.csv", newline="") as f:
        return next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")


def printed_command(output: str, label: str) -> list[str]:
    """The command make up printed after LABEL, split as a shell would."""
    line = next(line for line in output.splitlines() if line.strip().startswith(label))
    return shlex.split(line.strip()[len(label):])


def run_printed(command: list[str], *extra: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOCUST_INFLUXDB")}, "COLUMNS": "80"}
    return subprocess.run([*command, *extra], cwd=REPO, capture_output=True, text=True, timeout=60, env=env)


def test_headless_runs_are_stored_reported_and_compared_with_the_printed_commands(stack_env, tmp_path):
    runs = []
    for i in (1, 2):
        stats = tmp_path / f"run{i}"
        env = {**stack_env, "HEADLESS": "1", "USERS": "4", "SPAWN_RATE": "4", "RUN_TIME": "3s",
               "LOCUST_ARGS": f"--csv {stats}"}
        if i == 2:  # judged: one threshold holds, one cannot
            env["THRESHOLDS"] = "fail_ratio<1%;rps>=1000000"
        up = make("up", env=env)
        if i == 2:  # deploy/local/up.sh exits 3, which make reports as its own failure (2)
            assert up.returncode == 2 and re.search(r"\] Error 3$", up.stderr.strip()), up.stdout[-3000:] + up.stderr
        else:
            assert up.returncode == 0, up.stdout[-3000:] + up.stderr
        assert "Aggregated" in up.stdout and "Response time percentiles" in up.stdout
        found = re.search(r"^Run (\S+): report (\S+)$", up.stdout, re.M)
        assert found, up.stdout[-2000:]
        runs.append((found.group(1), Path(found.group(2)), locust_csv_total(stats)))
        assert not list(Path(stack_env["RUN_DIR"]).glob("*.pid")), "headless up left processes behind"
        assert not listening(int(stack_env["INFLUXDB_PORT"]))

    junit = Path(stack_env["RUN_DIR"]) / "reports" / "thresholds.xml"
    assert f"Thresholds (JUnit XML): {junit}" in up.stdout and "Thresholds: 1 passed, 1 failed (exit code 3)" in up.stdout
    assert junit.read_text().count("<testcase ") == 2

    up = make("up", env=stack_env)  # the same database, served again
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"http://127.0.0.1:{stack_env['INFLUXDB_PORT']} database locust" in up.stdout
    listed = run_printed(printed_command(up.stdout, "list runs"))
    assert listed.returncode == 0 and all(run_id in listed.stdout for run_id, _, _ in runs), listed
    assert max(map(len, listed.stdout.splitlines())) <= 80, listed.stdout
    as_json = run_printed(printed_command(up.stdout, "list runs"), "--json")
    records = {r["run_id"]: r for r in json.loads(as_json.stdout)}
    for run_id, _, locust in runs:  # Locust's own counts and requests/s
        assert records[run_id]["requests"] == int(locust["Request Count"])
        assert records[run_id]["failures"] == int(locust["Failure Count"])
        assert records[run_id]["rps"] == pytest.approx(float(locust["Requests/s"]), rel=1e-9)

    # -o into the test's directory, not the repository where the printed command would write
    printed_report = tmp_path / "printed-report.html"
    reported = run_printed([{"RUN_ID": runs[0][0], "report.html": str(printed_report)}.get(a, a)
                            for a in printed_command(up.stdout, "report a run")])
    assert reported.returncode == 0, reported.stderr
    assert printed_report.read_text() == runs[0][1].read_text()  # the same report as after the run

    compare = printed_command(up.stdout, "compare runs")
    compare = [{"BASELINE_ID": runs[0][0], "CANDIDATE_ID": runs[1][0]}.get(a, a) for a in compare]
    compared = run_printed(compare)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert max(map(len, compared.stdout.splitlines())) <= 80, compared.stdout

    with Chromium(tmp_path / "chromium") as browser:
        for run_id, report, locust in runs:
            assert report.parent == Path(stack_env["RUN_DIR"]) / "reports"  # RUN_DIR is absolute here
            browser.open(report.as_uri())
            total = browser.evaluate("[...document.querySelectorAll('#summary tr.total td')].map(td => td.innerText)")
            drawn = browser.evaluate("document.querySelectorAll('figure.chart path').length")
            assert total[1] == "Aggregated" and int(total[2]) == int(locust["Request Count"]), (run_id, total)
            assert drawn > 0

    pgids = {p.stem: int(p.read_text()) for p in Path(stack_env["RUN_DIR"]).glob("*.pid")}
    down = make("down", env=stack_env)
    assert down.returncode == 0 and "stopped influxdb" in down.stdout, down.stdout + down.stderr
    assert not [name for name, pgid in pgids.items() if group_alive(pgid)]
    assert not listening(int(stack_env["INFLUXDB_PORT"]))


@pytest.mark.parametrize("setting", ["off", "url"])
def test_up_without_its_own_influxdb(stack_env, own_influx, setting):
    influx = own_influx
    env = {**stack_env, **({"INFLUXDB": "off"} if setting == "off" else {"INFLUXDB_URL": influx.url})}
    up = make("up", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    run = Path(stack_env["RUN_DIR"])
    assert {p.stem for p in run.glob("*.pid")} == {"master", "target", "worker1", "worker2"}
    assert not listening(int(stack_env["INFLUXDB_PORT"])) and not (run / "influxdb").exists()
    if setting == "off":
        assert "InfluxDB        off: nothing is exported" in up.stdout
        assert "--influxdb-url" not in Path(f"/proc/{(run / 'master.pid').read_text().strip()}/cmdline").read_text()
    else:
        assert f"InfluxDB        {influx.url} database locust" in up.stdout
        wait_until(lambda: ["locust"] in influx.query("SHOW DATABASES", db="")[0].get("values", []), 20,
                   "the master to create its database there")
    assert make("down", env=stack_env).returncode == 0


def test_malformed_thresholds_are_a_clear_error_before_anything_starts(stack_env):
    up = make("up", env={**stack_env, "THRESHOLDS": "fail_ratio<1%;p95<<500ms"})
    assert up.returncode == 2
    assert ("make up: THRESHOLDS: got 'p95<<500ms'; expected a number after '<' such as 500 or 0.5, found '<500ms'"
            in up.stderr.splitlines()), up.stderr
    assert not Path(stack_env["RUN_DIR"]).exists() or not list(Path(stack_env["RUN_DIR"]).glob("*.pid"))


def test_a_busy_influxdb_port_is_a_clear_error_before_anything_starts(stack_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        up = make("up", env={**stack_env, "INFLUXDB_PORT": str(port)})
    assert up.returncode == 2, up.stdout + up.stderr
    assert f"INFLUXDB_PORT: port {port} on 127.0.0.1 is in use" in up.stderr and "INFLUXDB=off" in up.stderr
    assert not list(Path(stack_env["RUN_DIR"]).glob("*.pid")), "something started"


@pytest.mark.parametrize("setting, mode", [("MASTER_PORT", ""), ("WEB_PORT", ""), ("TARGET_PORT", "1")])
def test_a_busy_port_of_the_stack_is_a_clear_error_before_anything_starts(stack_env, setting, mode):
    # Without the check, Locust ran on without its web UI (make up printed another server's URL as
    # Locust's), and the workers sent their load to whatever listened on TARGET_PORT.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        up = make("up", env={**stack_env, setting: str(port), "INFLUXDB": "off", "HEADLESS": mode, "RUN_TIME": "2s"})
    assert up.returncode == 2, up.stdout + up.stderr
    assert f"make up: {setting}: port {port} on 127.0.0.1" in up.stderr and "is in use" in up.stderr, up.stderr
    assert not list(Path(stack_env["RUN_DIR"]).glob("*.pid")), "something started"


def test_a_master_that_exits_at_start_is_named_at_once_not_its_workers(stack_env):
    up = make("up", env={**stack_env, "INFLUXDB": "off", "LOCUST_ARGS": "--drain-timeout -1"}, timeout=40)
    assert up.returncode == 2, up.stdout + up.stderr
    assert "make up: the master exited at start" in up.stderr, up.stderr
    assert "--drain-timeout: got -1; expected 0 (off) or a number of seconds" in up.stderr
    assert "did not join" not in up.stderr
    assert not list(Path(stack_env["RUN_DIR"]).glob("*.pid")), "the stack was left running"


def test_a_password_in_target_is_printed_as_stars(stack_env):
    # The summary printed TARGET as given, while the worker logs it with the password hidden.
    secret = "s3cret-Tgt-91"
    up = make("up", env={**stack_env, "INFLUXDB": "off", "WORKERS": "1", "TARGET": f"http://alice:{secret}@127.0.0.1:9/"})
    assert up.returncode == 0, up.stdout + up.stderr
    assert "target          http://alice:***@127.0.0.1:9/" in up.stdout, up.stdout
    assert make("down", env=stack_env).returncode == 0
    printed = up.stdout + up.stderr + "".join(p.read_text() for p in Path(stack_env["RUN_DIR"]).glob("*.log"))
    assert secret not in printed


def test_headless_0_is_the_web_ui_and_a_word_is_an_error(stack_env):
    up = make("up", env={**stack_env, "INFLUXDB": "off", "WORKERS": "1", "HEADLESS": "0"})
    assert up.returncode == 0 and "Local stack is up" in up.stdout, up.stdout + up.stderr
    assert (Path(stack_env["RUN_DIR"]) / "master.pid").exists()
    assert make("down", env=stack_env).returncode == 0
    up = make("up", env={**stack_env, "INFLUXDB": "off", "HEADLESS": "maybe"})
    assert up.returncode == 2 and "make up: HEADLESS: got 'maybe'; expected 1 (a headless run) or 0 (the web UI)" in up.stderr


def test_workers_rejoin_a_restarted_master_within_30_s(stack_env, procs):
    up = make("up", env=stack_env)
    assert up.returncode == 0, up.stdout + up.stderr
    web = f"http://127.0.0.1:{stack_env['WEB_PORT']}"
    wait_until(lambda: len(workers_of(web)) == 2, 30, "both Go workers in the first master's list")
    run = Path(stack_env["RUN_DIR"])
    os.killpg(int((run / "master.pid").read_text()), 9)

    second = Master(procs, port=int(stack_env["MASTER_PORT"]), name="second-master")
    wait_until(lambda: len(second.workers()) == 2, 30, "both Go workers in the restarted master's list")
    logs = (run / "worker1.log").read_text()
    assert "lost the master at" in logs and "starting a fresh one" in logs
