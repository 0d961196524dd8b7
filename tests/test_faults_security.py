"""Secrets, as a user runs the stack: `make up` with InfluxDB credentials in the environment. The
password appears in no process's command line started by the project's scripts, not in the logs,
not in the web UI, and not in the report of the run; the worker port is bound where asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import certifi
import requests

from harness.exported import influx_args
from harness.influxd import InfluxServer, rows
from harness.parts import Master, Target, make, start_worker, workers_of
from harness.procs import VENV_BIN, free_port, wait_until
from py_bridge.fake_worker import FakeWorker

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
SECRET = "pa55-Wo1d-7f3a9c"


def cmdlines_of_groups(pgids: set[int]) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) in pgids:
                    found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except (ProcessLookupError, FileNotFoundError, PermissionError):
                continue
    return found


def test_the_password_stays_secret_everywhere(tmp_path):
    with InfluxServer(tmp_path / "influxdb", auth=True) as influx:
        requests.post(influx.url + "/query", data={"q": f"CREATE USER admin WITH PASSWORD '{SECRET}' WITH ALL "
                                                        "PRIVILEGES"}, timeout=10).raise_for_status()
        run_dir = tmp_path / "run"
        env = {"RUN_DIR": str(run_dir), "MASTER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
               "TARGET_PORT": str(free_port()), "WORKERS": "1", "LOCUST_INFLUXDB_URL": influx.url,
               "LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": SECRET,
               "LOCUST_INFLUXDB_INTERVAL": "1", "LOCUST_SPOOL_DIR": str(tmp_path / "spool")}
        try:
            up = make("up", env=env)
            assert up.returncode == 0, up.stdout + up.stderr
            web = f"http://127.0.0.1:{env['WEB_PORT']}"
            wait_until(lambda: len(workers_of(web)) == 1, 30, "the Go worker to join")
            requests.post(web + "/swarm", data={"user_count": 2, "spawn_rate": 2}, timeout=10).raise_for_status()
            wait_until(lambda: rows(influx.query("SELECT * FROM locust_requests", auth=("admin", SECRET))), 20,
                       "points in InfluxDB")

            pgids = {int(p.read_text()) for p in run_dir.glob("*.pid")}
            cmdlines = cmdlines_of_groups(pgids)
            assert len(cmdlines) >= 3 and not [c for c in cmdlines if SECRET in c]
            pages = [requests.get(web + path, timeout=10).text for path in ("/", "/stats/requests", "/tasks")]
            assert all(pages) and not [p for p in pages if SECRET in p]

            requests.post(web + "/stop", timeout=60).raise_for_status()  # a GET is 405: it stopped nothing
            report = tmp_path / "report.html"
            run_id = rows(influx.query("SELECT * FROM locust_runs", auth=("admin", SECRET)))[0]["run_id"]
            result = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "report", run_id, "-o", str(report)],
                                    env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
            assert SECRET not in report.read_text() and SECRET not in result.stdout + result.stderr
        finally:
            make("down", env=env)
        logs = [p.read_text(errors="replace") for p in run_dir.glob("*.log")]
        assert logs and not [log for log in logs if SECRET in log]


def test_worker_port_is_bound_to_the_chosen_interface(tmp_path):
    run_dir = tmp_path / "run"
    env = {"RUN_DIR": str(run_dir), "MASTER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "TARGET_PORT": str(free_port()), "WORKERS": "1", "MASTER_BIND": "127.0.0.1", "INFLUXDB": "off"}
    try:
        assert make("up", env=env).returncode == 0
        web = f"http://127.0.0.1:{env['WEB_PORT']}"
        wait_until(lambda: len(workers_of(web)) == 1, 30, "the Go worker to join")
        port_hex = f"{int(env['MASTER_PORT']):04X}"
        listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if line.split()[1].endswith(":" + port_hex) and line.split()[3] == "0A"]
        assert listening == ["0100007F:" + port_hex], listening  # 127.0.0.1 only, not 0.0.0.0
    finally:
        make("down", env=env)


def test_https_is_verified_by_default_and_trusts_the_ca_given(procs, tmp_path):
    """InfluxDB over https with a self-signed certificate: refused without --influxdb-ca-file
    (exit 2, naming the option and OpenSSL's reason), accepted with it. A CA file that does not hold
    its CA, or a URL whose host the certificate does not name, is refused naming what to change
    (both were told to pass --influxdb-ca-file, which was given)."""
    with InfluxServer(tmp_path / "tls-influxdb", tls=True) as influx:
        args = ["--influxdb-url", influx.url, "--spool-dir", str(tmp_path / "spool")]
        unverified = Master(procs, *args, name="master-without-ca")
        assert unverified.proc.wait(30) == 2
        assert f"InfluxDB at {influx.url}: TLS verification failed (self-signed certificate); pass the CA with " \
               "--influxdb-ca-file" in unverified.proc.log()

        other_ca = Path(certifi.where())
        wrong_ca = Master(procs, *args, "--influxdb-ca-file", str(other_ca), name="master-with-another-ca")
        assert wrong_ca.proc.wait(30) == 2
        assert f"TLS verification failed (self-signed certificate); --influxdb-ca-file '{other_ca}' does not hold " \
               "the CA that signed its certificate" in wrong_ca.proc.log()

        by_name = influx.url.replace("127.0.0.1", "localhost")  # the certificate names 127.0.0.1 only
        wrong_host = Master(procs, "--influxdb-url", by_name, "--spool-dir", str(tmp_path / "spool"),
                            "--influxdb-ca-file", str(influx.cert), name="master-with-another-host-name")
        assert wrong_host.proc.wait(30) == 2
        assert f"InfluxDB at {by_name}: TLS verification failed (Hostname mismatch, certificate is not valid for " \
               "'localhost'); use a host name the certificate names in --influxdb-url" in wrong_host.proc.log()

        verified = Master(procs, *args, "--influxdb-ca-file", str(influx.cert), name="master-with-ca")
        wait_until(lambda: "Created InfluxDB database 'locust'" in verified.proc.log(), 30,
                   "the master to reach InfluxDB over verified https")
        assert verified.proc.alive()
        assert ["locust"] in influx.query("SHOW DATABASES")[0]["values"]


TARGET_SECRET = "tgt-Pa55-91c4e"


def with_password(url: str) -> str:
    return url.replace("http://", f"http://alice:{TARGET_SECRET}@") + "/"


@pytest.mark.parametrize("given", ["-H", "LOCUST_HOST"])
def test_a_password_in_the_target_url_is_in_no_report_file_nor_log(procs, go_bin, influx, tmp_path, given):
    """A headless run whose host has a password: Locust's --html report showed it; the CSV files,
    the JSON file, the run record, the summary and the logs are checked with it. The workers still
    send with the password (the target counted their requests)."""
    target = Target(procs, go_bin["target"])
    host = with_password(target.url)
    reports = tmp_path / "reports"
    args = ["--headless", "-u", "2", "-r", "2", "-t", "3s", "--expect-workers", "1", "--html",
            str(reports / "report.html"), "--csv", str(reports / "stats"), "--json-file", str(reports / "stats"),
            *influx_args(influx, tmp_path)]
    master = Master(procs, *args, *(["-H", host] if given == "-H" else []),
                    env={"LOCUST_HOST": host} if given == "LOCUST_HOST" else None)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", host)
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    assert sum(target.counts().values()) > 0
    files = {p.name: p.read_text(errors="replace") for p in reports.iterdir()}
    assert {"report.html", "stats.json", "stats_stats.csv", "stats_failures.csv"} <= set(files), sorted(files)
    assert [name for name, text in files.items() if TARGET_SECRET in text] == []
    assert f"alice:***@{target.url[len('http://'):]}/" in files["report.html"]
    assert [r["host"] for r in rows(influx.query("SELECT host FROM locust_runs"))] == [
        host.replace(TARGET_SECRET, "***")]
    assert TARGET_SECRET not in master.proc.log() + worker.log()


def test_a_password_in_the_target_url_is_not_shown_in_the_web_ui(procs, go_bin):
    """The web UI's page, its start form's answers, /stats/report and the download file names showed
    the host with its password. The page shows it as ***, and the form sends that back for -H: the
    master keeps the host with its password, which the spawn messages carry to the workers."""
    target = Target(procs, go_bin["target"])
    host = with_password(target.url)
    shown = host.replace(TARGET_SECRET, "***")
    master = Master(procs, "-H", host)
    start_worker(procs, go_bin["worker"], master.port, "--target", host)
    wait_until(lambda: len(master.workers()) == 1, 30, "the Go worker to join")
    fake = FakeWorker("127.0.0.1", master.port)
    try:
        fake.send("client_ready", -1)
        fake.pump(10, until=lambda: len(master.workers()) == 2)
        page = requests.get(master.web + "/", timeout=10).text
        assert TARGET_SECRET not in page and f'"host": "{shown}"' in page
        for host_sent in (shown, host):  # the form as the page filled it, or typed with the password
            answer = requests.post(master.web + "/swarm", data={"user_count": 2, "spawn_rate": 2, "host": host_sent},
                                   timeout=10)
            assert answer.json()["success"] and answer.json()["host"] == shown, answer.text
        fake.pump(10, until=lambda: fake.first("spawn") is not None)
        assert fake.first("spawn").data["host"] == host  # what a Locust Python worker's users send to
        wait_until(lambda: sum(target.counts().values()) > 0, 20, "traffic at the target")
        answers = [requests.get(master.web + path, timeout=10) for path in (
            "/stats/report", "/stats/report?download=1", "/stats/requests/csv", "/stats/failures/csv",
            "/stats/requests")]
        assert all(a.status_code == 200 for a in answers)
        shown_in = [a.url for a in answers if TARGET_SECRET in a.text + str(a.headers)]
        assert shown_in == [] and shown in answers[0].text
        assert shown in answers[1].headers["Content-Disposition"]
        refused = requests.post(master.web + "/swarm", timeout=10, data={
            "user_count": 2, "spawn_rate": 2, "host": host.replace(TARGET_SECRET, "other-pw")})
        assert not refused.json()["success"] and TARGET_SECRET not in refused.text and "other-pw" not in refused.text
    finally:
        fake.close()  # it quits: the stop's drain waits for the Go worker alone
    master.stop()
    assert TARGET_SECRET not in master.proc.log()


@pytest.mark.parametrize("credentials", [
    {"LOCUST_INFLUXDB_TOKEN": SECRET}, {"LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": SECRET},
], ids=["token", "password"])
def test_the_influxdb_secrets_are_not_sent_to_the_workers(procs, tmp_path, credentials):
    """Locust sends its parsed options to every worker in each spawn message, and the worker port
    has no authentication: whoever registered there was sent the InfluxDB token or password."""
    master = Master(procs, "--influxdb-url", f"http://127.0.0.1:{free_port()}", "--spool-dir", str(tmp_path / "spool"),
                    env=credentials)
    wait_until(lambda: "the test runs anyway" in master.proc.log(), 20, "the master to start")
    stranger = FakeWorker("127.0.0.1", master.port)
    try:
        stranger.send("client_ready", -1)
        stranger.pump(10, until=lambda: len(master.workers()) == 1)
        requests.post(master.web + "/swarm", data={"user_count": 1, "spawn_rate": 1}, timeout=10).raise_for_status()
        stranger.pump(10, until=lambda: stranger.first("spawn") is not None)
        spawn = stranger.first("spawn")
        assert spawn is not None and "influxdb_url" in spawn.data["parsed_options"]
        assert SECRET not in repr(spawn.data)
    finally:
        stranger.close()


def test_a_password_in_make_ups_target_is_on_no_command_line(tmp_path):
    """make up passed TARGET as the master's -H and each worker's --target: its password showed in
    every process listing. Both now read it from LOCUST_HOST."""
    run_dir = tmp_path / "run"
    env = {"RUN_DIR": str(run_dir), "MASTER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "TARGET_PORT": str(free_port()), "WORKERS": "1", "INFLUXDB": "off",
           "TARGET": f"http://alice:{TARGET_SECRET}@127.0.0.1:{free_port()}/"}
    try:
        up = make("up", env=env)
        assert up.returncode == 0, up.stdout + up.stderr
        web = f"http://127.0.0.1:{env['WEB_PORT']}"
        wait_until(lambda: len(workers_of(web)) == 1, 30, "the Go worker to join")
        cmdlines = cmdlines_of_groups({int(p.read_text()) for p in run_dir.glob("*.pid")})
        assert len(cmdlines) >= 2 and not [c for c in cmdlines if TARGET_SECRET in c], cmdlines
        shown = env["TARGET"].replace(TARGET_SECRET, "***")
        assert shown in requests.get(web + "/", timeout=10).text  # the master's host
        assert env["TARGET"].replace(TARGET_SECRET, "xxxxx").rstrip("/") in (run_dir / "worker1.log").read_text()
    finally:
        make("down", env=env)
