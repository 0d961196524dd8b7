"""Stats payloads: built with every field in Locust's order, and read (is the worker idle?)."""

import pytest
from locust.rpc.protocol import Message
from locust.stats import RequestStats, StatsEntry

from py_bridge.codec import encode
from py_bridge.reports import is_idle_report, stats_entry, stats_report


def report(users=0, requests=0, failures=0, entries=()):
    return stats_report([stats_entry("e", num_requests=n) for n in entries],
                        stats_entry("Aggregated", "", num_requests=requests, num_failures=failures), users, {})


def test_stats_entry_has_locusts_fields_in_locusts_order():
    locust_entry = StatsEntry(RequestStats(), "home", "GET").serialize()
    assert list(stats_entry("home", "GET")) == list(locust_entry)
    assert stats_entry("home", "GET", start_time=locust_entry["start_time"]) == locust_entry


def test_stats_entry_frames_like_locusts():
    entry = stats_entry("home", "GET", num_requests=2, response_times={3: 2}, num_reqs_per_sec={10: 2})
    data = stats_report([entry], stats_entry("Aggregated", None), 1, {"U": 1})
    assert encode("stats", data, "n") == Message("stats", data, "n").serialize()


def test_stats_entry_rejects_an_unknown_field():
    with pytest.raises(TypeError, match="unknown field"):
        stats_entry("home", num_request=1)


def test_is_idle_report_only_without_users_and_without_measurements():
    assert is_idle_report(report())
    assert not is_idle_report(report(users=1))
    assert not is_idle_report(report(requests=3))
    assert not is_idle_report(report(failures=1))
    assert not is_idle_report(report(entries=[0, 2]))
    assert not is_idle_report(None) and not is_idle_report(["stats"])
