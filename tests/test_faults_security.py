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

from harness.influxd import InfluxServer, rows
from harness.parts import Master, make, workers_of
from harness.procs import VENV_BIN, free_port, wait_until

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
