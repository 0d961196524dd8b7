"""docs/go-tasks.md as written: a module of one's own, outside the repository, with the go.mod the
page shows (its replace directive pointing at a clone of the repository), built offline both ways
the page shows (`go mod tidy` and `go build -mod=mod`) from what `make setup` downloaded, builds a
worker from examples/custom; both workers send HTTP through a real master's test, and Locust counts
exactly what the target served."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO, get_json

pytestmark = [pytest.mark.e2e, pytest.mark.builds]

DOC = (REPO / "docs" / "go-tasks.md").read_text()
OFFLINE = {"GOPROXY": "off"}  # what make setup downloaded must be enough: nothing is fetched here


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def build_commands(block: str) -> list[str]:
    """The block's commands that build (not `cd`, not running the worker), comments dropped."""
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith(("cd ", "./worker"))]


def build_module(parent, name: str, commands: list[str], main_go: str = "", uses_boomer: bool = True):
    """A module of one's own beside the clone, built offline with the page's go.mod and COMMANDS
    (after writing MAIN_GO as its main.go, when given); USES_BOOMER: its main imports lifecycle."""
    module = parent / name
    module.mkdir()
    (module / "go.mod").write_text(gomod)
    if main_go:
        (module / "main.go").write_text(main_go)
    env = {**os.environ, **OFFLINE}
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{name}: {command}: {result.stderr}"
    assert "locustfleet/worker v0.0.0" in (module / "go.mod").read_text()
    required = re.search(r"^\s*(require\s+)?github\.com/myzhan/boomer v", (module / "go.mod").read_text(), re.M)
    assert bool(required) == uses_boomer  # the requirements were added
    assert not (module / "vendor").exists()
    return module / "worker"


(gomod,) = blocks("gomod")


def flags_of(worker) -> set[str]:
    usage = subprocess.run([str(worker), "-h"], capture_output=True, text=True, timeout=10).stderr
    return set(re.findall(r"^  -(\S+)", usage, re.M))


def test_a_module_of_ones_own_builds_offline_both_ways_and_sends_http(procs, go_bin, tmp_path):
    tidy_block, _, offline_block, _ = blocks("sh")
    assert build_commands(tidy_block) == ["cp ../locust-fleet/workers-go/examples/custom/main.go .",
                                          "cat ../locust-fleet/workers-go/go.sum >> go.sum",
                                          "go mod tidy", "go build -o worker ."]
    assert build_commands(offline_block) == [
        "cp ../locust-fleet/workers-go/examples/custom/main.go . && cat ../locust-fleet/workers-go/go.sum >> go.sum",
        "go build -mod=mod -o worker ."]
    (tmp_path / "locust-fleet").symlink_to(REPO)  # the clone, as the page lays it out
    workers = [build_module(tmp_path, "my-load-tests", build_commands(tidy_block)),
               build_module(tmp_path, "my-offline-tests", build_commands(offline_block))]

    # the page names the flags of the project's own command that such a worker does not have
    missing = flags_of(go_bin["worker"]) - flags_of(workers[0])
    assert {"scenario", "check", "tls-ca-file"} <= missing, missing
    said = re.search(r"It does not\s+have the flags of the project's own command \(([^)]*)\)", DOC)
    assert said, "the page says which flags a worker of one's own lacks"
    for flag in missing:
        assert f"`--{flag}`" in said[1] or (flag.startswith("tls-") and "`--tls-*`" in said[1]), (flag, said[1])

    target = Target(procs, go_bin["target"])
    master = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "3s", "--expect-workers", "2", "-H", target.url)
    started = [start_worker(procs, worker, master.port, "--target", target.url) for worker in workers]
    assert master.proc.wait(60) == 0, master.proc.log()[-2000:]
    assert [worker.wait(30) for worker in started] == [0, 0]
    counted = re.findall(r"^GET\s+/\s+(\d+)\s+\d+\(", master.proc.log(), re.M)  # the statistics table
    served = target.counts().get("GET /", 0)
    assert served > 0 and int(counted[-1]) == served, (counted, served)


def test_the_example_of_users_with_accounts_state_checks_and_an_open_model(procs, go_bin, tmp_path):
    """The page's fuller main.go, built as the page says in a module of one's own: two workers, one
    with waits and one open-model, share the test; every user logs in once with its own account,
    Locust counts what the target served and the master shows the non-fatal check."""
    tidy_block, _, _, users_block = blocks("sh")
    (program,) = blocks("go")
    assert build_commands(users_block) == [
        "cp ../locust-fleet/workers-go/examples/scenarios/accounts.csv .", "go build -o worker ."]
    (tmp_path / "locust-fleet").symlink_to(REPO)
    fresh = [c for c in build_commands(tidy_block) if "main.go" not in c and not c.startswith("go build")]
    worker = build_module(tmp_path, "my-load-tests", fresh + build_commands(users_block), main_go=program)
    accounts = str(worker.parent / "accounts.csv")

    users = 6
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "-u", str(users), "-r", str(users), "-t", "4s", "--expect-workers", "2",
                    "--json-file", str(report.with_suffix("")), "-H", target.url)
    started = [start_worker(procs, worker, master.port, "--target", target.url, "--accounts", accounts, *extra,
                            name=name) for name, extra in [("waits", []), ("open", ["--open-rate", "5"])]]
    assert master.proc.wait(60) == 0, master.proc.log()[-2000:]
    assert [w.wait(30) for w in started] == [0, 0], procs.logs()

    rows = {f"{e['method']} {e['name']}": e for e in json.loads(report.read_text())}
    served = target.counts()
    assert set(rows) == set(served) == {"POST /login", "GET /items", "GET /items/{id}", "GET /"}, (rows.keys(), served)
    for route, count in served.items():
        assert (rows[route]["num_requests"], rows[route]["num_failures"]) == (count, 0), (route, rows[route])
    assert get_json(target.url + "/_logins") == {f"user-{n}": 1 for n in range(users)}
    assert get_json(target.url + "/_refusals") == {}
    checks = re.findall(r"^GET\s+/items\s+has items\s+(\d+)\s+(\d+)", master.proc.log(), re.M)
    assert checks and checks[-1] == (str(served["GET /items"]), "0"), checks


USER_ONLY = """package main

import (
	"fmt"

	"locustfleet/worker/user"
)

func main() {
	class := &user.Class{Host: "http://127.0.0.1:8080", Tasks: []user.Task{{Name: "home", Weight: 1, Fn: func(u *user.User) { u.Session.Get("/") }}}}
	_, err := user.New(class, nil)
	fmt.Println(err)
}
"""


def test_a_module_that_imported_user_alone_then_lifecycle_builds_offline_as_the_page_says(tmp_path):
    """A first try imports locustfleet/worker/user alone: its go mod tidy keeps no go.sum line for
    boomer and its dependencies. Then main.go becomes examples/custom (lifecycle): offline, go mod
    tidy could not verify them (sum.golang.org unreachable); the page's steps for importing another
    of the worker's packages build it."""
    tidy_block, later_block, _, _ = blocks("sh")
    assert build_commands(later_block) == ["cat ../locust-fleet/workers-go/go.sum >> go.sum", "go mod tidy",
                                           "go build -o worker ."]
    (tmp_path / "locust-fleet").symlink_to(REPO)
    first = [c for c in build_commands(tidy_block) if "main.go" not in c]
    module = build_module(tmp_path, "my-load-tests", first, main_go=USER_ONLY, uses_boomer=False).parent
    assert "EventBus" not in (module / "go.sum").read_text()  # boomer's dependency: the tidy dropped its lines
    (module / "main.go").write_text((REPO / "workers-go" / "examples" / "custom" / "main.go").read_text())
    env = {**os.environ, **OFFLINE}
    for command in build_commands(later_block):
        result = subprocess.run(command, shell=True, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    assert "master-host" in flags_of(module / "worker")  # a worker (lifecycle's flags) was built
