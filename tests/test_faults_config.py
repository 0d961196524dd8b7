"""Bad configuration, end to end: every option of the master plugin and every flag of the Go
worker with a wrong value. Outcome: a message naming the option, the value and what was expected,
a non-zero exit, and nothing started or written — the worker never connects to its master, the
master never opens its ports nor creates its spool."""

from __future__ import annotations

import socket
import subprocess

import pytest

from harness.procs import REPO, VENV_BIN, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

WORKER_FLAGS = [
    (["--master-port", "0"], '--master-port: got "0"; expected a port from 1 to 65535'),
    (["--master-port", "abc"], '--master-port: got "abc"; expected a whole number'),
    (["--master-host", ""], "--master-host: missing"),
    (["--connect-timeout", "0s"], "--connect-timeout: got 0s; expected a positive duration"),
    (["--max-rps", "-1"], '--max-rps: got "-1"; expected requests per second >= 0'),
    (["--request-increase-rate", "fast"], '--request-increase-rate: got "fast"; expected N or N/DURATION'),
    (["--cpu-profile", "/no/such/dir/cpu.prof"], '--cpu-profile: got "/no/such/dir/cpu.prof"; its directory'),
    (["--mem-profile-duration", "-3s"], "--mem-profile-duration: got -3s; expected a positive duration"),
    (["--run-tasks", "nosuch"], '--run-tasks: no task named "nosuch"'),
    (["--target", "ftp://example"], '--target: "ftp://example" is not an http(s) URL'),
    (["--target", "http://:8080"], '--target: "http://:8080" is not an http(s) URL'),
    (["-H", "http://u:secret@127.0.0.1:80800"], '-H: "http://u:xxxxx@127.0.0.1:80800": port 80800 is out of range'),
    (["--master-host", "http://127.0.0.1"], '--master-host: got "http://127.0.0.1"; expected a host name or IP address'),
    (["--reset-header", "X Reset"], '--reset-header: got "X Reset"; expected a header name'),
    (["--scenario", "/no/such/scenario.yaml"], 'cannot read scenario file "/no/such/scenario.yaml"'),
    (["stray-argument"], 'unexpected argument "stray-argument"'),
]


@pytest.mark.parametrize("args, message", WORKER_FLAGS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_worker_rejects_a_bad_flag_before_connecting(go_bin, args, message):
    with socket.socket() as master:  # a stand-in master port that records whether anyone connects
        master.bind(("127.0.0.1", 0))
        master.listen()
        master.setblocking(False)
        port = master.getsockname()[1]
        base = ["--master-host", "127.0.0.1", "--master-port", str(port), "--target", "http://127.0.0.1:9"]
        result = subprocess.run([str(go_bin["worker"]), *base, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr, result.stderr
        assert "secret" not in result.stderr + result.stdout  # a URL's password is never printed
        with pytest.raises(BlockingIOError):
            master.accept()  # nobody connected


def test_worker_scenario_errors_name_line_and_field(go_bin, tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("requests:\n  - path: /\n    weight: 0\n")
    result = subprocess.run([str(go_bin["worker"]), "--scenario", str(scenario), "--master-port", str(free_port())],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert 'line 3: requests[0].weight: got "0"; expected a whole number > 0' in result.stderr


MASTER_OPTIONS = [
    (["--influxdb-url", "influx:8086"], "--influxdb-url: got 'influx:8086'; expected http://HOST:PORT"),
    (["--influxdb-url", "http://[::1"], "--influxdb-url: got 'http://[::1'; expected http://HOST:PORT"),
    (["--influxdb-url", "http://127.0.0.1:99999"], "--influxdb-url: got 'http://127.0.0.1:99999'; expected"),
    (["--influxdb-url", "http://x:8086", "--influxdb-database", ""], "--influxdb-database: empty"),
    (["--influxdb-url", "http://x:8086", "--influxdb-username", "u"], "give both or neither"),
    (["--influxdb-url", "http://x:8086", "--influxdb-interval", "0"], "--influxdb-interval: got 0; expected"),
    (["--influxdb-url", "http://x:8086", "--influxdb-timeout", "-2"], "--influxdb-timeout: got -2; expected"),
    (["--influxdb-url", "https://x:8086", "--influxdb-ca-file", "/no/ca.pem"], "--influxdb-ca-file: cannot read"),
    (["--influxdb-url", "http://x:8086", "--run-tag", "env"], "--run-tag: got 'env'; expected KEY=VALUE"),
    (["--influxdb-url", "http://x:8086", "--spool-dir", "/etc/hostname/spool"], "--spool-dir: got '/etc/hostname/spool'"),
    (["-u", "-1"], "-u/--users: got -1; expected a whole number of users from 0 to 9223372036854775807"),
    (["-u", "99999999999999999999"], "-u/--users: got 99999999999999999999; expected a whole number of users from 0"),
    (["--drain-timeout", "-1"], "--drain-timeout: got -1; expected 0 (off) or a number of seconds"),
    (["--drain-timeout", "nan"], "--drain-timeout: got nan; expected 0 (off) or a number of seconds"),
    (["--influxdb-interval", "soon"], "argument --influxdb-interval: invalid float value: 'soon'"),
    (["--threshold", "p95<<1s"], "--threshold: got 'p95<<1s'; expected a number after '<'"),
    (["--threshold", "latency<1s"], "--threshold: got 'latency<1s'; unknown metric 'latency'"),
    (["--junit-xml", "out.xml"], "--junit-xml: got 'out.xml' but no --threshold"),
    (["--threshold", "p95<1s", "--junit-xml", "/etc/hostname/t.xml"], "--junit-xml: got '/etc/hostname/t.xml'"),
]


@pytest.mark.parametrize("args, message", MASTER_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_master_rejects_a_bad_option_and_starts_nothing(tmp_path, args, message):
    port, web_port = free_port(), free_port()
    spool = tmp_path / "spool"
    extra = [] if "--spool-dir" in args else ["--spool-dir", str(spool)]
    result = subprocess.run([str(VENV_BIN / "locust"), "-f", str(REPO / "master" / "locustfile.py"), "--master",
                             "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--web-host",
                             "127.0.0.1", "--web-port", str(web_port), "--headless", "-t", "5s", *extra, *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not spool.exists(), "the spool was created"
    for p in (port, web_port):  # both ports are free again (or were never taken)
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))
