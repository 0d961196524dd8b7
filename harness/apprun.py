"""A headless test of an application of harness/ (the bookshop, the help desk) by a real master and
Go workers running a scenario, and what Locust's rows say each route of it should have served."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.parts import Master
from harness.procs import Procs


def headless_run(procs: Procs, worker: Path, scenario: Path, url: str, users: int, seconds: int, workers: int = 2,
                 env: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    """Runs scenario against url for seconds with users; returns the master's exit code (1 when a
    request failed), Locust's rows by (method, name) and its failures by (method, name): (reason,
    occurrences)."""
    report = scenario.parent / "stats"
    master = Master(procs, "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
                    "--expect-workers", str(workers), "--json-file", str(report), "--csv", str(report), "-H", url)
    started = [procs.start(f"worker{i}", [str(worker), "--master-host", "127.0.0.1", "--master-port",
                                          str(master.port), "--scenario", str(scenario), "--target", url], env=env)
               for i in range(workers)]
    code = master.proc.wait(90)
    for proc in started:
        assert proc.wait(15) == 0, proc.log()[-2000:]
    entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
    with open(f"{report}_failures.csv") as f:
        failures = {(r["Method"], r["Name"]): (r["Error"], int(r["Occurrences"])) for r in csv.DictReader(f)}
    return code, entries, failures


def routes_wanted(rows: dict[tuple[str, str], list[str]], entries: dict) -> dict[str, int]:
    """What each route served by Locust's rows (a row's redirect chain serves several routes); a
    route no row of the run reached is left out, as the application does not list it."""
    wanted: dict[str, int] = {}
    for key, routes in rows.items():
        for route in routes:
            wanted[route] = wanted.get(route, 0) + entries.get(key, {}).get("num_requests", 0)
    return {route: n for route, n in wanted.items() if n}
