"""End to end with a real InfluxDB: the master exports what Locust counted, per interval, per
endpoint, per worker and per run, and loses nothing when InfluxDB goes away for a while."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess

import pytest

from harness.exported import check_exact, influx_args, run_headless, the_run
from harness.influxd import InfluxServer, rows
from harness.parts import Master, Target, start_worker
from harness.procs import REPO, VENV_BIN, wait_until

pytestmark = pytest.mark.e2e


def test_export_counts_exactly_what_the_target_served(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    master, workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=7)
    master.proc.wait(90)
    run = check_exact(influx, target, report)

    events = {r["event"] for r in rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run['run_id']}'"))}
    assert {"start", "spawning_complete", "stop", "worker_joined"} <= events
    users = rows(influx.query(f"SELECT max(\"users\") FROM locust_users WHERE run_id = '{run['run_id']}' "
                              "AND user_class = 'all'"))
    assert users[0]["max"] == 10
    assert "InfluxDB export (points): queued" in master.proc.log()


def test_mixed_fleet_exports_correct_totals(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    master, workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=7, python_worker=True)
    master.proc.wait(90)
    check_exact(influx, target, report)


def test_one_series_per_name_for_many_urls(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "many.yaml"
    scenario.write_text("requests:\n" + "".join(f"  - {{name: item, path: /pages/{i}}}\n" for i in range(1000)))
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", "5s", "--expect-workers", "1",
                    "-H", target.url, *influx_args(influx, tmp_path))
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url)
    master.proc.wait(90)
    assert len([k for k in target.counts() if k.startswith("GET /pages/")]) > 100
    names = {r["value"] for r in rows(influx.query('SHOW TAG VALUES FROM locust_requests WITH KEY = "name"'))}
    assert names == {"item", "Aggregated"}
    series = rows(influx.query("SHOW SERIES FROM locust_requests"))
    assert len(series) == 2, series


def test_wrong_credentials_fail_fast_naming_the_option(procs, tmp_path):
    with InfluxServer(tmp_path / "auth-influxdb", auth=True) as server:
        import requests
        requests.post(server.url + "/query", data={"q": "CREATE USER admin WITH PASSWORD 'right' WITH ALL PRIVILEGES"},
                      timeout=10).raise_for_status()
        master = Master(procs, "--headless", "-u", "1", "-t", "5s", "--influxdb-url", server.url,
                        "--influxdb-username", "admin", "--influxdb-password", "wrong-secret",
                        "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2
        log = master.proc.log()
        assert "refused the credentials (HTTP 401); check --influxdb-username/--influxdb-password" in log
        assert "wrong-secret" not in log
        assert not (tmp_path / "spool").exists() or not list((tmp_path / "spool").iterdir())


@pytest.mark.parametrize("grant", ["READ", None])
def test_a_user_who_may_not_write_to_the_database_fails_fast_with_the_servers_reason(procs, tmp_path, grant):
    # The database exists. A user who may only read it passed the start, and every point of the
    # run went to the spool; a user with no privilege on it was told it did not exist (1.x's SHOW
    # DATABASES hides it) and to create it, which changes nothing.
    with InfluxServer(tmp_path / "auth-influxdb", auth=True) as server:
        server.create_admin()
        server.query("CREATE DATABASE locust", db="")
        server.query("CREATE USER reader WITH PASSWORD 'reader-secret'", db="")
        if grant:
            server.query(f"GRANT {grant} ON locust TO reader", db="")
        master = Master(procs, "--headless", "-u", "1", "-t", "5s", "--influxdb-url", server.url,
                        "--influxdb-username", "reader", "--influxdb-password", "reader-secret",
                        "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2
        log = master.proc.log()
        assert ('refused the request (HTTP 403: "reader" user is not authorized to write to database "locust"); '
                "give the user of --influxdb-username/--influxdb-password that privilege (as an admin: "
                'GRANT ALL ON "locust" TO "reader"), or credentials that have it') in log, log[-2000:]
        assert "does not exist" not in log and "reader-secret" not in log


def test_unreachable_influxdb_spools_and_the_next_master_replays(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    server = InfluxServer(tmp_path / "late-influxdb")  # configured, not started yet
    try:
        args = ["--influxdb-url", server.url, "--influxdb-interval", "1", "--spool-dir", str(tmp_path / "spool")]
        first = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "4s", "--expect-workers", "1",
                       "-H", target.url, *args, name="first-master")
        start_worker(procs, go_bin["worker"], first.port, "--target", target.url)
        assert first.proc.wait(60) == 0, first.proc.log()[-2000:]
        assert "unreachable (connection failed); the test runs anyway" in first.proc.log()
        assert list((tmp_path / "spool").rglob("*.lp")), "nothing was spooled"

        server.start()
        second = Master(procs, *args, name="second-master")
        wait_until(lambda: not list((tmp_path / "spool").rglob("*.lp")), 30, "the second master to replay the spool")
        second.proc.signal(signal.SIGTERM)
        second.proc.wait(30)
        assert "holds" in second.proc.log() and "from an earlier master" in second.proc.log()
        run = the_run(server)
        assert run["state"] == "stopped" and run["requests"] == sum(target.counts().values())
    finally:
        server.close()


def test_a_shaped_run_records_its_peak_and_last_users(procs, go_bin, influx, tmp_path):
    # 4 -> 12 -> 2 users: the run record keeps 12 as the peak and 2 as the end; `runs list` and
    # the report show the peak.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "--expect-workers", "2", "-H", target.url, "-f",
                    str(REPO / "tests" / "locustfiles" / "stepped_shape.py"), *influx_args(influx, tmp_path),
                    env={"SHAPE_STEPS": "4x3,12x3,2x3"})
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--target", target.url, name=f"worker{i}")
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    run = the_run(influx)
    assert (run["peak_users"], run["users"]) == (12, 2)

    env = {**os.environ, "LOCUST_INFLUXDB_URL": influx.url, "LOCUST_INFLUXDB_DATABASE": influx.database, "COLUMNS": "250"}
    listed = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "list"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if run["run_id"] in line)
    assert re.search(r"\b12\b", row) and "PEAK USERS" in listed.stdout, listed.stdout
    listed_json = json.loads(subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "list", "--json"],
                                            capture_output=True, text=True, env=env, timeout=60).stdout)
    assert (listed_json[0]["peak_users"], listed_json[0]["users"]) == (12, 2)
    page = tmp_path / "report.html"
    made = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "report", run["run_id"], "-o", str(page)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    assert "12 at the peak, 2 at the end" in page.read_text()


def test_a_run_time_that_ends_during_the_ramp_up_records_the_users_it_reached(procs, go_bin, influx, tmp_path):
    # 40 users at 4/s for 3 s: the run ends with about 12, never 40; the record said 40 at the end.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "40", "-r", "4", "-t", "3s", "--expect-workers", "1",
                    "-H", target.url, *influx_args(influx, tmp_path))
    start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    run = the_run(influx)
    assert 4 <= run["users"] <= 20 and run["users"] == run["peak_users"], run
