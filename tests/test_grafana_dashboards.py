"""The Grafana dashboards against real data: every panel's and annotation's query, with the
dashboard's variables substituted as Grafana does, runs on a real InfluxDB filled by two real runs
and returns values in every column. Plus the provisioning that ties them to the datasource."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time

import pytest
import yaml

from harness.grafana import check_dashboard
from harness.procs import REPO

pytestmark = pytest.mark.e2e
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def load(path) -> dict:
    return json.loads(path.read_text())


def choices(runs) -> dict[str, str]:
    return {"run_id": runs.baseline.run_id, "baseline": runs.baseline.run_id, "candidate": runs.candidate.run_id}


def time_range(runs) -> tuple[int, int]:
    start = int(runs.baseline.record["start_time"] * 1000) - 60_000
    return start, int(time.time() * 1000) + 60_000


def test_the_three_dashboards_exist_and_match_their_generator():
    assert [p.name for p in DASHBOARDS] == ["locust-run.json", "locust-runs.json", "locust-workers.json"]
    result = subprocess.run([sys.executable, str(GRAFANA / "generate.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_query_returns_data_from_a_real_run(path, recorded_runs):
    dashboard = load(path)
    problems = check_dashboard(dashboard, recorded_runs.influx, "locust", choices(recorded_runs),
                               time_range(recorded_runs))
    assert problems == []
    assert sum(len(p.get("targets", [])) for p in dashboard["panels"]) >= 5


@pytest.mark.parametrize("broken, expected", [
    (("p95_ms", "p95_millis"), "column"),          # a misspelt field: the column stays empty
    (("locust_requests", "locust_request"), "no series"),  # a missing measurement
    (("$run_id", "$run"), "not a variable"),       # a variable the dashboard does not define
])
def test_a_dashboard_with_a_wrong_name_fails_the_check(broken, expected, recorded_runs):
    dashboard = copy.deepcopy(load(GRAFANA / "dashboards" / "locust-run.json"))
    old, new = broken
    panel = next(p for p in dashboard["panels"] if any(old in t["query"] for t in p.get("targets", [])))
    for t in panel["targets"]:
        t["query"] = t["query"].replace(old, new)
    problems = check_dashboard(dashboard, recorded_runs.influx, "locust", choices(recorded_runs),
                               time_range(recorded_runs))
    assert problems and all(repr(panel["title"]) in p and expected in p for p in problems), problems


def test_dashboards_name_the_provisioned_datasource_by_uid():
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "influxdb.yaml").read_text())
    uids = {d["uid"] for d in provisioned["datasources"]}
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "locust.yaml").read_text())["providers"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"
    for path in DASHBOARDS:
        dashboard = load(path)
        refs = [p["datasource"] for p in dashboard["panels"]]
        refs += [t["datasource"] for p in dashboard["panels"] for t in p.get("targets", [])]
        refs += [v["datasource"] for v in dashboard["templating"]["list"]]
        refs += [a["datasource"] for a in dashboard["annotations"]["list"] if "query" in a]
        assert refs and all(isinstance(r, dict) and r["uid"] in uids for r in refs), path.name
        assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def test_variables_cover_run_endpoint_and_worker():
    names = {v["name"] for path in DASHBOARDS for v in load(path)["templating"]["list"]}
    assert {"run_id", "endpoint", "worker", "baseline", "candidate"} <= names
