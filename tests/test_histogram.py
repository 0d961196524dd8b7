"""The contract's histogram maths: Locust's buckets, merging, percentiles identical to Locust's."""

import random

from locust.stats import calculate_response_time_percentile

from py_bridge.histogram import bucket, merge, percentile


def test_bucket_matches_locust_rounding():
    from locust.stats import StatsEntry, RequestStats
    entry = StatsEntry(RequestStats(), "x", "GET")
    for ms in [0, 0.4, 0.6, 99, 99.4, 101, 147, 155, 999, 1049, 1051, 12345, 98765]:
        entry.response_times.clear()
        entry._log_response_time(ms)
        assert list(entry.response_times) == [bucket(ms)], ms


def test_percentile_equals_locusts_on_random_histograms():
    rng = random.Random(7)
    for _ in range(500):
        hist = {bucket(rng.expovariate(1 / rng.choice([3, 40, 400, 4000]))): rng.randint(1, 50)
                for _ in range(rng.randint(1, 40))}
        n = sum(hist.values())
        for q in (0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0):
            assert percentile(hist, q) == calculate_response_time_percentile(hist, n, q), (hist, q)


def test_percentile_of_empty_histogram_is_none():
    assert percentile({}, 0.5) is None


def test_merge_adds_counts():
    assert merge({1: 2, 5: 1}, {5: 3, 7: 1}) == {1: 2, 5: 4, 7: 1}
