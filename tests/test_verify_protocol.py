"""`pybridge verify-protocol` against real workers (the Go worker, a Locust Python worker) and
against deliberately broken ones, each of which must fail naming the broken invariant. The command
runs as its own process, as a user runs it (this test process is patched by gevent, through
Locust, which would change how the fake master's sockets and the target's threads behave)."""

import ast
import json
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from py_bridge.cli import app, print_results, summary
from py_bridge.contract import DEVIATION, FAIL, PASS, Result
from py_bridge.verify import DEFAULT_USER_CLASS
from harness.parts import Master
from harness.procs import REPO, VENV_BIN, free_port

pytestmark = pytest.mark.e2e
BROKEN = f"{sys.executable} {REPO / 'tests' / 'contract' / 'broken_worker.py'} {{host}} {{port}}"


def verify(*args: str) -> tuple[int, dict[str, dict]]:
    """Exit code, and the results by invariant."""
    proc = subprocess.run([str(VENV_BIN / "pybridge"), "verify-protocol", "--json", *args], capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, {r["invariant"]: r for r in json.loads(proc.stdout)["results"]}


def test_go_worker_passes_with_its_quirks_reported_as_handled(go_bin):
    cmd = (f"{go_bin['worker']} --master-host {{host}} --master-port {{port}} --target {{target}} "
           f"--scenario {REPO / 'py_bridge' / 'data' / 'verify_scenario.yaml'}")
    code, results = verify("--worker-cmd", cmd)
    got = {name: r["status"] for name, r in results.items()}
    assert code == 0 and FAIL not in got.values(), results
    assert got["counts equal what the target served"] == PASS
    assert got["quirk: min_response_time 0 without requests"] == DEVIATION
    assert got["quirk: no final report at stop"] == DEVIATION
    counts = [list(got.values()).count(status) for status in (PASS, DEVIATION)]
    shown = f"verify-protocol: OK: {len(got)} invariants: {counts[0]} pass, {counts[1]} handled deviations"
    assert shown in (REPO / "README.md").read_text(), f"the README's example summary is not {shown!r}"


def test_locust_python_worker_passes_everything():
    cmd = (f"{REPO / '.venv' / 'bin' / 'locust'} -f {REPO / 'tests' / 'locustfiles' / 'python_worker.py'} "
           "--worker --master-host {host} --master-port {port}")
    code, results = verify("--worker-cmd", cmd)
    assert code == 0 and {r["status"] for r in results.values()} == {PASS}, results


@pytest.mark.parametrize("fault, invariant, detail", [
    ("bucket", "stats: buckets on Locust's grid", "home: response_times bucket 101 is not on Locust's grid"),
    ("arithmetic", "stats: arithmetic", "num_reqs_per_sec adds up to"),
    ("heartbeat", "heartbeat cadence", "only 0 heartbeats"),
    ("handshake", "messages: decode and validate",
     "client_ready: expected a version string, or -1 (any version), got int 0"),
    ("stop", "step: stop", "no client_stopped within 10 s"),
    ("counts", "counts equal what the target served", "reports add up to"),
    ("spawn-count", "messages: each agrees with itself",
     "spawning_complete: user_count 4 but user_classes_count adds up to 3 (the master counts users from the classes)"),
    ("missing", "messages: each agrees with itself", "heartbeat: state: got 'missing'; only the master marks"),
    ("logs", "messages: each agrees with itself", "logs: worker_id 'another-worker' is not the sender"),
    ("total-bytes", "stats: each report agrees with itself", "entries' total_content_length add up to 0"),
])
def test_broken_worker_fails_naming_the_invariant(fault, invariant, detail):
    code, results = verify("--worker-cmd", f"{BROKEN} {fault}", "--user-class", "Anything", "--observe", "2")
    failed = {name: r["detail"] for name, r in results.items() if r["status"] == FAIL}
    assert code == 1 and invariant in failed, failed
    assert detail in failed[invariant]


def test_cli_usage_errors_exit_2():
    result = CliRunner().invoke(app, ["verify-protocol", "--worker-cmd", "worker {nope}"])
    assert result.exit_code == 2 and "--worker-cmd" in result.output
    result = CliRunner().invoke(app, ["verify-protocol", "--worker-cmd", "/no/such/worker {port}"])
    assert result.exit_code == 2 and "cannot run it" in result.output


def test_default_user_class_is_the_master_locustfiles_placeholder():
    tree = ast.parse((REPO / "master" / "locustfile.py").read_text())
    assert [n.name for n in tree.body if isinstance(n, ast.ClassDef)] == [DEFAULT_USER_CLASS]


def test_fake_worker_verifies_a_real_master(procs):
    master = Master(procs, "--headless", "-u", "2", "-r", "2", "-t", "8s", "--expect-workers", "1")
    code, results = verify("--master", f"127.0.0.1:{master.port}")
    assert code == 0 and {r["status"] for r in results.values()} == {PASS}, results
    assert results["master: spawn"]["detail"] == "2 users"
    master.proc.wait(60)


def test_fake_worker_says_when_no_master_is_there():
    port = free_port()
    proc = subprocess.run([str(VENV_BIN / "pybridge"), "verify-protocol", "--master", f"127.0.0.1:{port}",
                           "--connect-timeout", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and f"no master at 127.0.0.1:{port} (Connection refused; tried for 2 s)" in proc.stdout
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("verify-protocol: FAILED (") and "master: ack" in last, proc.stdout


def test_fake_worker_fails_when_what_listens_does_not_answer_as_a_master():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        port = silent.getsockname()[1]
        proc = subprocess.run([str(VENV_BIN / "pybridge"), "verify-protocol", "--master", f"127.0.0.1:{port}",
                               "--connect-timeout", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "no ack within 2 s" in proc.stdout, proc.stdout


def test_fake_worker_waits_20_s_for_a_master_unless_told(monkeypatch):
    waited = []
    monkeypatch.setattr("py_bridge.cli.verify_master", lambda host, port, connect, spawn, run_for: waited.append(connect) or [])
    for args, seconds in (([], 20.0), (["--connect-timeout", "45"], 45.0)):
        CliRunner().invoke(app, ["verify-protocol", "--master", "127.0.0.1:5557", *args])
        assert waited.pop() == seconds
    result = CliRunner().invoke(app, ["verify-protocol", "--master", "127.0.0.1:5557", "--connect-timeout", "0"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "--connect-timeout" in result.output, result.output


def test_text_results_keep_details_whole_and_end_with_a_one_line_summary(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    path = "/" + "/".join(["a-rather-long-directory-name"] * 5) + "/normalise.py"
    results = [Result("step: handshake", PASS, "completed"),
               Result("quirk: something", DEVIATION, f"handled: {path} corrects it"),
               Result("stats: arithmetic", FAIL, "num_reqs_per_sec adds up to 3")]
    print_results(results)
    shown = capsys.readouterr().out
    assert path in shown and "…" not in shown, shown
    assert summary(results) == ("verify-protocol: FAILED (stats: arithmetic): 3 invariants: 1 pass, "
                                "1 handled deviation, 1 fail")
    assert summary(results[:2]) == "verify-protocol: OK: 2 invariants: 1 pass, 1 handled deviation"


def test_help_describes_every_command_and_each_command_gives_its_own_exit_codes():
    runner = CliRunner()
    top = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output.split())
    commands = [c.name for c in app.registered_commands if not c.hidden]
    assert commands == ["verify-protocol", "fuzz-master"]
    for name in commands:
        assert name in top
        own = " ".join(runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output.split())
        assert "Exit codes: 0 " in own and "2 usage error" in own, own
    assert "Exit codes" not in top  # each command's --help gives its own
    verify_help = " ".join(runner.invoke(app, ["verify-protocol", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "1 an invariant failed" in verify_help and str(REPO) not in verify_help


def test_cli_rejects_a_bad_master_address():
    result = CliRunner().invoke(app, ["verify-protocol", "--master", "nohostport"])
    assert result.exit_code == 2 and "expected HOST:PORT" in result.output


def test_cli_rejects_an_empty_worker_command():
    result = CliRunner().invoke(app, ["verify-protocol", "--worker-cmd", " "], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "--worker-cmd" in result.output and "got ''; expected a command" in result.output
