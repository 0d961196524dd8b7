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
CHECKS = "locust_checks"

# Tags
RUN_ID = "run_id"
NAME = "name"
METHOD = "method"
WORKER = "worker"
USER_CLASS = "user_class"
EVENT = "event"
CHECK = "check"
# Tags of the data model: a --run-tag may not take one of these keys.
RESERVED_TAGS = frozenset({RUN_ID, NAME, METHOD, WORKER, USER_CLASS, EVENT, CHECK})
# A column every InfluxDB names itself: no tag or field may take its name.
TIME = "time"

# Tag values
AGGREGATED = "Aggregated"  # the name of the total, as in Locust's statistics table
ALL_USERS = "all"  # the user_class of the users' total

# Percentile fields: per interval, and over a whole run (locust_runs)
PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p95_ms", 0.95), ("p99_ms", 0.99))
RUN_PERCENTILES = (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))

# Run states (locust_runs.state)
RUNNING, STOPPED = "running", "stopped"

# The writer's counters (writer.py), written as locust_exporter's int fields.
EXPORTER_COUNTERS = ("queued", "written", "retried", "spooled", "replayed", "refused", "dropped")

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
    EXPORTER: (*EXPORTER_COUNTERS, "loop_lag_p99_ms", "loop_lag_max_ms"),
    CHECKS: ("passes", "fails", "pass_ratio"),
}


# Tags per measurement (locust_runs also carries the --run-tag keys).
TAGS = {
    REQUESTS: (RUN_ID, NAME, METHOD),
    USERS: (RUN_ID, USER_CLASS),
    WORKERS: (RUN_ID, WORKER),
    ERRORS: (RUN_ID, METHOD, NAME),
    RUNS: (RUN_ID,),
    EVENTS: (RUN_ID, EVENT),
    EXPORTER: (RUN_ID,),
    CHECKS: (RUN_ID, METHOD, NAME, CHECK),
}

# The type of every field, fixed for good: InfluxDB 1.x refuses another type within a shard, 2.x
# within a bucket's shard, 3 for ever (a column keeps the type of its first write). "int" is
# line protocol's 1i, "float" 1.0, "str" a quoted string.
FIELD_TYPES = {
    REQUESTS: {"requests": "int", "failures": "int", "rps": "float", "fail_per_s": "float", "avg_ms": "float",
               "min_ms": "float", "max_ms": "float", **{key: "int" for key, _ in PERCENTILES}, "bytes": "int",
               "interval_s": "float", "elapsed_s": "float", "histogram": "str"},
    USERS: {"users": "int"},
    WORKERS: {"users": "int", "requests": "int", "failures": "int", "rps": "float", "cpu": "float", "memory": "int",
              "state": "str"},
    ERRORS: {"error": "str", "occurrences": "int"},
    RUNS: {"state": "str", "users": "int", "peak_users": "int", "spawn_rate": "float", "host": "str",
           "locustfile": "str", "description": "str", "tags": "str", "start_time": "float", "stop_time": "float",
           "duration_s": "float", "active_s": "float", "requests": "int", "failures": "int", "fail_ratio": "float",
           "rps": "float", "avg_ms": "float", **{key: "int" for key, _ in RUN_PERCENTILES}, "thresholds": "str",
           "thresholds_failed": "int"},
    EVENTS: {"text": "str", "worker": "str", "users": "int"},
    EXPORTER: {**dict.fromkeys(EXPORTER_COUNTERS, "int"), "loop_lag_p99_ms": "float", "loop_lag_max_ms": "float"},
    CHECKS: {"passes": "int", "fails": "int", "pass_ratio": "float"},
}


def name_clashes(run_tag_keys: tuple[str, ...] = ()) -> list[str]:
    """Every name used both as a tag and as a field of one measurement, or named "time", with the
    given --run-tag keys among locust_runs' tags. InfluxDB 3 refuses such a write whole (a column
    is a tag or a field, influxdb3_catalog's column_or_create); 1.x and 2.x store it, and then
    InfluxQL reads the name as the field. Empty: the model fits every supported server."""
    clashes = []
    for measurement, fields in FIELDS.items():
        tags = TAGS[measurement] + (run_tag_keys if measurement == RUNS else ())
        for name in sorted(set(tags) & set(fields)):
            clashes.append(f"{name!r} is a tag and a field of {measurement}")
        for name in sorted({TIME} & (set(tags) | set(fields))):
            clashes.append(f"{name!r} in {measurement} is InfluxDB's own time column")
    return clashes


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
