"""Interval and run figures become the points of docs/data-model.md: measurements, tags and fields
as declared in locust_fleet.model, figures computed exactly."""

import pytest

from locust_fleet import model
from locust_fleet.intervals import Interval, RunFigures
from locust_fleet.points import (WorkerSnapshot, error_points, event_point, exporter_point, request_points, run_point,
                                 user_points, worker_points)
from locust_fleet.rates import TOTAL, endpoint_key, worker_key
from locust_fleet.run_record import Run
from py_bridge.reports import stats_entry, stats_report

T = 1_764_081_000_000_000_000


def entry(name, method, buckets, failures=0):
    n = sum(buckets.values())
    return stats_entry(name, method, num_requests=n, num_failures=failures,
                       total_response_time=float(sum(ms * c for ms, c in buckets.items())),
                       max_response_time=max(buckets, default=0), min_response_time=min(buckets, default=None),
                       total_content_length=100 * n, response_times=buckets)


@pytest.fixture
def interval() -> Interval:
    interval = Interval()
    home, broken = entry("home", "GET", {10: 98, 200: 2}), entry("broken", "GET", {1: 4}, failures=4)
    errors = {"a": {"method": "GET", "name": "broken", "error": "HTTP 503", "occurrences": 3},
              "b": {"method": "GET", "name": "broken", "error": "timeout", "occurrences": 1}}
    interval.add_report("w1", stats_report([home, broken], entry("Aggregated", "", {10: 98, 200: 2, 1: 4}, 4), 5,
                                           {"U": 5}, errors))
    return interval


# What happened in the interval's seconds (rates.py), which may differ from what its reports hold.
COUNTS = {endpoint_key("home", "GET"): (100, 0), endpoint_key("broken", "GET"): (4, 4), TOTAL: (104, 4),
          worker_key("w1"): (104, 4)}


def declared(point) -> bool:
    return set(point.fields) <= set(model.FIELDS[point.measurement])


def test_request_points_per_endpoint_and_aggregated(interval):
    points = request_points("r1", interval, COUNTS, 2.0, T, 12.5)
    assert [(p.measurement, p.tags) for p in points] == [
        (model.REQUESTS, {"run_id": "r1", "name": "broken", "method": "GET"}),
        (model.REQUESTS, {"run_id": "r1", "name": "home", "method": "GET"}),
        (model.REQUESTS, {"run_id": "r1", "name": model.AGGREGATED})]
    home = points[1].fields
    assert home == {"requests": 100, "failures": 0, "rps": 50.0, "fail_per_s": 0.0, "avg_ms": 13.8,
                    "max_ms": 200.0, "min_ms": 10.0, "bytes": 10000, "interval_s": 2.0, "histogram": "10:98,200:2",
                    "p50_ms": 10, "p90_ms": 10, "p95_ms": 10, "p99_ms": 200, "elapsed_s": 12.5}
    assert points[2].fields["requests"] == 104 and points[2].fields["fail_per_s"] == 2.0
    assert all(p.time_ns == T and declared(p) for p in points)


def test_an_empty_interval_writes_only_the_aggregated_point_without_minimum_or_percentiles():
    (point,) = request_points("r1", Interval(), {}, 1.0, T, 1.0)
    assert point.tags["name"] == model.AGGREGATED and point.fields["requests"] == 0
    assert "min_ms" not in point.fields and "p50_ms" not in point.fields and point.fields["histogram"] == ""


def test_counts_and_rates_come_from_the_seconds_and_response_times_from_the_reports(interval):
    counts = {endpoint_key("home", "GET"): (60, 0), endpoint_key("late", "GET"): (7, 1), TOTAL: (67, 1)}
    points = {p.tags["name"]: p.fields for p in request_points("r1", interval, counts, 5.0, T, 5.0)}
    assert (points["home"]["requests"], points["home"]["rps"], points["home"]["avg_ms"]) == (60, 12.0, 13.8)
    assert points["broken"]["requests"] == 0 and points["broken"]["histogram"] == "1:4"
    # an endpoint whose report comes in a later interval: counted here, without response times
    assert (points["late"]["requests"], points["late"]["fail_per_s"], points["late"]["histogram"]) == (7, 0.2, "")
    assert points[model.AGGREGATED]["rps"] == 13.4


def test_user_points_per_class_and_all():
    points = user_points("r1", {"B": 2, "A": 3}, T)
    assert [(p.tags["user_class"], p.fields["users"]) for p in points] == [("A", 3), ("B", 2), (model.ALL_USERS, 5)]


def test_worker_points_join_reports_and_heartbeats(interval):
    snapshots = {"w1": WorkerSnapshot("running", 12.5, 1000, 5), "w2": WorkerSnapshot("missing", 0.0, 0, 0)}
    points = worker_points("r1", interval, COUNTS, snapshots, 4.0, T)
    assert [(p.tags, p.fields) for p in points] == [
        ({"run_id": "r1", "worker": "w1"}, {"requests": 104, "failures": 4, "rps": 26.0, "users": 5,
                                             "state": "running", "cpu": 12.5, "memory": 1000}),
        ({"run_id": "r1", "worker": "w2"}, {"requests": 0, "failures": 0, "rps": 0.0, "users": 0,
                                             "state": "missing", "cpu": 0.0, "memory": 0})]
    assert all(declared(p) for p in points)


def test_error_points_of_one_endpoint_differ_by_a_nanosecond(interval):
    points = error_points("r1", interval, T)
    assert [(p.tags, p.fields, p.time_ns - T) for p in points] == [
        ({"run_id": "r1", "method": "GET", "name": "broken"}, {"error": "HTTP 503", "occurrences": 3}, 0),
        ({"run_id": "r1", "method": "GET", "name": "broken"}, {"error": "timeout", "occurrences": 1}, 1)]


def test_run_point_running_then_stopped_with_the_run_figures(interval):
    run = Run("r1", 100.0, users=5, peak_users=12, spawn_rate=2.5, host="http://h", locustfile="f.py", description="d",
              tags=(("build", "7"),))
    started = run_point(run, None)
    assert started.tags == {"run_id": "r1", "build": "7"} and started.time_ns == 100_000_000_000
    assert started.fields == {"state": model.RUNNING, "users": 5, "peak_users": 12, "spawn_rate": 2.5, "host": "http://h",
                              "locustfile": "f.py", "description": "d", "tags": "build=7", "start_time": 100.0}
    figures = RunFigures()
    figures.add(interval)
    run.stopped, run.active_s = 108.0, 6.5
    stopped = run_point(run, figures)
    assert stopped.time_ns == started.time_ns and declared(stopped)
    assert {k: stopped.fields[k] for k in ("state", "duration_s", "active_s", "requests", "failures", "fail_ratio",
                                           "rps", "p50_ms", "p95_ms", "p99_ms")} == {
        "state": model.STOPPED, "duration_s": 8.0, "active_s": 6.5, "requests": 104, "failures": 4,
        "fail_ratio": 4 / 104, "rps": 16.0, "p50_ms": 10, "p95_ms": 10, "p99_ms": 200}


def test_event_and_exporter_points():
    event = event_point("r1", "worker_joined", "Worker w1 joined", T, worker="w1")
    assert (event.measurement, event.tags, event.fields) == (
        model.EVENTS, {"run_id": "r1", "event": "worker_joined"}, {"text": "Worker w1 joined", "worker": "w1", "users": 0})
    exporter = exporter_point("r1", {"written": 3, "queued": 4}, T, {"loop_lag_p99_ms": 1.5})
    assert exporter.fields == {"queued": 4, "written": 3, "loop_lag_p99_ms": 1.5} and declared(exporter)


def test_run_point_of_a_judged_run_keeps_the_thresholds(interval):
    figures = RunFigures()
    figures.add(interval)
    run = Run("r1", 100.0, stopped=108.0, thresholds='[{"threshold":"p95<1s","passed":false}]', thresholds_failed=1)
    point = run_point(run, figures)
    assert (point.fields["thresholds"], point.fields["thresholds_failed"]) == (run.thresholds, 1) and declared(point)
    assert "thresholds" not in run_point(Run("r2", 100.0, stopped=108.0), figures).fields
