"""Accumulates the worker reports that arrive between two flushes into one interval's figures:
per endpoint and in total (counts, times, merged histogram), per worker, and errors.

Pure and cheap: a report handler adds to it, the flusher swaps it out. Because every report is
added to exactly one interval, the intervals' counts add up to the run's counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EndpointFigures:
    requests: int = 0
    failures: int = 0
    total_response_time: float = 0.0
    min_response_time: float | None = None
    max_response_time: float = 0.0
    content_length: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add_entry(self, entry: dict[str, Any]) -> None:
        """Add one report entry (Locust's serialised StatsEntry, already normalised)."""
        # Runs for every endpoint of every report (the exporter's largest cost in the master):
        # local names instead of repeated attribute look-ups, same results.
        get = entry.get
        self.requests += get("num_requests") or 0
        self.failures += get("num_failures") or 0
        self.total_response_time += get("total_response_time") or 0
        self.content_length += get("total_content_length") or 0
        high = get("max_response_time") or 0
        if high > self.max_response_time:  # what max() does, without the call
            self.max_response_time = high
        low = get("min_response_time")
        if low is not None and (self.min_response_time is None or low < self.min_response_time):
            self.min_response_time = low
        histogram = self.histogram
        hist_get = histogram.get
        for bucket, count in (get("response_times") or {}).items():
            histogram[bucket] = hist_get(bucket, 0) + count

    def add(self, other: EndpointFigures) -> None:
        self.add_entry({"num_requests": other.requests, "num_failures": other.failures,
                        "total_response_time": other.total_response_time,
                        "total_content_length": other.content_length,
                        "max_response_time": other.max_response_time,
                        "min_response_time": other.min_response_time, "response_times": other.histogram})

    @property
    def avg_response_time(self) -> float:
        return self.total_response_time / self.requests if self.requests else 0.0


@dataclass
class WorkerFigures:
    requests: int = 0
    failures: int = 0
    users: int | None = None  # from the worker's latest report in the interval


@dataclass
class Interval:
    endpoints: dict[tuple[str, str], EndpointFigures] = field(default_factory=dict)
    total: EndpointFigures = field(default_factory=EndpointFigures)
    workers: dict[str, WorkerFigures] = field(default_factory=dict)
    errors: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def add_report(self, client_id: str, data: dict[str, Any]) -> None:
        endpoints = self.endpoints
        for entry in data.get("stats") or []:
            key = (entry["name"], entry["method"])
            figures = endpoints.get(key)
            if figures is None:  # not setdefault: it would build a spare EndpointFigures per entry
                figures = endpoints[key] = EndpointFigures()
            figures.add_entry(entry)
        total = data.get("stats_total") or {}
        self.total.add_entry(total)
        worker = self.workers.setdefault(client_id, WorkerFigures())
        worker.requests += total.get("num_requests") or 0
        worker.failures += total.get("num_failures") or 0
        if data.get("user_count") is not None:
            worker.users = data["user_count"]
        for error in (data.get("errors") or {}).values():
            key = (error.get("method") or "", error.get("name") or "", str(error.get("error")))
            self.errors[key] = self.errors.get(key, 0) + (error.get("occurrences") or 0)


class IntervalAccumulator:
    """Holds the current interval; `swap` hands it over and starts a new one."""

    def __init__(self) -> None:
        self.current = Interval()

    def add_report(self, client_id: str, data: dict[str, Any]) -> None:
        self.current.add_report(client_id, data)

    def swap(self) -> Interval:
        done, self.current = self.current, Interval()
        return done


@dataclass
class RunFigures:
    """The whole run so far, merged interval by interval (for the run record)."""

    endpoints: dict[tuple[str, str], EndpointFigures] = field(default_factory=dict)
    total: EndpointFigures = field(default_factory=EndpointFigures)

    def add(self, interval: Interval) -> None:
        for key, figures in interval.endpoints.items():
            self.endpoints.setdefault(key, EndpointFigures()).add(figures)
        self.total.add(interval.total)
