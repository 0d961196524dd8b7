"""docs/go-tasks.md as written: a module of one's own, outside the repository, with the go.mod the
page shows (its replace directive pointing at a clone of the repository), built offline both ways
the page shows (`go mod tidy` and `go build -mod=mod`) from what `make setup` downloaded, builds a
worker from examples/custom; both workers send HTTP through a real master's test, and Locust counts
exactly what the target served."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.builds]

DOC = (REPO / "docs" / "go-tasks.md").read_text()
OFFLINE = {"GOPROXY": "off"}  # what make setup downloaded must be enough: nothing is fetched here


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def build_commands(block: str) -> list[str]:
    """The block's commands that build (not `cd`, not running the worker), comments dropped."""
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith(("cd ", "./worker"))]


def build_module(parent, name: str, commands: list[str]):
    """A module of one's own beside the clone, built offline with the page's go.mod and COMMANDS."""
    module = parent / name
    module.mkdir()
    (module / "go.mod").write_text(gomod)
    env = {**os.environ, **OFFLINE}
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{name}: {command}: {result.stderr}"
    assert "locustfleet/worker v0.0.0" in (module / "go.mod").read_text()
    assert "github.com/myzhan/boomer" in (module / "go.mod").read_text()  # the requirements were added
    assert not (module / "vendor").exists()
    return module / "worker"


(gomod,) = blocks("gomod")


def test_a_module_of_ones_own_builds_offline_both_ways_and_sends_http(procs, go_bin, tmp_path):
    tidy_block, offline_block = blocks("sh")
    assert build_commands(tidy_block) == ["cp ../locust-fleet/workers-go/examples/custom/main.go .",
                                          "cp ../locust-fleet/workers-go/go.sum .",
                                          "go mod tidy", "go build -o worker ."]
    assert build_commands(offline_block) == [
        "cp ../locust-fleet/workers-go/examples/custom/main.go . && cp ../locust-fleet/workers-go/go.sum .",
        "go build -mod=mod -o worker ."]
    (tmp_path / "locust-fleet").symlink_to(REPO)  # the clone, as the page lays it out
    workers = [build_module(tmp_path, "my-load-tests", build_commands(tidy_block)),
               build_module(tmp_path, "my-offline-tests", build_commands(offline_block))]

    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "3s", "--expect-workers", "2", "-H", target.url)
    started = [start_worker(procs, worker, master.port, "--target", target.url) for worker in workers]
    assert master.proc.wait(60) == 0, master.proc.log()[-2000:]
    assert [worker.wait(30) for worker in started] == [0, 0]
    counted = re.findall(r"^GET\s+/\s+(\d+)\s+\d+\(", master.proc.log(), re.M)  # the statistics table
    served = target.counts().get("GET /", 0)
    assert served > 0 and int(counted[-1]) == served, (counted, served)
