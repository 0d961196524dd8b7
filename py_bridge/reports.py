"""Locust-shaped `stats` payloads built from their figures: the one place that spells out a stats
entry's fields, in the order Locust serialises them (the bytes of a frame depend on it). Used by
the fake worker, the fuzzer, the golden vectors, the benchmarks and the tests."""

from __future__ import annotations

from typing import Any


def stats_entry(name: str, method: str | None = "GET", **figures: Any) -> dict[str, Any]:
    """An entry with no requests, updated with figures (any of its fields); an unknown field is a
    TypeError, so a misspelt one cannot pass silently."""
    entry: dict[str, Any] = {
        "name": name, "method": method, "last_request_timestamp": None, "start_time": 0.0,
        "num_requests": 0, "num_none_requests": 0, "num_failures": 0, "total_response_time": 0,
        "max_response_time": 0, "min_response_time": None, "total_content_length": 0,
        "response_times": {}, "num_reqs_per_sec": {}, "num_fail_per_sec": {},
    }
    unknown = set(figures) - set(entry)
    if unknown:
        raise TypeError(f"stats_entry: unknown field(s) {', '.join(sorted(unknown))}")
    entry.update(figures)
    return entry


def stats_report(entries: list[dict[str, Any]], total: dict[str, Any], user_count: int,
                 user_classes_count: dict[str, int], errors: dict[str, dict] | None = None) -> dict[str, Any]:
    """The data of a `stats` message."""
    return {"stats": entries, "stats_total": total, "errors": errors or {}, "user_count": user_count,
            "user_classes_count": user_classes_count}
