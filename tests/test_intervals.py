"""Worker reports accumulate into one interval's figures: per endpoint, in total, per worker and per
error, with merged histograms; intervals add up to the run."""

from locust_fleet.intervals import EndpointFigures, Interval, IntervalAccumulator, RunFigures
from py_bridge.reports import stats_entry, stats_report


def entry(name, requests, failures=0, buckets=None, **over):
    buckets = buckets or {}
    return stats_entry(name, "GET", num_requests=requests, num_failures=failures,
                       total_response_time=float(sum(ms * n for ms, n in buckets.items())),
                       max_response_time=max(buckets, default=0), min_response_time=min(buckets, default=None),
                       total_content_length=10 * requests, response_times=buckets, **over)


def report(entries, users=2, errors=None):
    buckets: dict[int, int] = {}
    for e in entries:
        for ms, n in e["response_times"].items():
            buckets[ms] = buckets.get(ms, 0) + n
    total = entry("Aggregated", sum(e["num_requests"] for e in entries), sum(e["num_failures"] for e in entries),
                  buckets)
    return stats_report(entries, total, users, {"U": users}, errors)


def test_add_entry_sums_counts_and_keeps_extremes():
    figures = EndpointFigures()
    figures.add_entry(entry("home", 3, 1, {5: 2, 120: 1}))
    figures.add_entry(entry("home", 2, 0, {3: 1, 7: 1}))
    assert (figures.requests, figures.failures, figures.total_response_time) == (5, 1, 140.0)
    assert (figures.min_response_time, figures.max_response_time, figures.content_length) == (3, 120, 50)
    assert figures.histogram == {3: 1, 5: 2, 7: 1, 120: 1}
    assert figures.avg_response_time == 28.0


def test_an_entry_without_requests_leaves_the_minimum_alone():
    figures = EndpointFigures()
    figures.add_entry(entry("home", 1, 0, {9: 1}))
    figures.add_entry(entry("home", 0))  # normalised: min_response_time None
    assert figures.min_response_time == 9 and EndpointFigures().avg_response_time == 0.0


def test_interval_per_endpoint_per_worker_and_errors():
    interval = Interval()
    error = {"method": "GET", "name": "broken", "error": "HTTP 503", "occurrences": 2}
    interval.add_report("w1", report([entry("home", 4, 0, {10: 4}), entry("broken", 2, 2, {1: 2})],
                                     errors={"k": error}))
    interval.add_report("w2", report([entry("home", 1, 0, {20: 1})], users=3, errors={"k": dict(error, occurrences=1)}))
    assert {k: (f.requests, f.failures) for k, f in interval.endpoints.items()} == {
        ("home", "GET"): (5, 0), ("broken", "GET"): (2, 2)}
    assert (interval.total.requests, interval.total.failures) == (7, 2)
    assert {w: (f.requests, f.failures, f.users) for w, f in interval.workers.items()} == {
        "w1": (6, 2, 2), "w2": (1, 0, 3)}
    assert interval.errors == {("GET", "broken", "HTTP 503"): 3}


def test_swap_hands_over_the_interval_and_starts_an_empty_one():
    accumulator = IntervalAccumulator()
    accumulator.add_report("w1", report([entry("home", 4, 0, {10: 4})]))
    done = accumulator.swap()
    assert done.total.requests == 4 and accumulator.current.total.requests == 0
    assert accumulator.swap().endpoints == {}


def test_run_figures_are_the_sum_of_the_intervals():
    run = RunFigures()
    for buckets in ({10: 4}, {30: 1}):
        interval = Interval()
        interval.add_report("w1", report([entry("home", sum(buckets.values()), 0, buckets)]))
        run.add(interval)
    home = run.endpoints[("home", "GET")]
    assert (home.requests, home.histogram, home.min_response_time, home.max_response_time) == (5, {10: 4, 30: 1}, 10, 30)
    assert (run.total.requests, run.total.total_response_time) == (5, 70.0)
