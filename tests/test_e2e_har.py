"""End to end: a visit of the counting target's shop (/app/) really browsed by headless Chromium and
recorded as Chrome exports a HAR, converted by `locust-fleet scenario from-har`, then run by a real
Locust master and a real Go worker against the same target. Locust's count of every step equals
what the target served (a redirect chain: one request in Locust, every hop at the target), with no
failure: the login, the bearer token and the session cookie work for every user, because the
token and the item id are extracted from the responses that gave them and the password comes from
the environment. What the browser loaded by itself (the page's script, style, logo, favicon) and
the call to another host (localhost) are not sent."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from harness.chromium import Chromium
from harness.har_recorder import record
from harness.parts import Master, Target
from harness.procs import VENV_BIN, get_json

pytestmark = pytest.mark.e2e

USERS, SECONDS = 2, 5
# Locust's (method, name) of each step -> the target's count key
ROUTES = {("GET", "/app/"): "GET /app/", ("POST", "/login"): "POST /login", ("GET", "/items"): "GET /items",
          ("GET", "/items/{{ item_id }}"): "GET /items/{id}", ("POST", "/_echo/basket"): "POST /_echo/basket",
          ("GET", "/answer/search"): "GET /answer/search", ("PUT", "/_echo/prefs"): "PUT /_echo/prefs",
          ("GET", "/redirect/[id]"): "GET /redirect/2"}


def test_a_recorded_visit_runs_on_the_fleet_with_exact_counts(go_bin, procs, tmp_path):
    target = Target(procs, go_bin["target"])
    with Chromium(tmp_path / "chromium") as browser:
        har = record(browser, target.url + "/app/", "window.visitDone === true")
    recorded = json.dumps(har)
    login = next(e for e in har["log"]["entries"] if e["request"]["url"].endswith("/login"))
    token = json.loads(login["response"]["content"]["text"])["token"]
    sid = next(h["value"] for h in login["response"]["headers"] if h["name"].lower() == "set-cookie").split(";")[0]
    assert "pw-alice" in recorded and token in recorded and sid in recorded  # the recording holds the secrets
    (tmp_path / "visit.har").write_text(recorded)

    scenario = tmp_path / "visit.yaml"
    made = subprocess.run([str(VENV_BIN / "locust-fleet"), "scenario", "from-har", str(tmp_path / "visit.har"),
                           "-o", str(scenario), "--secrets", "env"], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    text = scenario.read_text()
    assert not [s for s in ("pw-alice", token, sid, sid.split("=")[1], "Cookie") if s in text], text
    assert "needs the environment variable PASSWORD: JSON $.password" in made.stderr
    steps = yaml.safe_load(text)["tasks"][0]["steps"]
    assert {(s.get("method", "GET"), s.get("name", s.get("path"))) for s in steps if "path" in s} == set(ROUTES)
    assert [s["think"] for s in steps if "think" in s], steps  # the page's pauses (700, 600, 800 ms)

    target.reset()
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--expect-workers",
                    "1", "--json-file", str(report), "-H", target.url)
    worker = procs.start("worker", [str(go_bin["worker"]), "--master-host", "127.0.0.1", "--master-port",
                                    str(master.port), "--scenario", str(scenario)],
                         env={**os.environ, "PASSWORD": "pw-alice"})
    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    assert worker.wait(15) == 0, worker.log()[-3000:]

    entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
    served = target.counts()
    assert set(entries) == set(ROUTES), sorted(set(entries) ^ set(ROUTES))
    assert {k: e["num_failures"] for k, e in entries.items() if e["num_failures"]} == {}
    for key, route in ROUTES.items():
        assert entries[key]["num_requests"] == served[route] > 0, (key, entries[key]["num_requests"], served)
    chains = entries[("GET", "/redirect/[id]")]["num_requests"]
    assert served["GET /redirect/1"] == served["GET /redirect/0"] == chains, served
    # nothing else reached the target: no static asset, nothing for the other host
    assert sum(served.values()) == sum(e["num_requests"] for e in entries.values()) + 2 * chains, served
    assert get_json(target.url + "/_logins") == {"alice": served["POST /login"]}
    assert get_json(target.url + "/_refusals") == {}
