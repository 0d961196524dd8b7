"""Thresholds judged on given statistics: each metric as Locust computes it, endpoints, sliding
windows, aborts after their grace time, results at the end and the exit code."""

import pytest
from locust.stats import RequestStats, calculate_response_time_percentile

from locust_fleet.threshold_judge import (BREACHED, HOLDING, NEVER_APPEARED, NO_REQUESTS, PASSED, WAITING, Figures,
                                          Judge, Sample, SlidingWindow, exit_code, measure, select)
from locust_fleet.threshold_syntax import Endpoint, parse

# 100 timed requests: 90 at 1 ms, 5 at 120 ms, 4 at 300 ms, 1 at 2000 ms; 10 failed
HIST = {1: 90, 120: 5, 300: 4, 2000: 1}
FIG = Figures(requests=100, failures=10, timed=100, total_ms=90 + 600 + 1200 + 2000, min_ms=1.0, max_ms=2003.0,
              histogram=dict(HIST))
SAMPLE = Sample(FIG, seconds=4.0, peak_users=12)


@pytest.mark.parametrize("text, want", [
    ("requests>0", 100.0), ("failures>0", 10.0), ("fail_ratio<1", 0.1), ("rps>0", 25.0),
    ("avg<1", 38.9), ("min<1", 1.0), ("max<1", 2003.0), ("users>1", 12.0),
    # Locust's rule: the slowest bucket with at most q of the requests below it
    ("p50<1", 1.0), ("p89<1", 1.0), ("p90<1", 120.0), ("p94<1", 120.0), ("p95<1", 300.0), ("p98<1", 300.0),
    ("p99<1", 2000.0), ("p99.9<1", 2000.0), ("p100<1", 2000.0), ("med<1", 1.0),
])
def test_measure_each_metric(text, want):
    assert measure(parse(text), SAMPLE) == pytest.approx(want)


@pytest.mark.parametrize("q", [0.5, 0.66, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0])
def test_percentiles_equal_locusts_own(q):
    hist = {ms: (ms * 7919) % 97 + 1 for ms in (0, 1, 2, 5, 17, 99, 110, 250, 990, 1200, 4300, 12000)}
    n = sum(hist.values())
    name = f"p{q * 100:g}"
    got = measure(parse(f"{name}<1"), Sample(Figures(n, 0, n, 0.0, 0.0, 12000.0, hist), 1.0, 0))
    assert got == calculate_response_time_percentile(hist, n, q)


def test_figures_of_locusts_entry_measure_as_locust_does():
    stats = RequestStats()
    for ms in (0, 3, 3, 140, 2500):
        stats.log_request("GET", "/a", ms, 10)
    stats.log_error("GET", "/a", "boom")
    entry = stats.get("/a", "GET")
    sample = Sample(Figures.of_entry(entry), 2.0, 0)
    assert measure(parse("avg<1"), sample) == entry.avg_response_time
    assert measure(parse("med<1"), sample) == entry.median_response_time
    assert measure(parse("p95<1"), sample) == entry.get_response_time_percentile(0.95)
    assert measure(parse("min<1"), sample) == entry.min_response_time
    assert measure(parse("max<1"), sample) == entry.max_response_time
    assert measure(parse("fail_ratio<1"), sample) == entry.fail_ratio


def test_the_median_is_kept_within_min_and_max_as_locusts_median_column():
    # one request of 147 ms lands in the 150 bucket; Locust's median column says 147
    sample = Sample(Figures(1, 0, 1, 147.0, 147.0, 147.0, {150: 1}), 1.0, 0)
    assert measure(parse("med<1"), sample) == 147.0
    assert measure(parse("p50<1"), sample) == 150.0


@pytest.mark.parametrize("text", ["fail_ratio<1", "avg<1", "min<1", "max<1", "p95<1", "med<1"])
def test_nothing_to_measure_without_requests(text):
    assert measure(parse(text), Sample(Figures(), 5.0, 3)) is None


@pytest.mark.parametrize("text, want", [("requests<1", 0.0), ("failures<1", 0.0), ("rps<1", 0.0), ("users<1", 3.0)])
def test_counts_of_no_requests_are_zero(text, want):
    assert measure(parse(text), Sample(Figures(), 5.0, 3)) == want


def test_not_started_counts_the_arrival_rows_of_locusts_entries_and_of_reports():
    stats = RequestStats()
    for _ in range(3):
        stats.log_request("GET", "slow", 5, 10)
    for _ in range(2):
        stats.log_request("ARRIVAL", "slow", 0, 0)
        stats.log_error("ARRIVAL", "slow", "not started: 2 tasks of this user still running (max_in_flight)")
    task = select(Endpoint("slow"), {key: Figures.of_entry(e) for key, e in stats.entries.items()}, Figures())
    assert measure(parse("slow: not_started==0"), Sample(task, 1.0, 0)) == 2.0
    assert measure(parse("slow: failures==0"), Sample(task, 1.0, 0)) == 2.0
    assert Figures.of_entry(stats.get("slow", "GET")).not_started == 0
    assert Figures.of_report_entry({"method": "ARRIVAL", "name": "slow", "num_requests": 4,
                                    "num_failures": 4}).not_started == 4
    assert Figures.of_report_entry({"method": "GET", "name": "slow", "num_requests": 4,
                                    "num_failures": 4}).not_started == 0
    assert measure(parse("not_started==0"), Sample(Figures(requests=5), 1.0, 0)) == 0.0  # none: a pass


def test_checks_measure_the_pass_ratio_of_the_non_fatal_checks():
    assert measure(parse("checks>99%"), Sample(Figures(requests=10, check_passes=3, check_fails=1), 1.0, 0)) == 0.75
    # requests without a non-fatal check: nothing to measure (a scenario without one, a misspelt name)
    assert measure(parse("checks>99%"), Sample(Figures(requests=10), 1.0, 0)) is None
    merged = Figures(check_passes=1, check_fails=2)
    merged.add(Figures(check_passes=4, check_fails=1, not_started=2))
    assert (merged.check_passes, merged.check_fails, merged.not_started) == (5, 3, 2)


def test_rps_without_time_is_nothing_to_measure():
    assert measure(parse("rps>1"), Sample(FIG, 0.0, 0)) is None


def test_a_never_seen_endpoint_has_nothing_but_users():
    sample = Sample(None, 5.0, 7)
    assert measure(parse("/x: requests>=0"), sample) is None
    assert measure(parse("users>1"), sample) == 7.0


def test_select_merges_a_names_methods_or_takes_one():
    entries = {("/login", "GET"): Figures(3, 1, 3, 30.0, 5.0, 15.0, {5: 1, 10: 1, 15: 1}),
               ("/login", "POST"): Figures(2, 2, 2, 4.0, 2.0, 2.0, {2: 2}),
               ("/other", "GET"): Figures(9, 0, 9, 9.0, 1.0, 1.0, {1: 9})}
    total = Figures(14, 3, 14, 43.0, 1.0, 15.0, {1: 9, 2: 2, 5: 1, 10: 1, 15: 1})
    both = select(Endpoint("/login"), entries, total)
    assert (both.requests, both.failures, both.min_ms, both.max_ms, both.histogram) == (5, 3, 2.0, 15.0,
                                                                                         {5: 1, 10: 1, 15: 1, 2: 2})
    assert select(Endpoint("/login", "POST"), entries, total).requests == 2
    assert select(None, entries, total) is total
    assert select(Endpoint("/login", "PUT"), entries, total) is None
    assert select(Endpoint("/nope"), entries, total) is None


def report(requests, failures=0, ms=1):
    return Figures(requests, failures, requests, float(ms * requests), float(ms), float(ms), {ms: requests})


def test_a_window_holds_the_reports_of_its_last_seconds():
    login = Endpoint("/login")
    window = SlidingWindow(10.0, [None, login])
    window.add_report(100.2, [("/login", "POST", report(5, 1, ms=300)), ("/a", "GET", report(5))], report(10, 1))
    window.add_report(104.0, [("/a", "GET", report(20))], report(20))
    assert window.sample(login, 110.0).figures.histogram == {300: 5}  # 100 to 110 holds the first second
    assert window.sample(login, 110.5).figures.histogram == {}  # 100.5 to 110.5 no longer
    window.add_report(111.5, [("/login", "GET", report(4, 0, ms=2))], report(4))
    at_112 = window.sample(None, 112.0)  # 102 to 112: the reports of 104.0 and 111.5
    assert (at_112.figures.requests, at_112.seconds) == (24, 10.0)
    assert window.sample(login, 112.0).figures.histogram == {2: 4}
    # requests then end: the endpoint was seen, so its window counts 0 requests, and nothing else
    empty = window.sample(login, 200.0)
    assert measure(parse("/login: requests[10s]>0"), empty) == 0.0
    assert measure(parse("/login: p95[10s]<1"), empty) is None


def test_a_window_forgets_its_old_bins_and_knows_endpoints_only_once_seen():
    window = SlidingWindow(5.0, [Endpoint("/late")])
    for second in range(100, 200):
        window.add_report(second + 0.5, [("/a", "GET", report(1))], report(1))
    assert len(window.bins) <= 7
    assert window.sample(Endpoint("/late"), 200.0).figures is None
    window.add_report(200.5, [("/late", "GET", report(2))], report(2))
    assert window.sample(Endpoint("/late"), 201.0).figures.requests == 2


def test_a_long_window_keeps_a_bounded_number_of_bins():
    window = SlidingWindow(3600.0, [None])
    for second in range(0, 7200, 3):
        window.add_report(float(second), [], report(1))
    assert window.step == 12.0 and len(window.bins) <= 302
    assert window.sample(None, 7200.0).figures.requests == pytest.approx(1200, abs=5)


def test_a_window_keeps_the_peak_users():
    window = SlidingWindow(5.0, [None])
    window.note_users(10.0, 50)
    window.note_users(13.0, 20)
    assert window.sample(None, 14.0).peak_users == 50
    assert window.sample(None, 17.0).peak_users == 20


def fixed(sample):
    return lambda _t: sample


def test_judge_follows_each_threshold_while_the_test_runs():
    judge = Judge([parse("fail_ratio<5%"), parse("p95<500"), parse("/x: requests>0")])
    judge.observe(1.0, lambda t: Sample(None, 1.0, 0) if t.endpoint else SAMPLE)
    assert [(l.state, l.value) for l in judge.live()] == [(BREACHED, 0.1), (HOLDING, 300.0), (WAITING, None)]


def test_an_abort_threshold_stops_the_test_once_past_its_grace_time():
    abort = parse("fail_ratio<5% abort after 10s")
    judge = Judge([parse("p95<1"), abort])
    assert judge.observe(9.9, fixed(SAMPLE)) is None  # breached, but within its grace time
    assert judge.observe(10.0, fixed(SAMPLE)) is abort
    assert judge.observe(11.0, fixed(SAMPLE)) is None  # once
    results = judge.finish(12.0, fixed(Sample(report(100), 4.0, 0)), fixed(Sample(report(100), 4.0, 0)))
    # it stopped the test: failed, even though the run's last figure holds
    assert [(r.passed, r.reason, r.aborted_at_s) for r in results] == [(False, BREACHED, None),
                                                                      (False, BREACHED, 10.0)]
    assert results[1].value == 0.0


def test_an_abort_threshold_without_grace_stops_at_the_first_breach_and_not_while_it_holds():
    abort = parse("p95<500ms abort")
    judge = Judge([abort])
    assert judge.observe(0.5, fixed(Sample(report(10, ms=400), 1.0, 0))) is None
    assert judge.observe(0.6, fixed(Sample(Figures(), 1.0, 0))) is None  # nothing to measure: waits
    assert judge.observe(0.7, fixed(Sample(report(10, ms=600), 1.0, 0))) is abort


def test_whole_run_results_are_judged_on_the_final_figures():
    judge = Judge([parse("fail_ratio<1%"), parse("p95<500ms"), parse("rps>=20"), parse("users>=12")])
    judge.observe(1.0, fixed(Sample(report(1, 1), 1.0, 0)))  # breached on the way: only the end counts
    results = judge.finish(4.0, fixed(Sample(report(100), 4.0, 12)), fixed(Sample(report(100), 4.0, 12)))
    assert [(r.passed, r.reason, r.value) for r in results] == [
        (True, PASSED, 0.0), (True, PASSED, 1.0), (True, PASSED, 25.0), (True, PASSED, 12.0)]


def test_a_windowed_threshold_fails_when_any_window_breached_and_reports_the_worst():
    t = parse("p95[10s]<500ms")
    judge = Judge([t])
    for elapsed, ms in ((10, 100), (11, 700), (12, 900), (13, 200)):
        judge.observe(float(elapsed), fixed(Sample(report(10, ms=ms), 10.0, 0)))
    (live,) = judge.live()
    assert (live.state, live.breached_before, live.worst) == (HOLDING, True, 900.0)
    (result,) = judge.finish(14.0, fixed(Sample(report(10, ms=100), 10.0, 0)), fixed(SAMPLE))
    assert (result.passed, result.reason, result.value, result.worst_at_s) == (False, BREACHED, 900.0, 12.0)


def test_a_windowed_threshold_that_always_held_passes_with_its_worst_window():
    judge = Judge([parse("rps[10s]>=5")])
    for elapsed, n in ((10, 80), (11, 60), (12, 90)):
        judge.observe(float(elapsed), fixed(Sample(report(n), 10.0, 0)))
    (result,) = judge.finish(13.0, fixed(Sample(report(70), 10.0, 0)), fixed(SAMPLE))
    assert (result.passed, result.value) == (True, 6.0)


def test_a_run_shorter_than_its_window_is_judged_as_one_window():
    judge = Judge([parse("p95[1m]<100ms")])
    judge.observe(5.0, fixed(None))  # not full yet
    assert judge.live()[0].state == WAITING
    (result,) = judge.finish(8.0, fixed(None), fixed(SAMPLE))
    assert (result.passed, result.value) == (False, 300.0)


def test_an_endpoint_that_never_appeared_fails_as_such_and_no_requests_fails_too():
    judge = Judge([parse("GET /nope: failures==0"), parse("GET /nope: p95[5s]<1s"), parse("p95<1s"),
                   parse("users>=0")])
    never = Sample(None, 4.0, 3)
    empty_total = Sample(Figures(), 4.0, 3)
    pick = lambda t: never if t.endpoint else empty_total  # noqa: E731
    results = judge.finish(4.0, pick, pick)
    assert [(r.passed, r.reason) for r in results] == [(False, NEVER_APPEARED), (False, NEVER_APPEARED),
                                                      (False, NO_REQUESTS), (True, PASSED)]


@pytest.mark.parametrize("breached, others, crashed, interrupted, exceptions, want", [
    (None, None, False, False, False, None),   # no test was judged: Locust's own code
    (False, None, False, False, False, 0),     # all held: 0 even with failed requests
    (True, None, False, False, False, 3),      # a breach
    (True, 1, False, False, False, None),      # another part's code (every worker missing) stands
    (False, 1, False, True, False, None),
    (True, None, True, True, False, 2),        # a crash of the master comes before the verdict
    (False, None, False, True, False, 4),      # cut short before its planned end: no pass, whatever held
    (True, None, False, True, True, 4),        # ... and that comes before the breach it had
    (False, None, False, False, True, 7),      # exceptions in Python users: --exit-code-on-error
    (True, None, False, False, True, 3),
])
def test_exit_code_combines_the_verdict_with_locusts_codes(breached, others, crashed, interrupted, exceptions, want):
    results = None
    if breached is not None:
        judge = Judge([parse("p95<1")])
        results = judge.finish(1.0, fixed(Sample(report(1, ms=5 if breached else 0), 1.0, 0)), fixed(SAMPLE))
    assert exit_code(results, others, crashed, interrupted, exceptions, 7) == want
