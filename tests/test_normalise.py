"""boomer's report quirks are corrected before Locust merges them; Python reports pass unchanged."""

import copy

from locust.stats import RequestStats, StatsEntry

from locust_fleet.normalise import normalise_entry, normalise_report
from py_bridge.reports import stats_entry


def boomer_entry(**over):
    """As boomer sends it: whole-second timestamps, and min_response_time 0 without requests."""
    return stats_entry(**{"name": "home", "method": "GET", "last_request_timestamp": 100, "start_time": 99,
                          "min_response_time": 0, **over})


def test_normalise_entry_empty_entry_has_no_minimum():
    assert normalise_entry(boomer_entry())["min_response_time"] is None


def test_normalise_entry_an_idle_report_does_not_move_locusts_last_request():
    stats = RequestStats()
    busy = normalise_entry(boomer_entry(num_requests=10, total_response_time=10, response_times={1: 10},
                                        last_request_timestamp=105, start_time=100))
    stats.total.extend(StatsEntry.unserialize(busy, stats))
    idle = normalise_entry(boomer_entry(last_request_timestamp=120, start_time=117))  # boomer's reset time
    assert idle["last_request_timestamp"] is None
    stats.total.extend(StatsEntry.unserialize(idle, stats))
    assert stats.total.last_request_timestamp == 105


def test_normalise_entry_restores_a_forgotten_zero_ms_minimum():
    # boomer saw 0 ms then 7 ms and kept 7 as the minimum (it treats 0 as unset)
    entry = boomer_entry(num_requests=2, min_response_time=7, max_response_time=7, total_response_time=7,
                         response_times={0: 1, 7: 1})
    assert normalise_entry(entry)["min_response_time"] == 0


def test_normalise_entry_keeps_a_python_workers_fractional_minimum():
    entry = boomer_entry(num_requests=1, min_response_time=0.43, response_times={0: 1})
    assert normalise_entry(entry)["min_response_time"] == 0.43


def test_normalise_entry_keeps_minimum_above_exact_buckets():
    entry = boomer_entry(num_requests=1, min_response_time=123, response_times={120: 1})
    assert normalise_entry(entry)["min_response_time"] == 123


def test_normalise_entry_turns_nil_maps_into_empty_ones():
    entry = normalise_entry(boomer_entry(response_times=None, num_reqs_per_sec=None, num_fail_per_sec=None))
    assert (entry["response_times"], entry["num_reqs_per_sec"], entry["num_fail_per_sec"]) == ({}, {}, {})


def test_normalise_report_fills_error_times_and_nil_collections():
    report = {"stats": None, "stats_total": boomer_entry(name="Total", method=""), "user_count": 0,
              "user_classes_count": None,
              "errors": {"abc": {"method": "GET", "name": "home", "error": "boom", "occurrences": 2}}}
    got = normalise_report(report)
    assert got["stats"] == [] and got["user_classes_count"] == {}
    assert got["errors"]["abc"] == {"method": "GET", "name": "home", "error": "boom", "occurrences": 2,
                                    "first_seen": None, "last_seen": None}
    assert got["stats_total"]["min_response_time"] is None


def test_normalise_report_empty_report_no_longer_drags_the_merged_minimum_to_zero():
    stats = RequestStats()
    busy = normalise_report({"stats": [], "errors": {}, "stats_total": boomer_entry(
        name="Total", method="", num_requests=1, min_response_time=5, max_response_time=5,
        total_response_time=5, response_times={5: 1})})
    empty = normalise_report({"stats": [], "errors": {}, "stats_total": boomer_entry(name="Total", method="")})
    for report in (busy, empty):
        stats.total.extend(StatsEntry.unserialize(copy.deepcopy(report["stats_total"]), stats))
    assert stats.total.min_response_time == 5
