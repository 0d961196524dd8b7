"""The master's side of an exact stats reset (master/locust_fleet/stats_reset.py), on a stand-in
runner: a reset cuts only the workers that take part, drops their reports until they answer,
gives up on a worker that never answers (with a warning), and hands a late joiner the current
number. The whole cut with real Go workers: test_e2e_stats_reset.py."""

from types import SimpleNamespace

from locust.rpc import Message

from locust_fleet.stats_reset import ANSWER_WITHIN_S, MESSAGE_TYPE, StatsReset, install
from py_bridge.reports import stats_entry, stats_report


class Runner:
    def __init__(self, workers):
        self.clients = {w: object() for w in workers}
        self.sent: list[tuple[str, object, str]] = []
        self.server = SimpleNamespace(send_to_client=lambda m: self.sent.append((m.type, m.data, m.node_id)))


def answer(resets, worker, n):
    resets.on_answer(None, Message(MESSAGE_TYPE, [n], worker))


def stats(worker):
    return Message("stats", {}, worker)


def test_a_reset_cuts_the_workers_that_take_part_and_drops_their_reports_until_they_answer():
    runner = Runner(["go", "python"])
    clock = [0.0]
    resets = StatsReset(runner, now=lambda: clock[0])
    answer(resets, "go", 0)  # what a Go worker says when it connects
    resets.reset()
    assert runner.sent == [(MESSAGE_TYPE, [1], "go")]  # Python workers get no message they do not know
    assert resets.drops("go", stats("go")) and not resets.drops("python", stats("python"))
    assert not resets.drops("go", Message("heartbeat", {}, "go"))
    answer(resets, "go", 1)
    assert not resets.drops("go", stats("go")) and resets.dropped == 1


def test_a_worker_that_never_answers_counts_again_after_a_while(caplog):
    runner = Runner(["go"])
    clock = [0.0]
    resets = StatsReset(runner, now=lambda: clock[0])
    answer(resets, "go", 0)
    resets.reset()
    clock[0] = ANSWER_WITHIN_S + 1
    assert not resets.drops("go", stats("go"))
    assert "Worker go did not cut its statistics at stats reset 1 within 20 s" in caplog.text


def test_a_worker_joining_after_resets_is_given_the_current_number():
    runner = Runner([])
    resets = StatsReset(runner)
    resets.reset()
    resets.reset()
    runner.clients["late"] = object()
    answer(resets, "late", 0)
    assert runner.sent == [(MESSAGE_TYPE, [2], "late")]


def test_a_malformed_answer_is_ignored_naming_what_was_expected(caplog):
    resets = StatsReset(Runner(["go"]))
    resets.on_answer(None, Message(MESSAGE_TYPE, {"n": 1}, "go"))
    assert "Ignored a fleet:stats_reset message from go: got {'n': 1}; expected [N], N >= 0" in caplog.text
    assert resets.taking_part == set()


def test_a_worker_joining_after_a_reset_has_its_reports_dropped_until_it_answers():
    # A worker that joins a running test cuts with marker requests when it learns of the reset;
    # its reports until its answer carry them (an entry "stats reset" with 2 requests in Locust).
    runner = Runner(["go"])
    resets = StatsReset(runner)
    answer(resets, "go", 0)
    resets.reset()
    answer(resets, "go", 1)
    runner.clients["late"] = object()
    answer(resets, "late", 0)
    assert resets.drops("late", stats("late"))
    answer(resets, "late", 1)
    assert not resets.drops("late", stats("late")) and not resets.drops("go", stats("go"))


class Follower:
    def __init__(self):
        self.seen = []

    def on_reset(self, number, workers):
        self.seen.append(("reset", number, sorted(workers)))

    def on_report_before_reset(self, worker, number, data):
        self.seen.append(("before", worker, number, data))

    def on_cut_over(self, worker, number):
        self.seen.append(("over", worker, number))


def marked_report(requests: int) -> dict:
    """A Go worker's report holding REQUESTS requests of 5 ms to GET / and its cut's markers."""
    home = stats_entry("home", "GET", num_requests=requests, total_response_time=5.0 * requests,
                       min_response_time=5, max_response_time=5, response_times={5: requests},
                       num_reqs_per_sec={100: requests})
    marker = stats_entry("stats reset", "FLEET", num_requests=2, num_failures=1, min_response_time=0,
                         response_times={0: 2}, num_reqs_per_sec={101: 2}, num_fail_per_sec={101: 1})
    total = stats_entry("Aggregated", None, num_requests=requests + 2, num_failures=1,
                        total_response_time=5.0 * requests, min_response_time=0, max_response_time=5,
                        response_times={5: requests, 0: 2}, num_reqs_per_sec={100: requests, 101: 2},
                        num_fail_per_sec={101: 1})
    errors = {"e1": {"name": "stats reset", "method": "FLEET", "error": "stats reset", "occurrences": 1}}
    return stats_report([home, marker], total, 3, {"U": 3}, errors)


def test_what_a_cut_worker_sent_before_the_reset_goes_to_the_followers_without_the_markers():
    # It was counted nowhere: Locust's statistics were reset, and the master dropped the reports.
    runner = Runner(["go", "other", "python"])
    resets = StatsReset(runner)
    follower = Follower()
    resets.followers.append(follower)
    answer(resets, "go", 0)
    answer(resets, "other", 0)
    resets.reset()
    assert resets.drops("go", Message("stats", marked_report(7), "go"))
    answer(resets, "go", 1)
    runner.clients["late"] = object()  # joins after the reset: what it sent before it learnt of it is no one's
    answer(resets, "late", 0)
    assert resets.drops("late", Message("stats", marked_report(4), "late"))
    answer(resets, "late", 1)
    (_, _, workers), (_, worker, number, data), over = follower.seen
    assert (workers, worker, number, over) == (["go", "other"], "go", 1, ("over", "go", 1))
    assert [(e["name"], e["num_requests"]) for e in data["stats"]] == [("home", 7)]
    total = data["stats_total"]
    assert (total["num_requests"], total["num_failures"], total["min_response_time"]) == (7, 0, 5)
    assert (total["response_times"], total["num_reqs_per_sec"], total["num_fail_per_sec"]) == ({5: 7}, {100: 7}, {})
    assert data["errors"] == {} and data["user_count"] == 3


def test_a_worker_given_up_on_ends_its_cut_for_the_followers():
    runner = Runner(["go"])
    clock = [0.0]
    resets = StatsReset(runner, now=lambda: clock[0])
    follower = Follower()
    resets.followers.append(follower)
    answer(resets, "go", 0)
    resets.reset()
    clock[0] = ANSWER_WITHIN_S + 1
    assert not resets.drops("go", stats("go"))
    assert follower.seen == [("reset", 1, ["go"]), ("over", "go", 1)]


def test_a_worker_quitting_during_its_cut_ends_it_for_the_followers():
    # The figures before the reset waited 20 s for its answer, which never came.
    runner = Runner(["go"])
    handled = []
    runner.handle_message = lambda client_id, msg: handled.append((client_id, msg.type))
    runner.register_message = lambda *_a: None
    environment = SimpleNamespace(events=SimpleNamespace(reset_stats=SimpleNamespace(add_listener=lambda _f: None)),
                                  reset_stats=False)
    resets = install(environment, runner)
    follower = Follower()
    resets.followers.append(follower)
    answer(resets, "go", 0)
    resets.reset()
    runner.handle_message("go", Message("quit", None, "go"))
    assert follower.seen == [("reset", 1, ["go"]), ("over", "go", 1)] and handled == [("go", "quit")]
    assert resets.pending == {}


def reset_twice() -> tuple[StatsReset, Follower]:
    """Two resets of a Go worker "go" that has answered neither yet."""
    resets = StatsReset(Runner(["go"]))
    follower = Follower()
    resets.followers.append(follower)
    answer(resets, "go", 0)
    resets.reset()
    resets.reset()
    return resets, follower


def test_resets_during_a_cut_are_answered_in_turn_and_each_gets_the_reports_before_it():
    # Two resets a second apart (a double click): the reports until the first answer are what was
    # sent before the first reset, those until the second answer what was sent between the two.
    resets, follower = reset_twice()
    assert resets.drops("go", Message("stats", marked_report(5), "go"))
    answer(resets, "go", 1)
    assert resets.drops("go", Message("stats", marked_report(3), "go"))
    answer(resets, "go", 2)
    assert not resets.drops("go", stats("go"))
    assert [(e[0], e[1], e[2]) if e[0] != "before" else (e[0], e[2], e[3]["stats_total"]["num_requests"])
            for e in follower.seen] == [("reset", 1, ["go"]), ("reset", 2, ["go"]), ("before", 1, 5),
                                        ("over", "go", 1), ("before", 2, 3), ("over", "go", 2)]


def test_an_answer_for_a_later_reset_ends_the_earlier_cuts_too():
    # A worker of an earlier build answers only the newest reset.
    resets, follower = reset_twice()
    answer(resets, "go", 2)
    assert follower.seen[2:] == [("over", "go", 1), ("over", "go", 2)] and resets.pending == {}
