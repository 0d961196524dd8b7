"""docs/go-tasks.md as written: a module of one's own, outside the repository, with the go.mod the
page shows (its replace directive pointing at a clone of the repository) and its build commands,
builds a worker from examples/custom; that worker sends HTTP through a real master's test, and
Locust counts exactly what the target served."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO

pytestmark = pytest.mark.e2e

DOC = (REPO / "docs" / "go-tasks.md").read_text()


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", DOC, re.S)
    assert len(found) == 1, f"docs/go-tasks.md: expected one {language} block, found {len(found)}"
    return found[0]


def test_a_module_of_ones_own_builds_a_worker_that_sends_http(procs, go_bin, tmp_path):
    (tmp_path / "locust-fleet").symlink_to(REPO)  # the clone, as the page lays it out
    module = tmp_path / "my-load-tests"
    module.mkdir()
    (module / "go.mod").write_text(block("gomod"))
    commands = [line.split("#")[0].strip() for line in block("sh").splitlines()]
    build = [c for c in commands if c and not c.startswith(("cd ", "./worker"))]
    assert build == ["cp ../locust-fleet/workers-go/examples/custom/main.go .",
                     "cp ../locust-fleet/workers-go/go.sum .",
                     "go mod tidy", "go build -o worker ."]
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod"}  # offline: the module cache has every dependency
    for command in build:
        result = subprocess.run(command, shell=True, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    assert "locustfleet/worker v0.0.0" in (module / "go.mod").read_text()
    assert not (module / "vendor").exists()

    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "2", "-r", "2", "-t", "3s", "--expect-workers", "1", "-H", target.url)
    worker = start_worker(procs, module / "worker", master.port, "--target", target.url)
    assert master.proc.wait(60) == 0, master.proc.log()[-2000:]
    assert worker.wait(30) == 0
    counted = re.findall(r"^GET\s+/\s+(\d+)\s+\d+\(", master.proc.log(), re.M)  # the statistics table
    served = target.counts().get("GET /", 0)
    assert served > 0 and int(counted[-1]) == served, (counted, served)

