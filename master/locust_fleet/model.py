"""The data model in InfluxDB (docs/data-model.md), named once: measurements, tags, fields, the
total's name and the histogram field's text form. The points builder, the runs reader and report,
the option checks, the dashboard generator and the tests all spell them from here, so a rename is
one edit (and a breaking change for users' own queries: see docs/data-model.md)."""

from __future__ import annotations

from collections.abc import Mapping

# Measurements
REQUESTS = "locust_requests"
USERS = "locust_users"
WORKERS = "locust_workers"
ERRORS = "locust_errors"
RUNS = "locust_runs"
EVENTS = "locust_events"
EXPORTER = "locust_exporter"

# Tags
RUN_ID = "run_id"
NAME = "name"
METHOD = "method"
WORKER = "worker"
USER_CLASS = "user_class"
EVENT = "event"
# Tags of the data model: a --run-tag may not take one of these keys.
RESERVED_TAGS = frozenset({RUN_ID, NAME, METHOD, WORKER, USER_CLASS, EVENT})

# Tag values
AGGREGATED = "Aggregated"  # the name of the total, as in Locust's statistics table
ALL_USERS = "all"  # the user_class of the users' total

# Percentile fields: per interval, and over a whole run (locust_runs)
PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p95_ms", 0.95), ("p99_ms", 0.99))
RUN_PERCENTILES = (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))

# Run states (locust_runs.state)
RUNNING, STOPPED = "running", "stopped"

# Fields per measurement, as docs/data-model.md lists them (tests check the points against these).
FIELDS = {
    REQUESTS: ("requests", "failures", "rps", "fail_per_s", "avg_ms", "min_ms", "max_ms",
               *(key for key, _ in PERCENTILES), "bytes", "interval_s", "elapsed_s", "histogram"),
    USERS: ("users",),
    WORKERS: ("users", "requests", "failures", "rps", "cpu", "memory", "state"),
    ERRORS: ("error", "occurrences"),
    RUNS: ("state", "users", "peak_users", "spawn_rate", "host", "locustfile", "description", "tags", "start_time",
           "stop_time", "duration_s", "active_s", "requests", "failures", "fail_ratio", "rps", "avg_ms",
           *(key for key, _ in RUN_PERCENTILES), "thresholds", "thresholds_failed"),
    EVENTS: ("text", "worker", "users"),
    EXPORTER: ("queued", "written", "retried", "spooled", "replayed", "dropped", "loop_lag_p99_ms", "loop_lag_max_ms"),
}


def encode_histogram(hist: Mapping[int, int]) -> str:
    """The `histogram` field: "0:3,12:40,110:2", buckets ascending, empty buckets left out."""
    return ",".join(f"{ms}:{count}" for ms, count in sorted(hist.items()) if count)


def decode_histogram(text: str) -> dict[int, int]:
    """Inverse of encode_histogram; raises ValueError naming the bad part."""
    hist: dict[int, int] = {}
    for part in filter(None, text.split(",")):
        ms, sep, count = part.partition(":")
        try:
            if not sep:
                raise ValueError
            hist[int(ms)] = hist.get(int(ms), 0) + int(count)
        except ValueError:
            raise ValueError(f"histogram: got {part!r}; expected MS:COUNT") from None
    return hist
