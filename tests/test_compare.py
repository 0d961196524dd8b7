"""Thresholds of `locust-fleet runs compare`: relative limits with an absolute floor, read with
errors that name the option, and the comparison laid out to fit the terminal."""

import pytest

from locust_fleet.runs.compare import (Limit, ThresholdError, breaches, comparison_text, pair, parse_percent,
                                       parse_regressions)
from locust_fleet.runs.summary import EndpointSummary


def endpoint(name: str, requests: int, total_ms: float, histogram: dict[int, int], method: str = "GET",
             rate_s: float = 10.0, failures: int = 0) -> EndpointSummary:
    return EndpointSummary(name, method, requests=requests, failures=failures, total_ms=total_ms,
                           histogram=histogram, rate_s=rate_s)


def runs(base_avg: float, cand_avg: float, base_p95: int = 10, cand_p95: int = 10):
    base = [endpoint("/items", 100, base_avg * 100, {base_p95: 100}), endpoint("Aggregated", 100, base_avg * 100,
                                                                                {base_p95: 100}, method="")]
    cand = [endpoint("/items", 100, cand_avg * 100, {cand_p95: 100}), endpoint("Aggregated", 100, cand_avg * 100,
                                                                                {cand_p95: 100}, method="")]
    return pair(base, cand)


@pytest.mark.parametrize("text, expected", [
    ("p95=10%", {"p95": Limit(0.10)}),
    ("p95=10%,5ms", {"p95": Limit(0.10, 5.0)}),
    ("avg=2.5%, 0.5ms", {"avg": Limit(0.025, 0.5)}),
    ("rps=5%,50/s", {"rps": Limit(0.05, 50.0)}),
])
def test_thresholds_are_read_with_their_floor(text, expected):
    assert parse_regressions([text]) == expected


@pytest.mark.parametrize("text, message", [
    ("p95=ten", "expected p95=PERCENT or p95=PERCENT,FLOOR"),
    ("p95=10%,5/s", "a floor in ms such as 5ms"),
    ("rps=5%,5ms", "a floor in /s such as 50/s"),
    ("p95=,5ms", "expected p95=PERCENT"),
    ("p42=5%", "METRIC one of rps, avg, p50, p95, p99"),
])
def test_unreadable_thresholds_name_the_option_and_what_was_expected(text, message):
    with pytest.raises(ThresholdError) as e:
        parse_regressions([text])
    assert str(e.value).startswith(f"--max-regression: got {text!r}") and message in str(e.value)


def test_a_tiny_absolute_change_passes_a_floor_a_relative_limit_alone_would_fail():
    rows = runs(base_avg=0.08, cand_avg=0.09)  # +12.5 %, +0.01 ms
    assert [str(b) for b in breaches(rows, parse_regressions(["avg=10%"]), None)] == [
        "GET /items: avg +12.5%, +0.01ms (limit +10%)", "Aggregated: avg +12.5%, +0.01ms (limit +10%)"]
    assert breaches(rows, parse_regressions(["avg=10%,5ms"]), None) == []


def test_a_change_must_exceed_both_the_percentage_and_the_floor():
    rows = runs(base_avg=1, cand_avg=1, base_p95=40, cand_p95=50)  # +25 %, +10 ms
    assert len(breaches(rows, parse_regressions(["p95=10%,5ms"]), None)) == 2
    assert breaches(rows, parse_regressions(["p95=10%,10ms"]), None) == []  # not more than 10 ms
    assert breaches(rows, parse_regressions(["p95=30%,5ms"]), None) == []


def test_fewer_requests_per_second_is_the_regression_for_rps():
    base = [endpoint("Aggregated", 1000, 0, {1: 1000}, method="")]
    cand = [endpoint("Aggregated", 800, 0, {1: 800}, method="")]  # 100/s -> 80/s
    found = breaches(pair(base, cand), parse_regressions(["rps=10%,10/s"]), None)
    assert [str(b) for b in found] == ["Aggregated: rps -20.0%, -20.00/s (limit -10% and -10/s)"]
    assert breaches(pair(base, cand), parse_regressions(["rps=10%,25/s"]), None) == []


def test_comparison_fits_80_columns_says_what_is_compared_and_marks_breaches():
    long_name = "/api/v1/" + "very-long-segment/" * 8
    base = [endpoint(long_name, 100, 100.0, {10: 100}), endpoint("Aggregated", 100, 100.0, {10: 100}, method="")]
    cand = [endpoint(long_name, 100, 300.0, {30: 100}), endpoint("Aggregated", 100, 300.0, {30: 100}, method="")]
    rows = pair(base, cand)
    limits = parse_regressions(["p95=10%,5ms"])
    text = comparison_text("base-id", "cand-id", rows, limits, parse_percent("--max-fail-ratio", "1%"),
                           breaches(rows, limits, 0.01), 80)
    # the tables fit; a breach names its endpoint in full, wrapped by the terminal if need be
    assert max(len(line) for line in text.splitlines() if not line.startswith("breached")) <= 80, text
    assert "requests/s (Locust's: requests over the time users ran; lower is worse)" in text
    assert "p95 response time, ms (over the whole run; higher is worse); limit +10% and +5ms" in text
    assert "fail ratio (failures / requests; higher is worse); limit 1% at most" in text
    p95 = text.split("p95 response time")[1].split("\n\n")[0]
    assert "+200.0%  BREACH" in p95 and "…" in p95, p95
    assert f"breached GET {long_name}: p95 +200.0%" in text
    assert text.endswith("breached Aggregated: p95 +200.0%, +20.00ms (limit +10% and +5ms)")


def test_a_metric_rising_from_zero_is_new_and_judged_by_its_floor():
    rows = runs(base_avg=1, cand_avg=1, base_p95=0, cand_p95=3)
    assert [str(b) for b in breaches(rows, parse_regressions(["p95=10%"]), None)][0] == (
        "GET /items: p95 new, +3.00ms (limit +10%)")
    assert breaches(rows, parse_regressions(["p95=10%,5ms"]), None) == []
