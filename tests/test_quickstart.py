"""docs/quickstart.md as written: its commands, from the Go build on, run in one shell in the
page's order (with free ports and a temporary directory in place of the page's), and do what the
page says: Locust counts what the target served, the run is exported to the throwaway influxd and
listed by `locust-fleet runs list`. Also: every headless `locust` command of the docs and the
README has --expect-workers, and the target's flags are the ones the page lists."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from harness.procs import REPO, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.builds]

PAGE = (REPO / "docs" / "quickstart.md").read_text()
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -e ."


def commands() -> list[str]:
    """The page's shell blocks, joined; the venv line is the one not run (the tests run in that venv)."""
    script = "\n".join(re.findall(r"```sh\n(.*?)```", PAGE, re.S))
    assert script.startswith(INSTALL + "\n")
    return script[len(INSTALL) + 1:]


def test_the_quickstart_runs_as_written(tmp_path):
    # free_port: five different ports, below the ephemeral range (the page's commands bind a port
    # again after a process released it, and an outgoing connection may take a released ephemeral
    # one in between), from this test process's own slice (no other test process draws them).
    ports = {port: str(free_port()) for port in ("8080", "5557", "8089", "8086", "8088")}
    script = commands().replace("/tmp/influx-quickstart", str(tmp_path / "influx"))
    script = re.sub(r"127\.0\.0\.1:(8080|8086|8088)\b", lambda m: "127.0.0.1:" + ports[m.group(1)], script)
    script = re.sub(r"(--master-bind-port|--master-port|--web-port) (5557|8089)\b",
                    lambda m: f"{m.group(1)} {ports[m.group(2)]}", script)
    assert not re.search(r"\b(8080|5557|8089|8086|8088)\b", script), script
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    log = tmp_path / "quickstart.log"  # a file, not a pipe: the target and influxd keep running after the script
    with open(log, "w") as output:
        proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=REPO, env={**env, "COLUMNS": "250"},
                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=240)
        out = log.read_text()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the target and influxd, left running as the page says
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, out[-4000:]
    served = [json.loads(line) for line in out.splitlines() if line.startswith('{"GET /"')]
    assert len(served) == 1 and served[0]["GET /"] > 0, out[-4000:]
    first_run = out[:out.index('{"GET /"')]  # what came before step 3's curl
    counted = re.findall(r"^GET\s+/\s+(\d+)\s+\d+\(", first_run, re.M)  # Locust's statistics tables
    assert int(counted[-1]) == served[0]["GET /"], (served, counted[-3:])
    assert "env=quickstart" in out and "stopped" in out, out[-3000:]


def headless_locust_commands(text: str) -> list[str]:
    lines = text.replace("\\\n", " ").splitlines()
    return [line for line in lines if re.search(r"\blocust\b.*--headless", line) and "make up" not in line]


DOCS = [REPO / "README.md", REPO / "deploy" / "README.md", *(REPO / "docs").glob("*.md")]


@pytest.mark.parametrize("doc", sorted(p.relative_to(REPO).as_posix() for p in DOCS))
def test_every_headless_example_expects_its_workers(doc):
    for command in headless_locust_commands((REPO / doc).read_text()):
        assert "--expect-workers" in command, f"{doc}: {command}"


def test_the_target_flags_are_the_ones_the_page_lists(go_bin):
    result = subprocess.run([str(go_bin["target"]), "-h"], capture_output=True, text=True, timeout=10)
    flags = set(re.findall(r"^\s+-(\S+)", result.stderr, re.M))
    assert flags == {"listen", "tls-cert", "tls-key", "tls-client-ca"}, result.stderr
    assert "`--listen HOST:PORT` (default `127.0.0.1:8080`" in PAGE
    for flag in sorted(flags - {"listen"}):
        assert f"`--{flag}`" in PAGE, flag
    assert Path(REPO / "workers-go" / "examples" / "scenarios" / "flow.yaml").is_file()
