"""The master's side of an exact stats reset (master/locust_fleet/stats_reset.py), on a stand-in
runner: a reset cuts only the workers that take part, drops their reports until they answer,
gives up on a worker that never answers (with a warning), and hands a late joiner the current
number. The whole cut with real Go workers: test_e2e_stats_reset.py."""

from types import SimpleNamespace

from locust.rpc import Message

from locust_fleet.stats_reset import ANSWER_WITHIN_S, MESSAGE_TYPE, StatsReset


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
