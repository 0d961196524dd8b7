"""`locust-fleet runs list/report/compare` on two real runs stored by a real master in a real InfluxDB.
The report is checked the way a person sees it: rendered by headless Chromium, its charts laid
out with lines of real length, its statistics table equal to what the target served and to
Locust's own statistics of the same run."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from py_bridge.histogram import percentile
from harness.chromium import Chromium
from harness.procs import VENV_BIN, free_port

pytestmark = pytest.mark.e2e
NAMES = {"home": "GET /", "items": "POST /items", "broken": "GET /status/503"}


def locust_fleet_runs(influx_url: str, *args: str, columns: int = 250) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCUST_INFLUXDB_URL": influx_url, "COLUMNS": str(columns)}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def without_env(*args: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOCUST_INFLUXDB")}, "COLUMNS": "80"}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_influxdb_options_work_after_the_command_and_before_it(recorded_runs):
    url = recorded_runs.influx.url
    after = without_env("list", "--influxdb-url", url, "--json")
    before = without_env("--influxdb-url", url, "list", "--json")
    assert after.returncode == 0 and before.returncode == 0, after.stderr + before.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout) and len(json.loads(after.stdout)) == 2
    # after the command wins: the URL before it is unreachable
    both = without_env("--influxdb-url", f"http://127.0.0.1:{free_port()}", "list", "--influxdb-url", url)
    assert both.returncode == 0 and recorded_runs.baseline.run_id in both.stdout, both.stderr
    # typed before the command beats the env var
    env = {**os.environ, "LOCUST_INFLUXDB_URL": f"http://127.0.0.1:{free_port()}", "COLUMNS": "80"}
    typed = subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "--influxdb-url", url, "list"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert typed.returncode == 0 and recorded_runs.candidate.run_id in typed.stdout, typed.stderr
    wrong_db = without_env("list", "--influxdb-url", url, "--influxdb-database", "elsewhere", "--json")
    assert wrong_db.returncode == 2 and " ".join(wrong_db.stderr.split()) == (
        f"error: --influxdb-database: no database 'elsewhere' at {url}; give the master's --influxdb-database "
        "(SHOW DATABASES lists them)"), wrong_db.stderr


def test_list_fits_80_columns_and_wide_shows_everything(recorded_runs):
    narrow = locust_fleet_runs(recorded_runs.influx.url, "list", columns=80)
    assert narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in lines[0], narrow.stdout
    header = lines[0].split()
    assert header[:2] == ["RUN", "ID"] and "REQ/S" in header and "TAGS" not in header
    baseline = recorded_runs.baseline
    row = next(line for line in lines if line.startswith(baseline.run_id)).split()
    assert str(baseline.record["requests"]) in row and f"{baseline.locust_rps['Aggregated']:.1f}" in row
    wide = locust_fleet_runs(recorded_runs.influx.url, "list", "--wide", columns=80)
    assert "label=baseline" in wide.stdout and "baseline run" in wide.stdout and "USERS RAN S" in wide.stdout


def test_compare_fits_80_columns_and_a_floor_spares_small_absolute_changes(recorded_runs):
    base, cand = recorded_runs.baseline.run_id, recorded_runs.candidate.run_id
    shown = locust_fleet_runs(recorded_runs.influx.url, "compare", base, cand, "--max-regression", "p95=10%,5ms",
                              columns=80)
    assert shown.returncode == 3, shown.stdout + shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines() if not line.startswith("breached")) <= 80
    assert "requests/s (Locust's: requests over the time users ran" in shown.stdout
    assert "breached GET home: p95" in shown.stdout  # 25 ms slower: above the floor
    # the home endpoint is 25 ms slower: a floor above that lets it pass
    spared = locust_fleet_runs(recorded_runs.influx.url, "compare", base, cand, "--max-regression", "p95=10%,100ms")
    assert spared.returncode == 0 and "no threshold breached" in spared.stdout, spared.stdout


def test_list_shows_both_runs_newest_first_with_their_figures(recorded_runs):
    result = locust_fleet_runs(recorded_runs.influx.url, "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [r["run_id"] for r in listed] == [recorded_runs.candidate.run_id, recorded_runs.baseline.run_id]
    for run, entry in zip((recorded_runs.candidate, recorded_runs.baseline), listed):
        served = sum(run.served.values())
        assert entry["requests"] == served and entry["failures"] == run.served[NAMES["broken"]]
        assert entry["state"] == "stopped" and entry["users"] == 10 and entry["duration_s"] > 5
        # one rate: Locust's own (over the time users ran, shorter than the run with its drain)
        assert entry["rps"] == pytest.approx(run.locust_rps["Aggregated"], rel=1e-9)
        assert entry["active_s"] < entry["duration_s"]
        assert entry["p95_ms"] == run.record["p95_ms"] and entry["tags"] == f"label={'candidate' if run is recorded_runs.candidate else 'baseline'}"
    table = locust_fleet_runs(recorded_runs.influx.url, "list")
    assert table.returncode == 0 and recorded_runs.baseline.run_id in table.stdout and "baseline run" in table.stdout


def locust_median_and_avg(entry: dict) -> tuple[int, float]:
    histogram = {int(k): v for k, v in entry["response_times"].items()}
    return percentile(histogram, 0.5), entry["total_response_time"] / entry["num_requests"]


def test_report_renders_charts_and_the_run_s_numbers_in_chromium(recorded_runs, tmp_path):
    run = recorded_runs.baseline
    out = tmp_path / "report.html"
    result = locust_fleet_runs(recorded_runs.influx.url, "report", run.run_id, "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", html), "the report must not fetch anything"

    with Chromium(tmp_path / "chromium") as browser:
        browser.open(out.as_uri())
        charts = browser.evaluate("""[...document.querySelectorAll('figure.chart')].map(f => ({
            title: f.querySelector('figcaption').innerText,
            width: f.querySelector('svg').getBoundingClientRect().width,
            lines: [...f.querySelectorAll('path')].map(p => [p.dataset.series, p.getTotalLength()])}))""")
        table = browser.evaluate("""[...document.querySelectorAll('#summary tbody tr')].map(
            tr => [...tr.querySelectorAll('td')].map(td => td.innerText))""")
        errors = browser.evaluate("document.querySelector('#errors').innerText")

    titles = [c["title"] for c in charts]
    for expected in ("Requests/s and failures/s", "Response times: Total", "Users", "Requests/s per worker",
                     "CPU per worker"):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    for name in NAMES:
        method = NAMES[name].split()[0]
        assert any(t.startswith(f"Response times: {method} {name}") for t in titles), titles
    for chart in charts:
        assert chart["width"] > 300 and chart["lines"], chart
        assert all(length > 50 for _, length in chart["lines"]), chart  # each line actually drawn across
    assert len(next(c for c in charts if c["title"].startswith("CPU per worker"))["lines"]) == 2

    rows = {r[1]: r for r in table}
    assert list(rows) == ["broken", "home", "items", "Aggregated"]
    for name, key in NAMES.items():
        kind, _, requests, fails, median, average, low, high, size, rps, fail_rps = rows[name]
        entry = run.locust[name]
        served = run.served[key]
        assert (kind, int(requests), int(fails)) == (key.split()[0], served, served if name == "broken" else 0)
        locust_median, locust_avg = locust_median_and_avg(entry)
        assert int(median) == locust_median and abs(float(average) - locust_avg) < 0.01
        assert (int(low), int(high)) == (entry["min_response_time"], entry["max_response_time"])
        assert int(size) == round(entry["total_content_length"] / entry["num_requests"])
        # Locust's own requests/s (over the time users ran, not the run's duration with its drain)
        assert float(rps) == pytest.approx(run.locust_rps[name], abs=0.005)
    total = rows["Aggregated"]
    assert int(total[2]) == sum(run.served.values()) == run.record["requests"]
    assert int(total[3]) == run.served[NAMES["broken"]] == run.record["failures"]
    assert "unexpected status 503" in errors and str(run.served[NAMES["broken"]]) in errors


def test_compare_gates_on_thresholds(recorded_runs):
    base, cand = recorded_runs.baseline.run_id, recorded_runs.candidate.run_id
    slower = locust_fleet_runs(recorded_runs.influx.url, "compare", base, cand, "--max-regression", "p95=10%", "--json")
    assert slower.returncode == 3, slower.stderr
    verdict = json.loads(slower.stdout)
    assert not verdict["passed"] and any(b.startswith("GET home: p95") for b in verdict["breaches"])
    home = next(r for r in verdict["rows"] if r["name"] == "home")
    assert home["p95"]["candidate"] >= 25 > home["p95"]["baseline"]
    # the change is null when the baseline's p95 is 0 ms (an infinite increase)
    assert home["p95"]["change"] is None if home["p95"]["baseline"] == 0 else home["p95"]["change"] > 0.10

    same = locust_fleet_runs(recorded_runs.influx.url, "compare", base, base, "--max-regression", "p95=10%",
                    "--max-regression", "rps=50%")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "no threshold breached" in same.stdout and "+0.0%" in same.stdout, same.stdout

    failing = locust_fleet_runs(recorded_runs.influx.url, "compare", base, base, "--max-fail-ratio", "1%")
    assert failing.returncode == 3 and "GET broken: fail_ratio 100.00% (limit 1%)" in failing.stdout


@pytest.mark.parametrize("args, code, message", [
    (["report", "20200101-000000-abcd", "-o", "x.html"], 2, "RUN_ID: no run '20200101-000000-abcd'"),
    (["report", "no-such-run", "-o", "x.html"], 2, "RUN_ID: got 'no-such-run'; expected a run id such as "
                                                  "20261125-143002-7f3a"),
    (["compare", "a", "b", "--max-regression", "p95=ten"], 2, "--max-regression: got 'p95=ten'"),
    (["compare", "a", "b", "--max-regression", "p42=5%"], 2, "METRIC one of rps, avg, p50, p95, p99"),
    (["compare", "a", "b", "--max-fail-ratio", "lots"], 2, "--max-fail-ratio: got 'lots'; expected a percentage"),
])
def test_bad_arguments_name_what_is_wrong(recorded_runs, tmp_path, args, code, message):
    result = locust_fleet_runs(recorded_runs.influx.url, *[str(tmp_path / a) if a.endswith(".html") else a for a in args])
    assert result.returncode == code and message in " ".join(result.stderr.split()), result.stderr
    assert not list(tmp_path.glob("*.html*")), "nothing is written on error"


def test_unreachable_influxdb_is_reported_not_traced(tmp_path):
    result = locust_fleet_runs(f"http://127.0.0.1:{free_port()}", "list")
    assert result.returncode == 1 and "unreachable" in result.stderr and "Traceback" not in result.stderr


def test_a_password_in_the_url_is_not_shown_in_errors():
    # `runs` takes any --influxdb-url; the client's messages named it whole, password included.
    port = free_port()
    result = locust_fleet_runs(f"http://bob:s3cret-pw@127.0.0.1:{port}", "list")
    assert result.returncode == 1 and "s3cret-pw" not in result.stdout + result.stderr, result.stderr
    assert f"InfluxDB at http://bob:***@127.0.0.1:{port}: unreachable" in " ".join(result.stderr.split())


def test_pybridge_runs_says_where_the_command_went():
    result = subprocess.run([str(VENV_BIN / "pybridge"), "runs", "list", "--json"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "`locust-fleet runs ...`" in result.stderr, result.stderr
