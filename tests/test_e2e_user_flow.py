"""End to end with Go users written against the user runtime (workers-go/examples/flow): a real
Locust master, two workers and the counting target, which refuses any request carrying another
login's token, cookie or item."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import REPO, get_json

pytestmark = pytest.mark.e2e
USERS = 20


@pytest.fixture(scope="module")
def flow_bin(tmp_path_factory):
    binary = tmp_path_factory.mktemp("flow") / "flow"
    subprocess.run(["go", "build", "-o", str(binary), "./examples/flow"], cwd=REPO / "workers-go", check=True)
    return binary


def test_users_keep_their_own_login_and_numbers_are_unique_across_workers(procs, go_bin, flow_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats.json"
    master = Master(procs, "--headless", "-u", str(USERS), "-r", str(USERS), "-t", "6s", "--expect-workers", "2",
                    "--json-file", str(report.with_suffix("")), "-H", target.url)
    workers = [start_worker(procs, flow_bin, master.port, "--target", target.url, name=f"flow{i}") for i in range(2)]

    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    for w in workers:
        assert w.wait(15) == 0, f"{w.name} did not exit 0 after the master's quit:\n{w.log()[-2000:]}"

    entries = {(e["method"], e["name"]): e for e in json.loads(report.read_text())}
    served = target.counts()
    routes = {("POST", "/login"): "POST /login", ("GET", "/items"): "GET /items",
              ("GET", "/items/{id}"): "GET /items/{id}", ("GET", "/"): "GET /"}
    assert set(entries) == set(routes), entries.keys()
    for key, route in routes.items():
        assert entries[key]["num_requests"] == served[route] > 0, (key, entries[key]["num_requests"], served)
        assert entries[key]["num_failures"] == 0, entries[key]
    assert get_json(target.url + "/_refusals") == {}
    # one login per user, user numbers 0..USERS-1 handed out by the master across both workers
    assert get_json(target.url + "/_logins") == {f"user-{n}": 1 for n in range(USERS)}
