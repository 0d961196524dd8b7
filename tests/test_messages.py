"""Validation names the message type, the field path and what was expected; quirks are data."""

import pytest

from py_bridge.messages import KNOWN_TYPES, TO_MASTER, TO_WORKER, problems, quirks_in, validate
from py_bridge.reports import stats_entry

ENTRY = stats_entry("home", "GET", last_request_timestamp=1.0, start_time=1.0, num_requests=1,
                    total_response_time=3.0, max_response_time=3, min_response_time=3, total_content_length=3,
                    response_times={3: 1}, num_reqs_per_sec={1: 1})


def stats(**over):
    data = {"stats": [dict(ENTRY)], "stats_total": dict(ENTRY, name="Aggregated"), "errors": {},
            "user_count": 1, "user_classes_count": {"GoWorkerUser": 1}}
    data.update(over)
    return data


@pytest.mark.parametrize("msg_type, data, direction, message", [
    ("client_ready", 3, TO_MASTER, "client_ready: expected a version string, or -1 (any version), got int 3"),
    ("client_ready", None, TO_MASTER, "client_ready: expected a version string, or -1 (any version), got None"),
    ("heartbeat", {"state": "running"}, TO_MASTER,
     "heartbeat: current_cpu_usage: expected a value, got nothing (the field is missing)"),
    ("heartbeat", {"state": "dancing", "current_cpu_usage": 1}, TO_MASTER,
     "heartbeat: state: expected one of ready, spawning, running, stopped, stopping, cleanup, missing, quitting, "
     "got str 'dancing'"),
    ("heartbeat", {"state": "ready", "current_cpu_usage": "high"}, TO_MASTER,
     "heartbeat: current_cpu_usage: expected a finite int or float >= 0, got str 'high'"),
    ("heartbeat", {"state": "ready", "current_cpu_usage": True}, TO_MASTER,
     "heartbeat: current_cpu_usage: expected a finite int or float >= 0, got bool True"),
    ("heartbeat", {"state": "ready", "current_cpu_usage": float("nan")}, TO_MASTER,
     "heartbeat: current_cpu_usage: expected a finite int or float >= 0, got float nan"),
    ("stats", stats(stats=[dict(ENTRY, total_response_time=float("inf"))]), TO_MASTER,
     "stats: stats[0].total_response_time: expected a finite int or float >= 0, got float inf"),
    ("stats", stats(stats_total=dict(ENTRY, name="Aggregated", max_response_time=-3)), TO_MASTER,
     "stats: stats_total.max_response_time: expected a finite int or float >= 0, got int -3"),
    ("stats", stats(user_count=-1), TO_MASTER, "stats: user_count: expected int >= 0, got int -1"),
    ("stats", stats(stats=[dict(ENTRY, response_times={"abc": 1})]), TO_MASTER,
     "stats: stats[0].response_times key 'abc': expected int, got str 'abc'"),
    ("stats", stats(stats=[dict(ENTRY, num_requests=1.5)]), TO_MASTER,
     "stats: stats[0].num_requests: expected int >= 0, got float 1.5"),
    ("stats", stats(stats={}), TO_MASTER, "stats: stats: expected a list, got dict {}"),
    ("stats", stats(errors={"k": {"name": "a", "error": "e", "occurrences": "2"}}), TO_MASTER,
     "stats: errors['k'].method: expected a value, got nothing (the field is missing)"),
    ("stats", stats(user_classes_count={"A": None}), TO_MASTER,
     "stats: user_classes_count['A']: expected int >= 0, got None"),
    ("exception", {"msg": "boom"}, TO_MASTER, "exception: traceback: expected a value, got nothing (the field is missing)"),
    ("spawning_complete", {"count": 1}, TO_MASTER,
     "spawning_complete: user_classes_count: expected a value, got nothing (the field is missing)"),
    ("ack", {"index": "0"}, TO_WORKER, "ack: index: expected int >= 0, got str '0'"),
    ("spawn", {"timestamp": 1.0, "user_classes_count": [], "host": None, "stop_timeout": None, "parsed_options": {}},
     TO_WORKER, "spawn: user_classes_count: expected a map of str to int, got list []"),
    ("stop", {"now": True}, TO_WORKER, "stop: expected None, got dict {'now': True}"),
])
def test_validate_names_type_path_and_expectation(msg_type, data, direction, message):
    with pytest.raises(ValueError) as err:
        validate(msg_type, data, direction)
    assert str(err.value) == message


def test_validate_accepts_custom_messages_and_good_stats():
    # A custom type has no schema, so any data passes; Locust's own types are checked.
    assert "anything_custom" not in KNOWN_TYPES and "stats" in KNOWN_TYPES
    assert problems("anything_custom", object(), TO_MASTER) == []
    assert problems("stats", stats(), TO_MASTER) == []
    validate("stats", stats(), TO_MASTER)  # raises on the first problem
    # the same checks do find a broken field in each of them
    assert [str(p) for p in problems("stats", stats(user_count="1"), TO_MASTER)] == \
        ["stats: user_count: expected int >= 0, got str '1'"]


def test_quirks_are_recognised_by_name():
    boomer = stats(stats=[dict(ENTRY, num_requests=0, min_response_time=0, response_times={})],
                   errors={"k": {"method": "GET", "name": "a", "error": "e", "occurrences": 1}})
    names = {q.name for q in quirks_in("stats", boomer)}
    assert {"min_response_time 0 without requests", "errors without first_seen/last_seen"} <= names
    assert quirks_in("stats", stats()) == []
    assert [q.name for q in quirks_in("spawning_complete", {"count": 1, "user_classes_count": {}})] == \
        ["spawning_complete count"]
