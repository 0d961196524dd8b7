"""The exporter follows a run on the master's events and hands the writer exactly the points of
docs/data-model.md: the run record at start and stop, one interval per --influxdb-interval, events.
A stand-in runner carries the few attributes the exporter reads; the clock is injected."""

from types import SimpleNamespace

import pytest

from locust_fleet import model
from locust_fleet.exporter import PENDING_EVENTS_KEPT, Exporter
from locust_fleet.options import ExporterConfig
from locust_fleet.stats_reset import ANSWER_WITHIN_S
from py_bridge.reports import stats_entry, stats_report

START = 1_764_081_000.0


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def worker(node: str, state: str = "running", users: int = 2):
    return SimpleNamespace(id=node, state=state, cpu_usage=10.0, memory_usage=1000, user_count=users)


@pytest.fixture
def setup():
    runner = SimpleNamespace(clients=SimpleNamespace(all=[worker("w1")]), target_user_count=2, spawn_rate=1.0,
                             reported_user_classes_count={"U": 2},
                             stats=SimpleNamespace(start_time=START, last_request_timestamp=START + 4))
    clock, points = Clock(START - 10), []
    config = ExporterConfig(url="http://127.0.0.1:8086", database="locust", interval=5.0, run_tags=(("env", "ci"),))
    exporter = Exporter(runner, config, points.extend, now=clock)
    environment = SimpleNamespace(parsed_options=SimpleNamespace(run_description="", locustfile="f.py"),
                                  host="http://u:secret@h")
    return exporter, runner, clock, points, environment


def report(requests: int) -> dict:
    home = stats_entry("home", "GET", num_requests=requests, total_response_time=float(4 * requests),
                       max_response_time=4, min_response_time=4, response_times={4: requests})
    total = dict(home, name="Aggregated", method="")
    return stats_report([home], total, 2, {"U": 2})


def of(points, measurement):
    return [p for p in points if p.measurement == measurement]


def test_a_run_from_start_to_stop(setup):
    exporter, runner, clock, points, environment = setup
    exporter.on_message("w1", "client_ready")  # before the run: kept until the run has an id
    exporter.on_worker_report("w1", report(50))  # before the run: belongs to no run
    clock.at = START
    exporter.on_test_start(environment)
    run_id = exporter.run.run_id
    (record,) = of(points, model.RUNS)
    assert record.fields["state"] == model.RUNNING and record.fields["host"] == "http://u:***@h"
    assert record.tags == {"run_id": run_id, "env": "ci"}
    assert [p.tags["event"] for p in of(points, model.EVENTS)] == ["worker_joined", "start"]
    assert of(points, model.REQUESTS) == []

    exporter.on_worker_report("w1", report(3))
    clock.at = START + 4
    exporter.tick()  # the interval is not due yet
    assert of(points, model.REQUESTS) == []
    clock.at = START + 5
    exporter.tick()  # due, but its seconds settle first (rates.SETTLE_S)
    assert of(points, model.REQUESTS) == []
    clock.at = START + 10
    exporter.tick()
    total = [p for p in of(points, model.REQUESTS) if p.tags["name"] == model.AGGREGATED]
    assert [(p.fields["requests"], p.fields["rps"], p.fields["elapsed_s"]) for p in total] == [(3, 0.6, 5.0)]
    assert total[0].time_ns == int((START + 5) * 1e9)  # stamped with the end of its interval
    assert [p.fields for p in of(points, model.USERS)][-1] == {"users": 2}
    assert of(points, model.WORKERS)[0].fields["requests"] == 3

    exporter.on_worker_report("w1", report(2))
    clock.at = START + 11
    exporter.on_test_stop()
    stopped = of(points, model.RUNS)[-1]
    assert stopped.time_ns == record.time_ns and stopped.fields["state"] == model.STOPPED
    # requests/s as Locust computes it: over the 4 s users ran, not the 11 s the run took with its drain
    fields = stopped.fields
    assert (fields["requests"], fields["duration_s"], fields["active_s"], fields["rps"]) == (5, 11.0, 4.0, 5 / 4)
    assert sum(p.fields["requests"] for p in of(points, model.REQUESTS) if p.tags["name"] == model.AGGREGATED) == 5
    assert of(points, model.EVENTS)[-1].tags["event"] == "stop" and exporter.run is None


def test_the_run_record_keeps_the_peak_and_the_last_user_count(setup):
    exporter, runner, clock, points, environment = setup
    exporter.on_test_start(environment)
    exporter.on_spawning_complete(4)
    runner.reported_user_classes_count = {"U": 12}  # a step whose spawn never completed
    exporter.tick()
    runner.reported_user_classes_count = {"U": 2}
    exporter.on_spawning_complete(2)
    exporter.tick()
    clock.at += 1
    exporter.on_test_stop()
    stopped = of(points, model.RUNS)[-1]
    assert (stopped.fields["users"], stopped.fields["peak_users"]) == (2, 12)


def test_the_run_record_has_the_users_the_workers_ran_not_those_locust_dispatched(setup):
    # A worker that died just before the start got 3 of the 9 users and ran none.
    exporter, runner, clock, points, environment = setup
    exporter.on_test_start(environment)
    runner.reported_user_classes_count = {"U": 6}
    exporter.on_spawning_complete(9)
    exporter.tick()
    exporter.on_test_stopping()
    clock.at += 1
    exporter.on_test_stop()
    stopped = of(points, model.RUNS)[-1]
    assert (stopped.fields["users"], stopped.fields["peak_users"]) == (6, 6)
    (complete,) = [p for p in of(points, model.EVENTS) if p.tags["event"] == "spawning_complete"]
    assert complete.fields["users"] == 6 and complete.fields["text"] == "Spawning of 9 users complete; the workers report 6"


def test_a_missing_worker_is_one_event_until_it_comes_back(setup):
    exporter, runner, clock, points, environment = setup
    exporter.on_test_start(environment)
    runner.clients.all = [worker("w1", "missing")]
    exporter.tick()
    exporter.tick()
    assert [p.fields["worker"] for p in of(points, model.EVENTS) if p.tags["event"] == "worker_missing"] == ["w1"]
    runner.clients.all = [worker("w1")]
    exporter.tick()
    runner.clients.all = [worker("w1", "missing")]
    exporter.tick()
    assert len([p for p in of(points, model.EVENTS) if p.tags["event"] == "worker_missing"]) == 2


def test_workers_joining_and_quitting_are_events_once(setup):
    exporter, runner, clock, points, environment = setup
    exporter.on_test_start(environment)
    for msg_type in ("client_ready", "client_ready", "heartbeat", "quit", "quit"):
        exporter.on_message("w2", msg_type)
    assert [p.tags["event"] for p in of(points, model.EVENTS)] == ["start", "worker_joined", "worker_quit"]


def test_events_between_two_runs_are_the_next_runs(setup):
    # On a long-lived web UI master, a worker joining or quitting after a stop was written with the
    # stopped run's id: that run's annotations showed a worker that never ran in it.
    exporter, runner, clock, points, environment = setup
    clock.at = START
    exporter.on_test_start(environment)
    first = exporter.run.run_id
    clock.at = START + 5
    exporter.on_test_stop()
    clock.at = START + 6
    exporter.on_message("w2", "client_ready")
    exporter.on_message("w1", "quit")  # never joined as far as the exporter knows: no event
    exporter.on_message("w3", "client_ready")
    exporter.on_message("w3", "quit")
    assert [p.tags["event"] for p in of(points, model.EVENTS)] == ["start", "stop"]
    clock.at = START + 60
    exporter.on_test_start(environment)
    second = exporter.run.run_id
    events = [(p.tags["run_id"], p.tags["event"], p.fields["worker"], p.time_ns) for p in of(points, model.EVENTS)]
    at = int((START + 6) * 1e9)
    assert events == [(first, "start", "", int(START * 1e9)), (first, "stop", "", int((START + 5) * 1e9)),
                      (second, "worker_joined", "w2", at), (second, "worker_joined", "w3", at),
                      (second, "worker_quit", "w3", at), (second, "start", "", int((START + 60) * 1e9))]


def test_the_events_kept_for_the_next_run_are_bounded(setup):
    exporter, runner, clock, points, environment = setup
    for i in range(PENDING_EVENTS_KEPT + 10):
        exporter.on_message(f"w{i}", "client_ready")
    exporter.on_test_start(environment)
    joined = [p.fields["worker"] for p in of(points, model.EVENTS) if p.tags["event"] == "worker_joined"]
    assert joined == [f"w{i}" for i in range(10, PENDING_EVENTS_KEPT + 10)]  # the newest


def test_the_run_record_keeps_the_last_spawn_rate_and_each_change_is_an_event(setup):
    # A test started at 1 user/s and edited in the web UI to 8 users at 4/s, then 8 at 0.5/s: the
    # record said 1/s, a rate the test ramped at for its first users only.
    exporter, runner, clock, points, environment = setup
    exporter.on_test_start(environment)
    exporter.on_new_user_count(2, 1.0)  # Locust's rebalance starts again with the same figures
    exporter.on_new_user_count(8, 4.0)
    running = of(points, model.RUNS)[-1]
    assert (running.fields["state"], running.fields["spawn_rate"]) == (model.RUNNING, 4.0)
    exporter.on_new_user_count(8, 0.5)
    clock.at += 1
    exporter.on_test_stop()
    assert of(points, model.RUNS)[-1].fields["spawn_rate"] == 0.5
    changes = [(p.tags["event"], p.fields["text"], p.fields["users"]) for p in of(points, model.EVENTS)
               if p.tags["event"] in ("start", "users_changed")]
    assert changes == [("start", "Test started: 2 users at 1/s", 2),
                       ("users_changed", "Users changed: 8 users at 4/s", 8),
                       ("users_changed", "Users changed: 8 users at 0.5/s", 8)]
    exporter.on_new_user_count(3, 9.0)  # no run: nothing
    assert of(points, model.RUNS)[-1].fields["spawn_rate"] == 0.5


def aggregated_requests(points, since_ns: int = 0, until_ns: int = 2**62) -> int:
    return sum(p.fields["requests"] for p in of(points, model.REQUESTS)
               if p.tags["name"] == model.AGGREGATED and since_ns <= p.time_ns < until_ns)


def started_with(setup, requests: int):
    """The exporter of SETUP with a run started at START, and a report of REQUESTS from w1."""
    exporter, runner, clock, points, environment = setup
    clock.at = START
    exporter.on_test_start(environment)
    exporter.on_worker_report("w1", report(requests))
    return exporter, clock, points


def test_what_workers_sent_before_a_reset_is_written_before_its_event_once_they_answered(setup):
    # The reports a cut worker sends until it answers hold what it sent before the reset; they
    # were counted nowhere (the master dropped them, Locust's figures were reset).
    exporter, clock, points = started_with(setup, 3)
    clock.at = START + 2
    exporter.on_reset(1, frozenset({"w1", "w2"}))
    (event,) = [p for p in of(points, model.EVENTS) if p.tags["event"] == "stats_reset"]
    assert aggregated_requests(points) == 0  # not before the workers have sent what came before
    clock.at = START + 3
    exporter.on_report_before_reset("w1", 1, report(4))
    exporter.on_report_before_reset("w9", 1, report(50))  # not cut at this reset: no one's
    exporter.on_worker_report("w1", report(6))  # after its answer: after the reset
    exporter.on_cut_over("w1", 1)
    assert aggregated_requests(points) == 0  # w2 still owes its last reports
    exporter.on_report_before_reset("w2", 1, report(5))
    exporter.on_cut_over("w2", 1)
    assert aggregated_requests(points, until_ns=event.time_ns) == 3 + 4 + 5
    clock.at = START + 4
    exporter.on_test_stop()
    assert aggregated_requests(points, since_ns=event.time_ns) == 6
    assert of(points, model.RUNS)[-1].fields["requests"] == 6


def test_the_figures_before_a_reset_are_written_at_the_latest_when_the_run_stops_or_the_answers_are_due(setup):
    exporter, clock, points = started_with(setup, 3)
    exporter.on_reset(1, frozenset({"w1"}))  # w1 quits without answering
    clock.at = START + ANSWER_WITHIN_S
    exporter.tick()
    assert aggregated_requests(points) == 3
    exporter.on_worker_report("w1", report(2))
    exporter.on_reset(2, frozenset({"w1"}))
    exporter.on_report_before_reset("w1", 2, report(1))
    clock.at += 1
    exporter.on_test_stop()
    assert aggregated_requests(points) == 3 + 2 + 1 and of(points, model.RUNS)[-1].fields["requests"] == 0


def test_two_resets_a_moment_apart_each_get_the_figures_before_them(setup):
    exporter, clock, points = started_with(setup, 3)
    clock.at = START + 1
    exporter.on_reset(1, frozenset({"w1"}))
    clock.at = START + 2
    exporter.on_reset(2, frozenset({"w1"}))
    first, second = sorted(p.time_ns for p in of(points, model.EVENTS) if p.tags["event"] == "stats_reset")
    exporter.on_report_before_reset("w1", 1, report(4))
    exporter.on_cut_over("w1", 1)
    exporter.on_report_before_reset("w1", 2, report(2))
    exporter.on_cut_over("w1", 2)
    assert (aggregated_requests(points, until_ns=first), aggregated_requests(points, first, second)) == (7, 2)


def test_reports_after_the_stop_are_the_stopped_runs_until_the_next_start(setup):
    # A Locust Python worker sends its users' last requests after it answered the stop when no
    # drain waited for them; Locust counts them in the run it shows until the next start.
    exporter, runner, clock, points, environment = setup
    clock.at = START
    exporter.on_test_start(environment)
    run_id = exporter.run.run_id
    exporter.on_worker_report("w1", report(3))
    clock.at = START + 2
    exporter.on_test_stop()
    exporter.on_worker_report("w1", report(0))  # an idle report changes nothing
    clock.at = START + 3
    exporter.tick()
    assert [p.fields["requests"] for p in of(points, model.RUNS) if p.fields["state"] == model.STOPPED] == [3]
    exporter.on_worker_report("w1", report(4))
    clock.at = START + 4
    exporter.tick()
    records = [p for p in of(points, model.RUNS) if p.fields["state"] == model.STOPPED]
    assert [(p.tags["run_id"], p.time_ns, p.fields["requests"]) for p in records] == \
        [(run_id, int(START * 1e9), 3), (run_id, int(START * 1e9), 7)]  # the same point, written again
    totals = [p.fields["requests"] for p in of(points, model.REQUESTS) if p.tags["name"] == model.AGGREGATED]
    assert sum(totals) == 7 and all(p.tags["run_id"] == run_id for p in of(points, model.REQUESTS))

    exporter.on_worker_report("w1", report(2))  # taken by the stopped run when the next one starts
    clock.at = START + 5
    exporter.on_test_start(environment)
    assert [p.fields["requests"] for p in of(points, model.RUNS) if p.fields["state"] == model.STOPPED][-1] == 9
    exporter.on_worker_report("w1", report(5))
    clock.at = START + 6
    exporter.on_test_stop()
    assert [p.fields["requests"] for p in of(points, model.RUNS) if p.fields["state"] == model.STOPPED][-1] == 5


@pytest.mark.parametrize("off_s", [3600, -3600], ids=["ahead", "behind"])
def test_a_worker_clock_that_is_off_does_not_make_the_run_last_hours_or_less_than_nothing(setup, off_s):
    # Locust keeps the latest last-request time a worker names, by that worker's clock.
    exporter, runner, clock, points, environment = setup
    clock.at = START
    exporter.on_test_start(environment)
    exporter.on_worker_report("w1", report(8))
    runner.stats.last_request_timestamp = START + 4 + off_s
    clock.at = START + 5
    exporter.on_test_stop()
    fields = of(points, model.RUNS)[-1].fields
    assert (fields["active_s"], fields["rps"]) == (5.0, 8 / 5)
