"""Two real test runs recorded in a real InfluxDB, for the tests that read stored runs (Grafana
queries, `locust-fleet runs list/report/compare`): a baseline, and a candidate whose `home` endpoint
is slower (the target delays it), both by two Go workers through a real master."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from .parts import Master, Target, start_worker
from .influxd import InfluxServer, rows
from .procs import REPO, Procs

BASELINE = REPO / "tests" / "scenarios" / "three_endpoints.yaml"
SLOW_HOME = "/delay/25"


@dataclass
class RecordedRun:
    run_id: str
    served: dict[str, int]  # the target's counts: "METHOD /path" -> requests served
    locust: dict[str, dict]  # Locust's --json-file entries by name
    record: dict = field(default_factory=dict)  # the locust_runs point
    locust_rps: dict[str, float] = field(default_factory=dict)  # Locust's own Requests/s by name (its --csv)


@dataclass
class RecordedRuns:
    influx: InfluxServer
    baseline: RecordedRun
    candidate: RecordedRun


def slow_scenario(workdir: Path) -> Path:
    path = workdir / "slow_home.yaml"
    path.write_text(BASELINE.read_text().replace("    path: /\n", f"    path: {SLOW_HOME}\n"))
    return path


def record_run(procs: Procs, go_bin: dict[str, Path], target: Target, influx: InfluxServer, workdir: Path,
               scenario: Path, label: str, extra: tuple[str, ...] = ()) -> RecordedRun:
    """extra: more options of the master (the server's credentials)."""
    target.reset()
    report = workdir / f"{label}-stats"
    # --exit-code-on-error 0: the scenario's `broken` endpoint fails on purpose
    master = Master(procs, "--headless", "-u", "10", "-r", "10", "-t", "6s", "--expect-workers", "2",
                    "--json-file", str(report), "--csv", str(report), "--exit-code-on-error", "0", "-H", target.url,
                    "--influxdb-url", influx.url, "--influxdb-interval", "1", "--spool-dir", str(workdir / f"{label}-spool"),
                    "--run-tag", f"label={label}", "--run-description", f"{label} run", *extra, name=f"{label}-master")
    for i in (1, 2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     name=f"{label}-worker-{i}")
    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    record = next(r for r in rows(influx.query("SELECT * FROM locust_runs")) if r.get("label") == label)
    locust = {e["name"]: e for e in json.loads(report.with_suffix(".json").read_text())}
    with open(f"{report}_stats.csv", newline="") as f:
        locust_rps = {row["Name"]: float(row["Requests/s"]) for row in csv.DictReader(f)}
    return RecordedRun(record["run_id"], target.counts(), locust, record, locust_rps)


def record_two_runs(procs: Procs, go_bin: dict[str, Path], workdir: Path, influx: InfluxServer,
                    extra: tuple[str, ...] = ()) -> RecordedRuns:
    target = Target(procs, go_bin["target"])
    baseline = record_run(procs, go_bin, target, influx, workdir, BASELINE, "baseline", extra)
    candidate = record_run(procs, go_bin, target, influx, workdir, slow_scenario(workdir), "candidate", extra)
    return RecordedRuns(influx, baseline, candidate)
