"""Locust's `stats` payloads: built from their figures (the one place that spells out a stats
entry's fields, in the order Locust serialises them, since the bytes of a frame depend on it), and
read (`is_idle_report`). Used by the fake worker and master, the fuzzer, the golden vectors, the
master's drain, the benchmarks and the tests."""

from __future__ import annotations

from collections.abc import Mapping
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


def is_idle_report(data: Any) -> bool:
    """A report from a worker with no users that measured nothing since its previous report: what
    a worker sends once a spawn of zero users has settled, so its last requests are counted."""
    if not isinstance(data, Mapping) or data.get("user_count"):
        return False
    entries = [*(data.get("stats") or []), data.get("stats_total") or {}]
    return not any(isinstance(e, Mapping) and (e.get("num_requests") or e.get("num_failures")) for e in entries)


def stats_report(entries: list[dict[str, Any]], total: dict[str, Any], user_count: int,
                 user_classes_count: dict[str, int], errors: dict[str, dict] | None = None) -> dict[str, Any]:
    """The data of a `stats` message."""
    return {"stats": entries, "stats_total": total, "errors": errors or {}, "user_count": user_count,
            "user_classes_count": user_classes_count}
