"""A headless run of the real master with two workers exporting to InfluxDB, and the check that
InfluxDB holds exactly what the target served and Locust counted: per endpoint, per worker, per run,
with the run's percentiles equal to Locust's own. Shared by the end-to-end and the fault suites."""

from __future__ import annotations

import json

from locust_fleet.model import AGGREGATED, REQUESTS, RUN_PERCENTILES, RUNS, WORKERS, decode_histogram
from py_bridge.histogram import merge, percentile

from .influxd import InfluxServer, rows
from .parts import Master, Target, start_worker
from .procs import REPO

SCENARIO = str(REPO / "tests" / "scenarios" / "three_endpoints.yaml")
NAMES = {"home": "GET /", "items": "POST /items", "broken": "GET /status/503"}


def influx_args(influx: InfluxServer, tmp_path, interval: str = "1") -> list[str]:
    """influx: anything with the URL the master writes to (a server, a database of a shared one,
    or a proxy in front of one); its `database` when it names one, else "locust"."""
    database = getattr(influx, "database", "locust")
    return ["--influxdb-url", influx.url, "--influxdb-database", database, "--influxdb-interval", interval,
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
    series = influx.query(f"SELECT sum(requests), sum(failures) FROM {REQUESTS} WHERE run_id = '{run_id}' "
                          "GROUP BY \"name\"")
    return {r["name"]: (r["sum"], r["sum_1"]) for r in rows(series)}


def exported_requests(influx: InfluxServer) -> int:
    """The requests the master has shipped so far, all runs and names together (0 before its first point,
    and before the master has created its database: a query of a database that is not there fails)."""
    databases = {r["name"] for r in rows(influx.query("SHOW DATABASES"))}
    if getattr(influx, "database", "locust") not in databases:
        return 0
    series = influx.query(f"SELECT sum(requests) FROM {REQUESTS} WHERE \"name\" = '{AGGREGATED}'")
    return sum(r["sum"] for r in rows(series))


def the_run(influx: InfluxServer) -> dict:
    runs = rows(influx.query(f"SELECT * FROM {RUNS}"))
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
    assert sums[AGGREGATED] == (total, served[NAMES["broken"]])
    assert (run["requests"], run["failures"]) == sums[AGGREGATED]

    per_worker = rows(influx.query(f"SELECT sum(requests) FROM {WORKERS} WHERE run_id = '{run['run_id']}' "
                                   "GROUP BY worker"))
    assert len(per_worker) == 2 and all(w["sum"] > 0 for w in per_worker), per_worker
    assert sum(w["sum"] for w in per_worker) == total

    # whole-run percentiles: from the merged interval histograms, and equal to Locust's own
    merged: dict[int, int] = {}
    for r in rows(influx.query(f"SELECT histogram FROM {REQUESTS} WHERE run_id = '{run['run_id']}' "
                               f"AND \"name\" = '{AGGREGATED}'")):
        merge(merged, decode_histogram(r["histogram"]))
    assert sum(merged.values()) == total
    locust_total: dict[int, int] = {}
    for entry in locust.values():
        merge(locust_total, {int(k): v for k, v in entry["response_times"].items()})
    for field, q in RUN_PERCENTILES:
        assert run[field] == percentile(merged, q) == percentile(locust_total, q), field
    return run
