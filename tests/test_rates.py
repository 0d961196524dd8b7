"""Requests and failures land in the second they happened (rates.py): a steady load gives equal
intervals whatever the report cadence, and every count lands exactly once."""

import pytest

from locust_fleet.rates import TOTAL, SecondBins, endpoint_key, worker_key
from py_bridge.reports import stats_entry, stats_report

T0 = 1_764_081_000  # a whole second of the master's clock


def report(per_second: dict[int, int], failed: dict[int, int] | None = None, extra: int = 0) -> dict:
    """A report whose one endpoint served per_second[s] requests in second s (plus `extra` its
    per-second counts do not account for)."""
    failed = failed or {}
    n, f = sum(per_second.values()) + extra, sum(failed.values())
    home = stats_entry("home", "GET", num_requests=n, num_failures=f, num_reqs_per_sec=per_second,
                       num_fail_per_sec=failed)
    return stats_report([home], dict(home, name="Aggregated", method=""), 2, {"U": 2})


def steady(bins: SecondBins, worker: str, rate: int, seconds: int, every: float, phase: float, skew: int = 0):
    """A worker at `rate` requests/s (a multiple of 10) reporting every `every` s from T0 + phase, as
    boomer does: each report holds the seconds since the last one, the current one in part. Its
    clock is `skew` s ahead of the master's. Times in tenths of a second keep the counts whole."""
    served = 0  # tenths after T0
    at = round(phase * 10)
    while at < seconds * 10:
        per_second: dict[int, int] = {}
        for tenth in range(served, at):
            second = T0 + tenth // 10 + skew
            per_second[second] = per_second.get(second, 0) + rate // 10
        bins.add_report(worker, report(per_second), T0 + at / 10)
        served = at
        at += round(every * 10)


@pytest.mark.parametrize("interval", [1, 2, 5, 7])
def test_a_steady_load_gives_equal_intervals_whatever_the_cadence(interval):
    bins = SecondBins(T0)
    steady(bins, "w1", 1000, 60, 3.0, 0.4)
    steady(bins, "w2", 1000, 60, 3.0, 1.7)
    per_interval = [bins.take(end)[TOTAL][0] for end in range(T0 + interval, T0 + 54, interval)]
    assert set(per_interval) == {2000 * interval}


def test_counts_add_up_exactly_per_endpoint_total_and_worker():
    bins = SecondBins(T0)
    bins.add_report("w1", report({T0: 5, T0 + 1: 7}, {T0 + 1: 2}), T0 + 2.1)
    bins.add_report("w2", report({T0 + 1: 4}, extra=3), T0 + 2.5)
    first, rest = bins.take(T0 + 1), bins.take(None)
    assert first == {endpoint_key("home", "GET"): (5, 0), TOTAL: (5, 0), worker_key("w1"): (5, 0)}
    # w2's 3 requests its per-second counts leave out land in the second its report arrived
    assert rest[TOTAL] == (7 + 4 + 3, 2) and rest[worker_key("w2")] == (7, 0)


def test_a_report_straddling_intervals_is_split_by_second():
    bins = SecondBins(T0)
    bins.add_report("w1", report({T0 + 3: 10, T0 + 4: 10, T0 + 5: 10}), T0 + 6.0)
    assert bins.take(T0 + 5)[TOTAL] == (20, 0)
    assert bins.take(T0 + 10)[TOTAL] == (10, 0)


def test_a_report_later_than_its_interval_counts_in_the_oldest_open_second():
    bins = SecondBins(T0)
    assert bins.take(T0 + 5) == {}  # handed out before the report came
    bins.add_report("w1", report({T0 + 2: 10, T0 + 6: 1}), T0 + 7.2)
    assert bins.take(T0 + 6)[TOTAL] == (10, 0)  # second T0+2 moved to T0+5, the oldest open one
    assert bins.take(None)[TOTAL] == (1, 0)


@pytest.mark.parametrize("skew", [-30, -5, 5, 3600])
def test_a_worker_clock_off_by_seconds_is_corrected(skew):
    bins = SecondBins(T0)
    steady(bins, "w1", 100, 30, 3.0, 0.5, skew=skew)
    steady(bins, "w2", 100, 30, 3.0, 2.0)
    per_interval = [bins.take(end)[TOTAL][0] for end in range(T0 + 5, T0 + 25, 5)]
    assert per_interval == [1000] * 4
    assert bins.offsets == {"w1": -skew, "w2": 0}


def test_a_worker_clock_ahead_never_counts_in_the_future():
    bins = SecondBins(T0)
    bins.add_report("w1", report({T0 + 100: 3}), T0 + 0.5)  # first report: nothing to measure its clock by yet
    assert bins.take(T0 + 1)[TOTAL] == (3, 0)
