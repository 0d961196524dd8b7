"""Every message the master reads agrees with itself (py_bridge/consistency.py): a consistent
message of each type has no problem; each way of breaking one is named, with the exact text the
master logs and verify-protocol shows. The report rules are also covered row by row in
test_contract.py."""

from __future__ import annotations

import pytest

from py_bridge.consistency import message_problems
from py_bridge.fuzz import EXAMPLES
from py_bridge.messages import TO_MASTER
from py_bridge.reports import stats_entry, stats_report

NODE = "w1"


@pytest.mark.parametrize("msg_type", sorted(t for d, t in EXAMPLES if d == TO_MASTER))
def test_the_valid_example_of_each_type_has_no_problem(msg_type):
    data = EXAMPLES[(TO_MASTER, msg_type)]
    if msg_type == "logs":
        data = dict(data, worker_id=NODE)
    assert message_problems(msg_type, data, NODE) == []


def test_boomer_s_own_messages_have_no_problem():
    # boomer: spawning_complete with count, reports of entries without requests (min 0, as
    # normalise.py leaves them for Locust: min None), a 0 ms minimum forgotten
    assert message_problems("spawning_complete", {"count": 2, "user_classes_count": {"GoWorkerUser": 2}}, NODE) == []
    idle = stats_report([], stats_entry("Total", "", start_time=1), 0, {})
    assert message_problems("stats", idle, NODE) == []
    forgotten = stats_entry("/", "GET", start_time=1, last_request_timestamp=1, num_requests=2,
                            total_response_time=5, max_response_time=5, min_response_time=5,
                            response_times={0: 1, 5: 1}, num_reqs_per_sec={1: 2})
    report = stats_report([forgotten], dict(forgotten, name="Total", method=""), 1, {"GoWorkerUser": 1})
    assert message_problems("stats", report, NODE) == []


BROKEN = [
    ("spawning_complete", {"user_classes_count": {"GoWorkerUser": 2}, "user_count": 3},
     "spawning_complete: user_count 3 but user_classes_count adds up to 2 (the master counts users from the classes)"),
    ("spawning_complete", {"user_classes_count": {"GoWorkerUser": 2}, "count": 1},
     "spawning_complete: count 1 but user_classes_count adds up to 2 (the master counts users from the classes)"),
    ("spawning_complete", {"user_classes_count": {"A": 1, "B": 1}, "user_count": 2, "count": 3},
     "spawning_complete: count 3 but user_classes_count adds up to 2 (the master counts users from the classes)"),
    ("heartbeat", {"state": "missing", "current_cpu_usage": 1.0},
     "heartbeat: state: got 'missing'; only the master marks a worker missing"),
    ("logs", {"worker_id": "someone-else", "logs": ["line"]},
     "logs: worker_id 'someone-else' is not the sender, 'w1'"),
    ("stats", stats_report([], stats_entry("Total", "", start_time=1, total_response_time=40, max_response_time=40),
                           0, {}),
     "stats, 'Total': total_response_time 40 and max_response_time 40 without a timed request"),
]


@pytest.mark.parametrize("msg_type, data, text", BROKEN, ids=[f"{b[0]}: {b[2][:40]}" for b in BROKEN])
def test_a_message_that_disagrees_with_itself_is_named(msg_type, data, text):
    assert text in [str(p) for p in message_problems(msg_type, data, NODE)]


def test_a_report_taken_while_users_start_is_no_problem_for_the_master():
    # boomer reports its running users and the classes the master asked for: mid-ramp they differ
    ramping = stats_report([], stats_entry("Total", "", start_time=1), 2, {"GoWorkerUser": 6})
    assert message_problems("stats", ramping, NODE) == []


def test_each_problem_has_a_rule_the_master_logs_once():
    rules = {p.rule for msg_type, data, _ in BROKEN for p in message_problems(msg_type, data, NODE)}
    assert rules == {"user count", "state", "worker_id", "times without requests", "total total_response_time"}
