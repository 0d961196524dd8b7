"""End to end with a real InfluxDB: the master exports what Locust counted, per interval, per
endpoint, per worker and per run, and loses nothing when InfluxDB goes away for a while."""

from __future__ import annotations

import json
import signal
import time

import pytest

from locust_fleet.histogram import decode_histogram, merge, percentile
from support.fleet import Master, Target, start_worker
from support.influxd import InfluxServer, rows
from support.procs import REPO, wait_until

pytestmark = pytest.mark.e2e
SCENARIO = str(REPO / "tests" / "scenarios" / "three_endpoints.yaml")
NAMES = {"home": "GET /", "items": "POST /items", "broken": "GET /status/503"}


@pytest.fixture
def influx(tmp_path):
    with InfluxServer(tmp_path / "influxdb") as server:
        yield server


def influx_args(influx: InfluxServer, tmp_path, interval: str = "1") -> list[str]:
    """influx: anything with the URL the master writes to (a server, or a proxy in front of one)."""
    return ["--influxdb-url", influx.url, "--influxdb-database", "locust", "--influxdb-interval", interval,
            "--spool-dir", str(tmp_path / "spool"), "--run-tag", "suite=e2e", "--run-description", "exact counts"]


def run_headless(procs, go_bin, target, influx, tmp_path, seconds: int, python_worker: bool = False,
                 extra: tuple[str, ...] = ()):
    report = tmp_path / "stats"
    # --stop-timeout: Python users finish the request in hand when stopped (see the mixed fleet test)
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", f"{seconds}s", "--expect-workers", "2",
                    "-s", "5", "--json-file", str(report), "-H", target.url, *influx_args(influx, tmp_path), *extra)
    workers = [start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target", target.url,
                            name="go-worker-1")]
    if python_worker:
        workers.append(procs.start("python-worker", [
            str(REPO / ".venv" / "bin" / "locust"), "-f", str(REPO / "tests" / "locustfiles" / "python_worker.py"),
            "--worker", "--master-host", "127.0.0.1", "--master-port", str(master.port)]))
    else:
        workers.append(start_worker(procs, go_bin["worker"], master.port, "--scenario", SCENARIO, "--target",
                                    target.url, name="go-worker-2"))
    return master, workers, report.with_suffix(".json")


def sums_by_name(influx: InfluxServer, run_id: str) -> dict[str, tuple[int, int]]:
    series = influx.query(f"SELECT sum(requests), sum(failures) FROM locust_requests WHERE run_id = '{run_id}' "
                          "GROUP BY \"name\"")
    return {r["name"]: (r["sum"], r["sum_1"]) for r in rows(series)}


def the_run(influx: InfluxServer) -> dict:
    runs = rows(influx.query("SELECT * FROM locust_runs"))
    assert len(runs) == 1, runs
    return runs[0]


def check_exact(influx: InfluxServer, target: Target, report) -> dict:
    run = the_run(influx)
    assert run["state"] == "stopped" and run["suite"] == "e2e" and run["description"] == "exact counts"
    served = target.counts()
    locust = {e["name"]: e for e in json.loads(report.read_text())}
    sums = sums_by_name(influx, run["run_id"])
    for name, key in NAMES.items():
        assert served[key] > 0
        assert sums[name] == (served[key], served[key] if name == "broken" else 0), (name, sums[name], served[key])
        assert locust[name]["num_requests"] == served[key]
    total = sum(served.values())
    assert sums["Aggregated"] == (total, served[NAMES["broken"]])
    assert (run["requests"], run["failures"]) == sums["Aggregated"]

    per_worker = rows(influx.query(f"SELECT sum(requests) FROM locust_workers WHERE run_id = '{run['run_id']}' "
                                   "GROUP BY worker"))
    assert len(per_worker) == 2 and all(w["sum"] > 0 for w in per_worker), per_worker
    assert sum(w["sum"] for w in per_worker) == total

    # whole-run percentiles: from the merged interval histograms, and equal to Locust's own
    merged: dict[int, int] = {}
    for r in rows(influx.query(f"SELECT histogram FROM locust_requests WHERE run_id = '{run['run_id']}' "
                               "AND \"name\" = 'Aggregated'")):
        merge(merged, decode_histogram(r["histogram"]))
    assert sum(merged.values()) == total
    locust_total: dict[int, int] = {}
    for entry in locust.values():
        merge(locust_total, {int(k): v for k, v in entry["response_times"].items()})
    for field, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert run[field] == percentile(merged, q) == percentile(locust_total, q), field
    return run


def test_export_counts_exactly_what_the_target_served(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    master, workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=7)
    master.proc.wait(90)
    run = check_exact(influx, target, report)

    events = {r["event"] for r in rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run['run_id']}'"))}
    assert {"start", "spawning_complete", "stop", "worker_joined"} <= events
    users = rows(influx.query(f"SELECT max(\"users\") FROM locust_users WHERE run_id = '{run['run_id']}' "
                              "AND user_class = 'all'"))
    assert users[0]["max"] == 10
    assert "InfluxDB export (points): queued" in master.proc.log()


def test_mixed_fleet_exports_correct_totals(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    master, workers, report = run_headless(procs, go_bin, target, influx, tmp_path, seconds=7, python_worker=True)
    master.proc.wait(90)
    check_exact(influx, target, report)


def test_one_series_per_name_for_many_urls(procs, go_bin, influx, tmp_path):
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "many.yaml"
    scenario.write_text("requests:\n" + "".join(f"  - {{name: item, path: /pages/{i}}}\n" for i in range(1000)))
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", "5s", "--expect-workers", "1",
                    "-H", target.url, *influx_args(influx, tmp_path))
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url)
    master.proc.wait(90)
    assert len([k for k in target.counts() if k.startswith("GET /pages/")]) > 100
    names = {r["value"] for r in rows(influx.query('SHOW TAG VALUES FROM locust_requests WITH KEY = "name"'))}
    assert names == {"item", "Aggregated"}
    series = rows(influx.query("SHOW SERIES FROM locust_requests"))
    assert len(series) == 2, series


def test_wrong_credentials_fail_fast_naming_the_option(procs, tmp_path):
    with InfluxServer(tmp_path / "auth-influxdb", auth=True) as server:
        import requests
        requests.post(server.url + "/query", data={"q": "CREATE USER admin WITH PASSWORD 'right' WITH ALL PRIVILEGES"},
                      timeout=10).raise_for_status()
        master = Master(procs, "--headless", "-u", "1", "-t", "5s", "--influxdb-url", server.url,
                        "--influxdb-username", "admin", "--influxdb-password", "wrong-secret",
                        "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2
        log = master.proc.log()
        assert "refused the credentials (HTTP 401); check --influxdb-username/--influxdb-password" in log
        assert "wrong-secret" not in log
        assert not (tmp_path / "spool").exists() or not list((tmp_path / "spool").iterdir())


def test_unreachable_influxdb_spools_and_the_next_master_replays(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    server = InfluxServer(tmp_path / "late-influxdb")  # configured, not started yet
    try:
        args = ["--influxdb-url", server.url, "--influxdb-interval", "1", "--spool-dir", str(tmp_path / "spool")]
        first = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "4s", "--expect-workers", "1",
                       "-H", target.url, *args, name="first-master")
        start_worker(procs, go_bin["worker"], first.port, "--target", target.url)
        assert first.proc.wait(60) == 0, first.proc.log()[-2000:]
        assert "unreachable (connection failed); the test runs anyway" in first.proc.log()
        assert list((tmp_path / "spool").glob("*.lp")), "nothing was spooled"

        server.start()
        second = Master(procs, *args, name="second-master")
        wait_until(lambda: not list((tmp_path / "spool").glob("*.lp")), 30, "the second master to replay the spool")
        second.proc.signal(signal.SIGTERM)
        second.proc.wait(30)
        assert "holds" in second.proc.log() and "from an earlier master" in second.proc.log()
        run = the_run(server)
        assert run["state"] == "stopped" and run["requests"] == sum(target.counts().values())
    finally:
        server.close()
