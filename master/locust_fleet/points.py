"""Turns interval and run figures into line-protocol points, following docs/data-model.md.
Pure: figures in, Points out; the writer does the I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from py_bridge.histogram import percentile

from .intervals import EndpointFigures, Interval, RunFigures
from .rates import TOTAL, endpoint_key, worker_key
from .lineproto import Point
from .model import (AGGREGATED, ALL_USERS, ERRORS, EVENT, EVENTS, EXPORTER, METHOD, NAME, PERCENTILES, REQUESTS,
                    RUN_ID, RUN_PERCENTILES, RUNNING, RUNS, STOPPED, USER_CLASS, USERS, WORKER, WORKERS,
                    encode_histogram)
from .run_record import Run


@dataclass(frozen=True)
class WorkerSnapshot:
    """What the master knows of a worker at flush time (from its heartbeats)."""

    state: str
    cpu: float
    memory: int
    users: int


def _percentile_fields(figures: EndpointFigures, wanted) -> dict[str, int]:
    fields = {}
    for key, q in wanted:
        value = percentile(figures.histogram, q)
        if value is not None:
            fields[key] = int(value)
    return fields


def endpoint_fields(figures: EndpointFigures, counts: tuple[int, int], seconds: float) -> dict:
    """counts: requests and failures that happened in the interval's seconds (rates.py); the
    response times and the histogram are those of the reports that arrived in it."""
    requests, failures = counts
    fields = {
        "requests": requests,
        "failures": failures,
        "rps": requests / seconds,
        "fail_per_s": failures / seconds,
        "avg_ms": float(figures.avg_response_time),
        "max_ms": float(figures.max_response_time),
        "bytes": int(figures.content_length),
        "interval_s": float(seconds),
        "histogram": encode_histogram(figures.histogram),
    }
    if figures.min_response_time is not None:
        fields["min_ms"] = float(figures.min_response_time)
    fields.update(_percentile_fields(figures, PERCENTILES))
    return fields


def request_points(run_id: str, interval: Interval, counts: Mapping[tuple, tuple[int, int]], seconds: float,
                   time_ns: int, elapsed_s: float) -> list[Point]:
    """counts: per rates.py key, the requests and failures of the interval's seconds; seconds: their
    number. elapsed_s: seconds since the run started, so that runs can be overlaid by time since start."""
    names = set(interval.endpoints) | {(key[1], key[2]) for key in counts if key[0] == "endpoint"}
    points = [Point(REQUESTS, {RUN_ID: run_id, NAME: name, METHOD: method},
                    {**endpoint_fields(interval.endpoints.get((name, method)) or EndpointFigures(),
                                       counts.get(endpoint_key(name, method), (0, 0)), seconds),
                     "elapsed_s": elapsed_s}, time_ns)
              for name, method in sorted(names)]
    points.append(Point(REQUESTS, {RUN_ID: run_id, NAME: AGGREGATED},
                        {**endpoint_fields(interval.total, counts.get(TOTAL, (0, 0)), seconds), "elapsed_s": elapsed_s},
                        time_ns))
    return points


def user_points(run_id: str, user_classes_count: Mapping[str, int], time_ns: int) -> list[Point]:
    points = [Point(USERS, {RUN_ID: run_id, USER_CLASS: cls}, {"users": int(n)}, time_ns)
              for cls, n in sorted(user_classes_count.items())]
    points.append(Point(USERS, {RUN_ID: run_id, USER_CLASS: ALL_USERS},
                        {"users": int(sum(user_classes_count.values()))}, time_ns))
    return points


def worker_points(run_id: str, interval: Interval, counts: Mapping[tuple, tuple[int, int]],
                  workers: Mapping[str, WorkerSnapshot], seconds: float, time_ns: int) -> list[Point]:
    """counts and seconds as for request_points."""
    points = []
    counted = {key[1] for key in counts if key[0] == "worker"}
    for worker_id in sorted(set(workers) | set(interval.workers) | counted):
        figures = interval.workers.get(worker_id)
        snap = workers.get(worker_id)
        requests, failures = counts.get(worker_key(worker_id), (0, 0))
        fields = {
            "requests": requests,
            "failures": failures,
            "rps": requests / seconds,
            "users": int(snap.users if snap else ((figures.users or 0) if figures else 0)),
        }
        if snap is not None:
            fields.update(state=snap.state, cpu=float(snap.cpu), memory=int(snap.memory))
        points.append(Point(WORKERS, {RUN_ID: run_id, WORKER: worker_id}, fields, time_ns))
    return points


def error_points(run_id: str, interval: Interval, time_ns: int) -> list[Point]:
    points = []
    seen_per_series: dict[tuple[str, str], int] = {}
    for (method, name, error), occurrences in sorted(interval.errors.items()):
        # Several errors of one endpoint in one interval differ by a nanosecond each, so that
        # the error text stays a field (unbounded) and no point overwrites another.
        offset = seen_per_series.get((method, name), 0)
        seen_per_series[(method, name)] = offset + 1
        points.append(Point(ERRORS, {RUN_ID: run_id, METHOD: method, NAME: name},
                            {"error": error, "occurrences": int(occurrences)}, time_ns + offset))
    return points


def run_point(run: Run, figures: RunFigures | None) -> Point:
    started_ns = int(run.started * 1e9)
    fields = {
        "state": STOPPED if run.stopped is not None else RUNNING,
        "users": int(run.users),
        "peak_users": int(run.peak_users),
        "spawn_rate": float(run.spawn_rate),
        "host": run.host,
        "locustfile": run.locustfile,
        "description": run.description,
        "tags": run.tags_text,
        "start_time": float(run.started),
    }
    if run.stopped is not None and figures is not None:
        duration = max(run.stopped - run.started, 1e-9)
        active = run.active_s if run.active_s else duration
        total = figures.total
        fields.update(
            stop_time=float(run.stopped),
            duration_s=float(duration),
            active_s=float(active),
            requests=int(total.requests),
            failures=int(total.failures),
            fail_ratio=total.failures / total.requests if total.requests else 0.0,
            rps=total.requests / active,
            avg_ms=float(total.avg_response_time),
        )
        fields.update(_percentile_fields(total, RUN_PERCENTILES))
        if run.thresholds:
            fields.update(thresholds=run.thresholds, thresholds_failed=int(run.thresholds_failed))
    return Point(RUNS, {RUN_ID: run.run_id, **dict(run.tags)}, fields, started_ns)


def event_point(run_id: str, event: str, text: str, time_ns: int, worker: str = "", users: int = 0) -> Point:
    return Point(EVENTS, {RUN_ID: run_id, EVENT: event},
                 {"text": text, "worker": worker, "users": int(users)}, time_ns)


def exporter_point(run_id: str, counters: Mapping[str, int], time_ns: int,
                   health: Mapping[str, float] | None = None) -> Point:
    fields: dict = {k: int(v) for k, v in sorted(counters.items())}
    fields.update({k: float(v) for k, v in (health or {}).items()})
    return Point(EXPORTER, {RUN_ID: run_id}, fields, time_ns)
