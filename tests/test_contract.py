"""The report rows of `verify-protocol` (py_bridge/contract.py) on crafted reports: a consistent
report passes every row; a wrong value in any field the master reads fails one, naming it."""

from __future__ import annotations

import copy

import pytest

from py_bridge.contract import FAIL, PASS, check_reports
from py_bridge.reports import stats_entry, stats_report

T = 1_764_081_000


def good_report() -> dict:
    home = stats_entry("home", "GET", last_request_timestamp=T + 1.5, start_time=T - 0.5, num_requests=4,
                       total_response_time=40.0, max_response_time=16, min_response_time=4,
                       total_content_length=400, response_times={4: 1, 8: 1, 12: 1, 16: 1},
                       num_reqs_per_sec={T: 3, T + 1: 1})
    broken = stats_entry("broken", "GET", last_request_timestamp=T + 0.2, start_time=T - 0.5, num_requests=2,
                         num_failures=2, total_response_time=2.0, max_response_time=1, min_response_time=1,
                         response_times={1: 2}, num_reqs_per_sec={T: 2}, num_fail_per_sec={T: 2})
    total = stats_entry("Aggregated", None, last_request_timestamp=T + 1.5, start_time=T - 0.5, num_requests=6,
                        num_failures=2, total_response_time=42.0, max_response_time=16, min_response_time=1,
                        total_content_length=400, response_times={1: 2, 4: 1, 8: 1, 12: 1, 16: 1},
                        num_reqs_per_sec={T: 5, T + 1: 1}, num_fail_per_sec={T: 2})
    errors = {"k1": {"name": "broken", "method": "GET", "error": "HTTP 503", "occurrences": 2}}
    return stats_report([home, broken], total, 3, {"U": 2, "V": 1}, errors)


def failed(reports: list[dict]) -> dict[str, str]:
    return {r.invariant: r.detail for r in check_reports(reports) if r.status == FAIL}


def test_a_consistent_report_passes_every_row():
    assert {r.status for r in check_reports([good_report(), good_report()])} == {PASS}


def home(d):
    return d["stats"][0]


# (what is wrong, how, the row that fails, what it says)
BROKEN = [
    ("user_count", lambda d: d.update(user_count=5), "stats: each report agrees with itself",
     "user_count 5 but user_classes_count adds up to 3"),
    ("user_classes_count", lambda d: d["user_classes_count"].update(U=7), "stats: each report agrees with itself",
     "user_classes_count adds up to 8"),
    ("min above max", lambda d: home(d).update(min_response_time=20), "stats: each report agrees with itself",
     "min_response_time 20 is above max_response_time 16"),
    ("total_response_time", lambda d: home(d).update(total_response_time=90.0),
     "stats: each report agrees with itself", "total_response_time 90.0 is outside 4 requests"),
    ("max_response_time", lambda d: home(d).update(max_response_time=9), "stats: each report agrees with itself",
     "is outside 4 requests between min 4 and max 9"),
    ("last_request_timestamp", lambda d: home(d).update(last_request_timestamp=T + 7.0),
     "stats: each report agrees with itself", "is not in the newest second counted"),
    ("no last_request_timestamp", lambda d: home(d).update(last_request_timestamp=None),
     "stats: each report agrees with itself", "no last_request_timestamp"),
    ("start_time", lambda d: home(d).update(start_time=T + 9), "stats: each report agrees with itself",
     "start_time"),
    ("total's content length", lambda d: d["stats_total"].update(total_content_length=1),
     "stats: each report agrees with itself", "total_content_length add up to 400"),
    ("total's max", lambda d: d["stats_total"].update(max_response_time=17), "stats: each report agrees with itself",
     "max_response_time 17 is not the entries' largest"),
    ("total's min", lambda d: d["stats_total"].update(min_response_time=2), "stats: each report agrees with itself",
     "min_response_time 2 is not the entries' smallest"),
    ("total's histogram", lambda d: d["stats_total"]["response_times"].update({4: 0, 5: 1}),
     "stats: each report agrees with itself", "response_times is not the entries' histograms merged"),
    ("an endpoint twice", lambda d: d["stats"].append(copy.deepcopy(home(d))), "stats: each report agrees with itself",
     "appears twice"),
    ("num_requests", lambda d: home(d).update(num_requests=5), "stats: arithmetic", "response_times add up to 4"),
    ("num_failures", lambda d: d["stats_total"].update(num_failures=3), "stats: arithmetic",
     "num_fail_per_sec adds up to 2, num_failures is 3"),
    ("num_reqs_per_sec", lambda d: home(d)["num_reqs_per_sec"].update({T: 4}), "stats: arithmetic",
     "num_reqs_per_sec adds up to 5"),
    ("a response_times bucket", lambda d: home(d)["response_times"].update({4: 0, 101: 1}),
     "stats: buckets on Locust's grid", "bucket 101"),
    ("occurrences", lambda d: d["errors"]["k1"].update(occurrences=1), "stats: error entries match failures",
     "2 failures but 1 error occurrences"),
    ("an error's name", lambda d: d["errors"].update(k2={"name": "nowhere", "method": "GET", "error": "x",
                                                          "occurrences": 1}),
     "stats: error entries match failures", "errors of GET 'nowhere', which has no stats entry"),
]


@pytest.mark.parametrize("what, breaks, row, says", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_wrong_value_fails_a_row_naming_it(what, breaks, row, says):
    report = good_report()
    breaks(report)
    failures = failed([good_report(), report])
    assert row in failures, failures
    assert says in failures[row]


def test_one_error_under_two_keys_across_reports_fails():
    later = good_report()
    later["errors"] = {"k9": later["errors"]["k1"]}
    assert "error key 'k9'" in failed([good_report(), later])["stats: error entries match failures"]
