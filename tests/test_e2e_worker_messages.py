"""What the Go worker says about its master: a wrong --master-port is named within seconds (while
the worker keeps retrying up to --connect-timeout), the master's address is logged and never the
loopback relay's, flags are checked before the worker says what it will send, and a scenario file
reports all its mistakes at once."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import free_port, wait_until

pytestmark = pytest.mark.e2e


def logged_at(log: str, message: str) -> float:
    """When the Go worker logged message: its line's time stamp (log.Printf's, to the second)."""
    line = next(line for line in log.splitlines() if message in line)
    return time.mktime(time.strptime(line[:19], "%Y/%m/%d %H:%M:%S"))


def test_a_port_without_a_master_is_named_at_once(procs, go_bin):
    port = free_port()
    started = time.monotonic()
    worker = start_worker(procs, go_bin["worker"], port, "--target", "http://127.0.0.1:9", "--connect-timeout", "4s")
    said = f"worker: no master at 127.0.0.1:{port} (connection refused); retrying for up to 4s (--connect-timeout)"
    assert worker.wait(20) == 1
    assert time.monotonic() - started >= 4
    log = worker.log()
    gave_up = f"no master answered at 127.0.0.1:{port} within 4s (last error: connection refused)"
    assert said in log and gave_up in log, log
    # At once: seconds before it gave up, by the worker's own clock (its log's time stamps, to the
    # second), not within 3 s of this test's start, which a loaded machine can spend starting it.
    assert logged_at(log, gave_up) - logged_at(log, said) >= 3, log
    assert "locust version" not in log and "broken pipe" not in log and "Boomer" not in log
    assert log.count("no master at") == 1  # said once, not at every retry


def test_a_port_that_is_not_a_master_says_so(procs, go_bin):
    web = Target(procs, go_bin["target"])  # an HTTP server, as the master's web UI port would be
    port = int(web.url.rsplit(":", 1)[1])
    worker = start_worker(procs, go_bin["worker"], port, "--target", "http://127.0.0.1:9", "--connect-timeout", "5s")
    wait_until(lambda: f"no master at 127.0.0.1:{port} (something a" in worker.log(), 8,
               "the worker to say what answers")
    assert "is it the master's worker port (--master-bind-port, default 5557)?" in worker.log()
    assert worker.wait(20) == 1


def test_the_log_names_the_master_and_not_the_relay(procs, go_bin):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "1", "-r", "1", "-t", "2s", "--expect-workers", "1", "-H", target.url)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    assert master.proc.wait(60) == 0
    assert worker.wait(30) == 0
    log = worker.log()
    assert f"Boomer is connected to master(tcp://127.0.0.1:{master.port})" in log
    named = set(re.findall(r"127\.0\.0\.1:(\d+)", log)) - {str(master.port), target.url.rsplit(":", 1)[1]}
    assert not named, f"the log names ports that are neither the master's nor the target's: {named}"
    assert f'worker: will run tasks "/" against {target.url}' in log


def test_flags_are_checked_before_the_worker_says_what_it_sends(go_bin):
    result = subprocess.run([str(go_bin["worker"]), "--master-port", str(free_port()), "--target",
                             "http://127.0.0.1:9", "--max-rps=-5"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        'worker: --max-rps: got "-5"; expected requests per second >= 0 (0: no limit)')
    assert "will run" not in result.stderr


def test_a_scenario_file_reports_every_mistake_at_once(go_bin, tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("host: ftp://x\ntasks:\n  - name: a\n    weight: 0\n    path: /\n  - name: b\n    path: x\n"
                        "    method: FETCH\n")
    result = subprocess.run([str(go_bin["worker"]), "--scenario", str(scenario), "--master-port", str(free_port())],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    for mistake in ('host: "ftp://x" is not an http(s) URL', "line 4: tasks[0].weight", "line 7: tasks[1].path",
                    "line 8: tasks[1].method"):
        assert mistake in result.stderr, result.stderr
