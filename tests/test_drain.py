"""The pure parts of the stop drain."""

from locust_fleet.drain import DrainTracker


def report(users=0, requests=0, failures=0, entries=()):
    return {"user_count": users, "stats_total": {"num_requests": requests, "num_failures": failures},
            "stats": [{"num_requests": n, "num_failures": 0} for n in entries]}


def test_drain_tracker_waits_for_an_idle_report_from_each_worker():
    tracker = DrainTracker(["a", "b"])
    tracker.on_report("a", report(requests=5))  # the last busy report still counts, but is not the end
    assert tracker.pending == {"a", "b"}
    tracker.on_report("a", report())
    tracker.on_report("x", report())  # a worker that was not drained does not matter
    assert tracker.pending == {"b"} and not tracker.done
    tracker.forget("b")
    assert tracker.done

