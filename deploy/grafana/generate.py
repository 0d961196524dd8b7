"""Writes the Grafana dashboards in deploy/grafana/dashboards/ from the definitions below:
`python deploy/grafana/generate.py` (or `make dashboards`); `--check` exits 1 when the JSON files
differ from what this script would write.

The dashboards read the data model of docs/data-model.md through the datasource provisioned with
uid `locust-influxdb`. Every query is InfluxQL in raw mode, so tests/test_grafana_dashboards.py can
run each one, variables substituted as Grafana does, against an InfluxDB filled by a real run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from locust_fleet.model import (AGGREGATED, ALL_USERS, ERRORS, EVENTS, EXPORTER, NAME, REQUESTS, RUN_ID, RUNS, USERS,
                                WORKER, WORKERS)

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "influxdb", "uid": "locust-influxdb"}
RUN = f"\"{RUN_ID}\" = '$run_id'"
TOTAL = f"\"{NAME}\" = '{AGGREGATED}'"
ENDPOINTS = f"\"{NAME}\" =~ /^$endpoint$/"
IN_WORKERS = f"\"{WORKER}\" =~ /^$worker$/"
# Colours that make a saturated or missing worker stand out.
CPU_STEPS = [{"color": "green", "value": None}, {"color": "orange", "value": 70}, {"color": "red", "value": 90}]
STATE_COLOURS = {"running": "green", "spawning": "blue", "ready": "text", "stopped": "text", "missing": "red"}


def query_var(name: str, label: str, query: str, multi: bool = False) -> dict:
    return {"name": name, "label": label, "type": "query", "datasource": DS, "query": query,
            "definition": query, "refresh": 2, "sort": 2 if not multi else 1, "multi": multi,
            "includeAll": multi, "current": {}, "options": [], "hide": 0}


# Every query names the dashboard's time range: InfluxDB 3 lists tag values of the last 24 hours
# only when none is named, and Core refuses a query over more Parquet files than its limit
# (docs/influxdb-versions.md). InfluxDB 1.x ignores the range in SHOW TAG VALUES.
RUN_VAR = query_var("run_id", "Run", f'SHOW TAG VALUES FROM "{RUNS}" WITH KEY = "run_id" WHERE $timeFilter')
ENDPOINT_VAR = query_var("endpoint", "Endpoint",
                         f'SHOW TAG VALUES FROM "{REQUESTS}" WITH KEY = "name" WHERE {RUN} AND $timeFilter', multi=True)
WORKER_VAR = query_var("worker", "Worker",
                       f'SHOW TAG VALUES FROM "{WORKERS}" WITH KEY = "worker" WHERE {RUN} AND $timeFilter', multi=True)


def target(query: str, ref: str = "A", alias: str = "", table: bool = False) -> dict:
    t = {"refId": ref, "datasource": DS, "rawQuery": True, "query": query,
         "resultFormat": "table" if table else "time_series"}
    if alias:
        t["alias"] = alias
    return t


class Layout:
    """Places panels left to right in rows of 24 columns, as Grafana's grid does."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.panels: list[dict] = []

    def add(self, panel: dict, w: int, h: int) -> None:
        if self.x + w > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_height = max(self.row_height, h)
        self.panels.append(panel)


def panel(kind: str, title: str, targets: list[dict], unit: str = "short", description: str = "", **extra) -> dict:
    p = {"type": kind, "title": title, "datasource": DS, "targets": targets,
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
    if description:
        p["description"] = description
    for key, value in extra.items():
        p[key] = value
    return p


def timeseries(title: str, query: str, unit: str = "short", alias: str = "", **extra) -> dict:
    return panel("timeseries", title, [target(query, alias=alias)], unit, **extra)


def stat(title: str, query: str, unit: str = "short", description: str = "") -> dict:
    p = panel("stat", title, [target(query)], unit, description)
    p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "none"}
    return p


def table(title: str, query: str, overrides: list[dict] | None = None, **extra) -> dict:
    p = panel("table", title, [target(query, table=True)], **extra)
    p["fieldConfig"]["overrides"] = overrides or []
    return p


def dashboard(uid: str, title: str, variables: list[dict], layout: Layout, annotations: list[dict] = (),
              time_from: str = "now-1h", refresh: str = "10s") -> dict:
    return {
        "uid": uid, "title": title, "tags": ["locust"], "editable": False, "schemaVersion": 39, "version": 1,
        "timezone": "browser", "time": {"from": time_from, "to": "now"}, "refresh": refresh,
        "templating": {"list": variables},
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}, *annotations]},
        "links": [{"title": "Locust", "type": "dashboards", "tags": ["locust"], "asDropdown": False,
                   "includeVars": True, "keepTime": True}],
        "panels": layout.panels,
    }


def events_annotation(name: str, where: str = "") -> dict:
    query = f'SELECT "text", "event" FROM "{EVENTS}" WHERE {RUN}{where} AND $timeFilter'
    return {"name": name, "datasource": DS, "enable": True, "iconColor": "orange", "query": query,
            "textColumn": "text", "tagsColumn": "event"}


def per_endpoint(field: str, agg: str = "max") -> str:
    return (f'SELECT {agg}("{field}") FROM "{REQUESTS}" WHERE {RUN} AND {ENDPOINTS} AND $timeFilter '
            'GROUP BY time($__interval), "name" fill(none)')


def run_overview() -> dict:
    g = Layout()
    g.add(stat("Requests", f'SELECT sum("requests") FROM "{REQUESTS}" WHERE {RUN} AND {TOTAL} AND $timeFilter'),
          4, 4)
    g.add(stat("Failures", f'SELECT sum("failures") FROM "{REQUESTS}" WHERE {RUN} AND {TOTAL} AND $timeFilter'),
          4, 4)
    g.add(stat("Users", f'SELECT last("users") FROM "{USERS}" WHERE {RUN} AND "user_class" = \'{ALL_USERS}\' '
                        'AND $timeFilter'), 4, 4)
    g.add(stat("Whole run p50 / p95 / p99", f'SELECT last("p50_ms") AS "p50", last("p95_ms") AS "p95", '
                                            f'last("p99_ms") AS "p99" FROM "{RUNS}" WHERE {RUN} AND $timeFilter', "ms",
               "From the merged histogram of the whole run; written when the run stops (stored at the run's start: "
               "the time range must include it)."), 8, 4)
    g.add(stat("Points dropped / refused", f'SELECT last("dropped") AS "dropped", last("refused") AS "refused" '
                                           f'FROM "{EXPORTER}" WHERE {RUN} AND $timeFilter', "short",
               "dropped: 0 unless the spool overflowed (then InfluxDB lacks data that Locust counted); refused: "
               "points InfluxDB would not take, kept in the master's spool with the reason (`locust-fleet spool "
               "list`)."), 4, 4)
    g.add(timeseries("Requests/s and failures/s", f'SELECT mean("rps") AS "requests/s", mean("fail_per_s") AS '
                     f'"failures/s" FROM "{REQUESTS}" WHERE {RUN} AND {TOTAL} AND $timeFilter '
                     'GROUP BY time($__interval) fill(none)', "reqps"), 12, 8)
    g.add(timeseries("Response times, all endpoints", f'SELECT max("p50_ms") AS "p50", max("p95_ms") AS "p95", '
                     f'max("p99_ms") AS "p99", mean("avg_ms") AS "avg" FROM "{REQUESTS}" WHERE {RUN} AND '
                     f'{TOTAL} AND $timeFilter GROUP BY time($__interval) fill(none)', "ms",
                     description="Per export interval; when a pixel spans several intervals, the largest "
                                 "percentile among them is shown."), 12, 8)
    g.add(timeseries("Requests/s per endpoint", per_endpoint("rps", "mean"), "reqps", "$tag_name"), 12, 8)
    g.add(timeseries("Failures/s per endpoint", per_endpoint("fail_per_s", "mean"), "reqps", "$tag_name"), 12, 8)
    for field, title in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        g.add(timeseries(f"{title} per endpoint", per_endpoint(field), "ms", "$tag_name"), 8, 8)
    g.add(timeseries("Average response time per endpoint", per_endpoint("avg_ms", "mean"), "ms", "$tag_name"), 12, 8)
    g.add(timeseries("Users", f'SELECT last("users") FROM "{USERS}" WHERE {RUN} AND $timeFilter '
                     'GROUP BY time($__interval), "user_class" fill(previous)', "short", "$tag_user_class"), 12, 8)
    g.add(timeseries("Master: gevent loop lag", f'SELECT max("loop_lag_p99_ms") AS "p99", max("loop_lag_max_ms") AS '
                     f'"max" FROM "{EXPORTER}" WHERE {RUN} AND $timeFilter GROUP BY time($__interval) fill(none)',
                     "ms", description="How late the master wakes a sleeping greenlet. Above ~100 ms it is not "
                                       "keeping up with its workers: heartbeats and reports wait."), 12, 8)
    g.add(table("Endpoints", f'SELECT sum("requests") AS "requests", sum("failures") AS "failures", '
                f'min("min_ms") AS "min ms", max("max_ms") AS "max ms", sum("bytes") AS "bytes" '
                f'FROM "{REQUESTS}" WHERE {RUN} AND $timeFilter GROUP BY "name", "method"'), 12, 8)
    g.add(table("Errors", f'SELECT "error", "occurrences" FROM "{ERRORS}" WHERE {RUN} AND $timeFilter '
                'GROUP BY "method", "name"',
                transformations=[{"id": "groupBy", "options": {"fields": {
                    "method": {"aggregations": [], "operation": "groupby"},
                    "name": {"aggregations": [], "operation": "groupby"},
                    "error": {"aggregations": [], "operation": "groupby"},
                    "occurrences": {"aggregations": ["sum"], "operation": "aggregate"}}}}]), 12, 8)
    return dashboard("locust-run", "Locust run", [RUN_VAR, ENDPOINT_VAR], g, [events_annotation("Run events")])


def workers() -> dict:
    g = Layout()
    cpu_override = {"matcher": {"id": "byName", "options": "cpu"},
                    "properties": [{"id": "unit", "value": "percent"},
                                   {"id": "thresholds", "value": {"mode": "absolute", "steps": CPU_STEPS}},
                                   {"id": "custom.cellOptions", "value": {"type": "color-background"}}]}
    state_override = {"matcher": {"id": "byName", "options": "state"},
                      "properties": [{"id": "mappings", "value": [state_mapping()]},
                                     {"id": "custom.cellOptions", "value": {"type": "color-text"}}]}
    g.add(table("Workers now", f'SELECT last("state") AS "state", last("users") AS "users", last("rps") AS "rps", '
                f'last("cpu") AS "cpu", last("memory") AS "memory" FROM "{WORKERS}" WHERE {RUN} AND {IN_WORKERS} '
                'AND $timeFilter GROUP BY "worker"', [cpu_override, state_override],
                description="A worker at 90 % CPU or more is saturated: its own delays inflate the response "
                            "times. Add workers or lower its users."), 24, 7)
    cpu = timeseries("CPU per worker (% of one core)", per_worker("cpu", "max"), "percent", "$tag_worker")
    cpu["fieldConfig"]["defaults"].update(thresholds={"mode": "absolute", "steps": CPU_STEPS},
                                          custom={"thresholdsStyle": {"mode": "line+area"}})
    g.add(cpu, 12, 8)
    states = panel("state-timeline", "State per worker", [target(
        f'SELECT last("state") FROM "{WORKERS}" WHERE {RUN} AND {IN_WORKERS} AND $timeFilter '
        'GROUP BY time($__interval), "worker" fill(previous)', alias="$tag_worker")])
    states["fieldConfig"]["defaults"]["mappings"] = [state_mapping()]
    g.add(states, 12, 8)
    g.add(timeseries("Requests/s per worker", per_worker("rps", "mean"), "reqps", "$tag_worker"), 8, 8)
    g.add(timeseries("Users per worker", per_worker("users", "last"), "short", "$tag_worker"), 8, 8)
    g.add(timeseries("Memory per worker", per_worker("memory", "max"), "bytes", "$tag_worker"), 8, 8)
    return dashboard("locust-workers", "Locust workers", [RUN_VAR, WORKER_VAR], g,
                     [events_annotation("Worker events", ' AND "event" =~ /^worker_/')])


def per_worker(field: str, agg: str) -> str:
    return (f'SELECT {agg}("{field}") FROM "{WORKERS}" WHERE {RUN} AND {IN_WORKERS} AND $timeFilter '
            'GROUP BY time($__interval), "worker" fill(none)')


def state_mapping() -> dict:
    return {"type": "value", "options": {state: {"color": colour, "index": i, "text": state}
                                         for i, (state, colour) in enumerate(STATE_COLOURS.items())}}


def runs() -> dict:
    g = Layout()
    open_run = [{"title": "Open this run", "url": "/d/locust-run/locust-run?var-run_id=${__data.fields.run_id}"
                 "&from=${__data.fields.start}&to=${__data.fields.stop}"}]
    g.add(table("Runs", 'SELECT "start_time" * 1000 AS "start", "stop_time" * 1000 AS "stop", "duration_s", '
                '"peak_users", "users", "requests", "failures", "fail_ratio", "rps", "p95_ms", "state", "description", "tags" '
                f'FROM "{RUNS}" WHERE $timeFilter GROUP BY "run_id"',
                [{"matcher": {"id": "byName", "options": "run_id"},
                  "properties": [{"id": "links", "value": open_run}]},
                 {"matcher": {"id": "byRegexp", "options": "start|stop"},
                  "properties": [{"id": "unit", "value": "dateTimeAsIso"}]},
                 {"matcher": {"id": "byName", "options": "fail_ratio"},
                  "properties": [{"id": "unit", "value": "percentunit"}]}],
                description="One row per run; the run id opens it in the run dashboard.",
                options={"sortBy": [{"displayName": "start", "desc": True}]}), 24, 9)
    for field, title, unit in (("rps", "Requests/s", "reqps"), ("p95_ms", "p95", "ms")):
        g.add(panel("trend", f"{title} by seconds since start: baseline vs candidate", [
            target(f'SELECT "elapsed_s", "{field}" AS "baseline" FROM "{REQUESTS}" WHERE '
                   f'"run_id" = \'$baseline\' AND {TOTAL} AND $timeFilter', "A", table=True),
            target(f'SELECT "elapsed_s", "{field}" AS "candidate" FROM "{REQUESTS}" WHERE '
                   f'"run_id" = \'$candidate\' AND {TOTAL} AND $timeFilter', "B", table=True)], unit,
            options={"xField": "elapsed_s"}), 12, 9)
    g.add(table("Baseline vs candidate", 'SELECT "requests", "fail_ratio", "rps", "p50_ms", "p95_ms", "p99_ms", '
                f'"duration_s" FROM "{RUNS}" WHERE "run_id" =~ /^($baseline|$candidate)$/ AND $timeFilter '
                'GROUP BY "run_id"', description="`locust-fleet runs compare BASELINE CANDIDATE` prints the same per "
                                                 "endpoint, with the change in % and thresholds."), 24, 6)
    baseline = query_var("baseline", "Baseline run", RUN_VAR["query"])
    candidate = query_var("candidate", "Candidate run", RUN_VAR["query"])
    return dashboard("locust-runs", "Locust runs", [baseline, candidate], g, time_from="now-30d", refresh="")


DASHBOARDS = {"locust-run.json": run_overview, "locust-workers.json": workers, "locust-runs.json": runs}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2, sort_keys=True) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    rendered = render()
    if "--check" in argv:
        stale = [n for n, text in rendered.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
        if stale:
            print(f"stale dashboards: {', '.join(stale)}; run: make dashboards", file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
