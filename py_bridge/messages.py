"""Every message type of Locust's protocol in both directions, as schemas checked field by field.

`validate` raises ValidationError naming the message type, the field path and what was expected,
e.g. `stats: stats[2].response_times key 'abc': expected int, got str 'abc'`. Known boomer
deviations are data (QUIRKS): the checker reports them as handled, naming the master-side
normalisation, instead of accepting them silently.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TO_MASTER = "worker->master"
TO_WORKER = "master->worker"
WORKER_STATES = ("ready", "spawning", "running", "stopped", "stopping", "cleanup", "missing", "quitting")


class ValidationError(ValueError):
    def __init__(self, msg_type: str, path: str, expected: str, got: Any):
        self.msg_type, self.path, self.expected, self.got = msg_type, path, expected, got
        where = f"{msg_type}: {path}" if path else msg_type
        super().__init__(f"{where}: expected {expected}, got {describe(got)}")


MISSING = object()


def describe(value: Any) -> str:
    if value is MISSING:
        return "nothing (the field is missing)"
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


# --- schema building blocks: each is a function (value, path, errors-sink) ---------------------
Check = Callable[[Any, str, Callable[[str, str, Any], None]], None]


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """An int or a finite float: NaN or infinity in a figure would poison every sum it joins."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def scalar(name: str, test: Callable[[Any], bool]) -> Check:
    def check(v, path, fail):
        if not test(v):
            fail(path, name, v)
    return check


INT = scalar("int", is_int)
NUMBER = scalar("a finite int or float", is_number)
NON_NEGATIVE_NUMBER = scalar("a finite int or float >= 0", lambda v: is_number(v) and v >= 0)
STR = scalar("str", lambda v: isinstance(v, str))
BOOL = scalar("bool", lambda v: isinstance(v, bool))
NONE = scalar("None", lambda v: v is None)
ANY: Check = lambda v, path, fail: None  # noqa: E731
NON_NEGATIVE_INT = scalar("int >= 0", lambda v: is_int(v) and v >= 0)
TIMESTAMP = scalar("a timestamp (int or float seconds, or datetime)",
                   lambda v: is_number(v) or isinstance(v, datetime.datetime))


def optional(inner: Check) -> Check:
    def check(v, path, fail):
        if v is not None:
            inner(v, path, fail)
    return check


def one_of(name: str, *checks: Check) -> Check:
    def check(v, path, fail):
        for c in checks:
            problems = []
            c(v, path, lambda *a: problems.append(a))
            if not problems:
                return
        fail(path, name, v)
    return check


def mapping(key: Check, value: Check, key_name: str) -> Check:
    def check(v, path, fail):
        if not isinstance(v, Mapping):
            return fail(path, f"a map of {key_name}", v)
        for k, item in v.items():
            key(k, f"{path} key {k!r}", fail)
            value(item, f"{path}[{k!r}]", fail)
    return check


def listing(item: Check) -> Check:
    def check(v, path, fail):
        if not isinstance(v, (list, tuple)):
            return fail(path, "a list", v)
        for i, entry in enumerate(v):
            item(entry, f"{path}[{i}]", fail)
    return check


def struct(required: dict[str, Check], optional_fields: dict[str, Check] | None = None) -> Check:
    optional_fields = optional_fields or {}

    def check(v, path, fail):
        if not isinstance(v, Mapping):
            return fail(path, "a map with " + ", ".join(required) if required else "a map", v)
        for name, c in required.items():
            sub = f"{path}.{name}" if path else name
            if name not in v:
                fail(sub, "a value", MISSING)
            else:
                c(v[name], sub, fail)
        for name, c in optional_fields.items():
            if name in v:
                c(v[name], f"{path}.{name}" if path else name, fail)
    return check


COUNTS = mapping(STR, NON_NEGATIVE_INT, "str to int")
PER_SECOND = mapping(INT, NON_NEGATIVE_INT, "int seconds to int counts")
STATS_ENTRY = struct({
    "name": STR, "method": optional(STR), "last_request_timestamp": optional(TIMESTAMP), "start_time": TIMESTAMP,
    "num_requests": NON_NEGATIVE_INT, "num_none_requests": NON_NEGATIVE_INT, "num_failures": NON_NEGATIVE_INT,
    "total_response_time": NON_NEGATIVE_NUMBER, "max_response_time": NON_NEGATIVE_NUMBER,
    "min_response_time": optional(NON_NEGATIVE_NUMBER),
    "total_content_length": NON_NEGATIVE_INT,
    "response_times": mapping(INT, NON_NEGATIVE_INT, "int ms buckets to int counts"),
    "num_reqs_per_sec": PER_SECOND, "num_fail_per_sec": PER_SECOND,
})
ERROR_ENTRY = struct({"method": optional(STR), "name": STR, "error": STR, "occurrences": NON_NEGATIVE_INT},
                     {"first_seen": optional(TIMESTAMP), "last_seen": optional(TIMESTAMP)})

SCHEMAS: dict[tuple[str, str], Check] = {
    # worker -> master
    (TO_MASTER, "client_ready"): one_of("a version string, or -1 (any version)", STR,
                                        scalar("-1", lambda v: v == -1)),
    (TO_MASTER, "spawning"): NONE,
    (TO_MASTER, "spawning_complete"): struct({"user_classes_count": COUNTS},
                                             {"user_count": NON_NEGATIVE_INT, "count": NON_NEGATIVE_INT}),
    (TO_MASTER, "stats"): struct({"stats": listing(STATS_ENTRY), "stats_total": STATS_ENTRY,
                                  "errors": mapping(STR, ERROR_ENTRY, "str keys to error entries"),
                                  "user_count": NON_NEGATIVE_INT, "user_classes_count": COUNTS}),
    (TO_MASTER, "heartbeat"): struct({"state": scalar("one of " + ", ".join(WORKER_STATES),
                                                      lambda v: v in WORKER_STATES),
                                      "current_cpu_usage": NON_NEGATIVE_NUMBER},
                                     {"current_memory_usage": NON_NEGATIVE_INT}),
    (TO_MASTER, "client_stopped"): NONE,
    (TO_MASTER, "quit"): NONE,
    (TO_MASTER, "exception"): struct({"msg": STR, "traceback": STR}),
    (TO_MASTER, "logs"): struct({"worker_id": STR, "logs": listing(STR)}),
    (TO_MASTER, "locustfile"): struct({"version": STR}),
    # master -> worker
    (TO_WORKER, "ack"): struct({"index": NON_NEGATIVE_INT}),
    (TO_WORKER, "spawn"): struct({"timestamp": NUMBER, "user_classes_count": COUNTS, "host": optional(STR),
                                  "stop_timeout": optional(NUMBER), "parsed_options": mapping(STR, ANY, "str keys")}),
    (TO_WORKER, "spawning_complete"): struct({"user_count": NON_NEGATIVE_INT}),
    (TO_WORKER, "heartbeat"): NONE,
    (TO_WORKER, "stop"): NONE,
    (TO_WORKER, "quit"): NONE,
    (TO_WORKER, "reconnect"): NONE,
    (TO_WORKER, "update_user_class"): struct({"user_class_name": STR, "user_class": mapping(STR, ANY, "str keys")}),
    (TO_WORKER, "locustfile"): one_of("a map with locustfiles or error",
                                      struct({"locustfiles": listing(ANY)}), struct({"error": STR})),
}

KNOWN_TYPES = {t for _, t in SCHEMAS}


def validate(msg_type: str, data: Any, direction: str) -> None:
    """Raise ValidationError for the first problem; unknown types are custom messages (any data)."""
    check = SCHEMAS.get((direction, msg_type))
    if check is None:
        return
    problems: list[tuple[str, str, Any]] = []
    check(data, "", lambda path, expected, got: problems.append((path, expected, got)))
    if problems:
        raise ValidationError(msg_type, *problems[0])


def problems(msg_type: str, data: Any, direction: str) -> list[ValidationError]:
    """All problems of a message, not only the first."""
    check = SCHEMAS.get((direction, msg_type))
    found: list[ValidationError] = []
    if check is not None:
        check(data, "", lambda path, expected, got: found.append(ValidationError(msg_type, path, expected, got)))
    return found


@dataclass(frozen=True)
class Quirk:
    """A known deviation of boomer from Locust's own worker, and what handles it on the master."""

    name: str
    detail: str
    handled_by: str
    detect: Callable[[str, Any], bool]


def _entries(data: Any) -> list[dict]:
    if not isinstance(data, Mapping):
        return []
    entries = [e for e in data.get("stats") or [] if isinstance(e, Mapping)]
    if isinstance(data.get("stats_total"), Mapping):
        entries.append(data["stats_total"])
    return entries


def _forgotten_zero_min(entry: Mapping) -> bool:
    buckets = [k for k, n in (entry.get("response_times") or {}).items() if n and is_int(k)]
    low = entry.get("min_response_time")
    return bool(buckets) and min(buckets) < 100 and is_number(low) and low - min(buckets) >= 1


QUIRKS = (
    Quirk("min_response_time 0 without requests",
          "entries with no requests carry min_response_time 0 instead of None",
          "master/locust_fleet/normalise.py normalise_entry sets it to None",
          lambda t, d: t == "stats" and any(not e.get("num_requests") and e.get("min_response_time") == 0
                                            for e in _entries(d))),
    Quirk("0 ms minimum forgotten", "a 0 ms response is replaced as minimum by a slower one",
          "normalise_entry takes the minimum from the exact buckets below 100 ms",
          lambda t, d: t == "stats" and any(_forgotten_zero_min(e) for e in _entries(d))),
    Quirk("errors without first_seen/last_seen", "error entries lack the first_seen/last_seen times",
          "normalise_error sets them to None",
          lambda t, d: t == "stats" and isinstance(d, Mapping) and any(
              isinstance(e, Mapping) and "first_seen" not in e for e in (d.get("errors") or {}).values())),
    Quirk("nil maps", "empty maps are sent as nil", "normalise_entry/normalise_report turn them into {}",
          lambda t, d: t == "stats" and any(e.get(k) is None for e in _entries(d)
                                            for k in ("response_times", "num_reqs_per_sec", "num_fail_per_sec"))),
    Quirk("spawning_complete count", "spawning_complete says count instead of user_count",
          "Locust's master reads only user_classes_count from it",
          lambda t, d: t == "spawning_complete" and isinstance(d, Mapping) and "count" in d and "user_count" not in d),
    Quirk("whole-second timestamps", "start_time and last_request_timestamp are whole seconds",
          "Locust merges them as numbers; per-second counts are whole seconds anyway",
          lambda t, d: t == "stats" and any(is_int(e.get("start_time")) for e in _entries(d))),
    Quirk("no final report at stop", "what was measured since the last report is dropped at stop",
          "master/locust_fleet/drain.py sends zero users and waits for an idle report before stopping",
          lambda t, d: False),  # seen by the checker from the conversation, not from one message
)


def quirks_in(msg_type: str, data: Any) -> list[Quirk]:
    return [q for q in QUIRKS if q.detect(msg_type, data)]
