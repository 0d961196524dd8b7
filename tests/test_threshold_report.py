"""Thresholds' results written out: the summary after Locust's tables, the JUnit file (validated
against the Jenkins xUnit plugin's junit-10.xsd, which CI systems read), the run record's text and
the web UI tab's rows."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from locust_fleet.threshold_judge import BREACHED, NEVER_APPEARED, NO_REQUESTS, PASSED, Judge, Live, Result
from locust_fleet.threshold_report import (BROKE, INTERRUPTED, LIVE_TABLE, RAN_TO_ITS_END, CutShort, junit_xml,
                                           live_rows, read_record, record_text, summary_lines)
from locust_fleet.threshold_syntax import parse

SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parent / "schemas" / "junit-10.xsd"))
RESULTS = [
    Result(parse("fail_ratio<1%"), False, 0.0502, BREACHED),
    Result(parse("p95<500ms"), True, 120.0, PASSED),
    Result(parse("POST /login: rps>=1000"), True, 1043.7, PASSED),
    Result(parse("p95[1m]<800ms"), False, 912.0, BREACHED, worst_at_s=75.0),
    Result(parse("GET /nope: requests>0"), False, None, NEVER_APPEARED),
    Result(parse("/empty: p99<1s"), False, None, NO_REQUESTS),
    Result(parse("fail_ratio<10% abort after 10s"), False, 0.25, BREACHED, aborted_at_s=12.34),
]


def test_summary_is_one_screen_with_each_threshold_its_limit_the_figure_and_the_result():
    assert summary_lines(RESULTS) == [
        "Thresholds: 2 passed, 5 failed (exit code 3)",
        "",
        "Threshold                       Limit      Measured                  Result",
        "fail_ratio<1%                   < 1%       5.02%                     FAIL",
        "p95<500ms                       < 500 ms   120 ms                    pass",
        "POST /login: rps>=1000          >= 1000/s  1043.70/s                 pass",
        "p95[1m]<800ms                   < 800 ms   worst 912 ms              FAIL",
        "GET /nope: requests>0           > 0        GET /nope never appeared  FAIL",
        "/empty: p99<1s                  < 1000 ms  no requests               FAIL",
        "fail_ratio<10% abort after 10s  < 10%      25.00%                    FAIL, stopped the test at 12.3 s",
    ]


def test_summary_when_all_hold():
    assert summary_lines(RESULTS[1:3])[0] == "Thresholds: 2 passed, 0 failed"


CUT = CutShort(INTERRUPTED, "was interrupted at 6.2 s, before the end of its 30 s run time", 4)
BROKEN = CutShort(BROKE, "ended at 9.8 s with exit code 1 (the log says why)", 1)


def test_summary_of_a_test_cut_short_says_so_and_that_it_did_not_pass():
    """Every threshold held, but the test ran 6 of its 30 s: a CI job must not read it as passed."""
    assert summary_lines(RESULTS[1:3], CUT)[:3] == [
        "Thresholds: 2 passed, 0 failed (exit code 4)",
        "The test was interrupted at 6.2 s, before the end of its 30 s run time: its figures are those of what "
        "ran, and the run did not pass",
        "",
    ]
    assert summary_lines(RESULTS, CUT)[0] == "Thresholds: 2 passed, 5 failed (exit code 4)"


def test_summary_of_a_test_whose_run_broke_gives_its_exit_code_and_says_it_did_not_pass():
    """Every worker went missing (exit code 1): the summary said "2 passed, 0 failed", nothing more."""
    assert summary_lines(RESULTS[1:3], BROKEN)[:3] == [
        "Thresholds: 2 passed, 0 failed (exit code 1)",
        "The test ended at 9.8 s with exit code 1 (the log says why): its figures are those of what ran, and the "
        "run did not pass",
        "",
    ]


def test_junit_file_of_a_test_cut_short_has_a_failed_case_saying_so():
    text = junit_xml(RESULTS[1:3], 6.2, 1796552698.0, "ci", [], CUT)
    SCHEMA.validate(text)
    root = ElementTree.fromstring(text)
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["p95<500ms", "POST /login: rps>=1000", RAN_TO_ITS_END]
    failure = cases[-1].find("failure")
    assert (failure.get("type"), failure.get("message")) == ("interrupted", (
        "The test was interrupted at 6.2 s, before the end of its 30 s run time: its figures are those of what ran, "
        "and the run did not pass"))
    broken = ElementTree.fromstring(junit_xml(RESULTS[1:3], 9.8, 1796552698.0, "ci", [], BROKEN))
    assert broken.get("failures") == "1"
    assert broken.findall("testsuite/testcase")[-1].find("failure").get("type") == "broke"


def test_junit_file_is_valid_for_ci_with_one_case_per_threshold():
    text = junit_xml(RESULTS, 61.5, 1796552698.0, "ci-runner", [("host", "http://127.0.0.1:8080"), ("run_id", "r1")])
    SCHEMA.validate(text)
    root = ElementTree.fromstring(text)
    suite = root.find("testsuite")
    assert (root.get("tests"), root.get("failures"), suite.get("tests"), suite.get("failures")) == ("7", "5", "7", "5")
    assert (suite.get("timestamp"), suite.get("hostname"), suite.get("time")) == ("2026-12-06T10:24:58", "ci-runner",
                                                                                  "61.500")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")} == {"host": "http://127.0.0.1:8080",
                                                                              "run_id": "r1"}
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.threshold.text for r in RESULTS]
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert failures["p95<500ms"] is None
    assert failures["fail_ratio<1%"].get("message") == "fail_ratio<1%: measured 5.02%, limit < 1%"
    assert failures["fail_ratio<1%"].get("type") == BREACHED
    assert failures["GET /nope: requests>0"].get("message") == (
        "GET /nope: requests>0: no request to GET /nope in the whole run (the name and method are Locust's, as in its "
        "statistics)")
    assert failures["GET /nope: requests>0"].get("type") == NEVER_APPEARED
    assert failures["fail_ratio<10% abort after 10s"].get("message") == (
        "fail_ratio<10% abort after 10s: measured 25.00%, limit < 10%; stopped the test at 12.3 s")
    assert cases[3].find("system-out").text == ("measured: worst 912 ms\nlimit: < 800 ms\n"
                                                "scope: all requests, every 60 s window\nresult: breached\n"
                                                "worst window ended at: 75.0 s\n")
    assert cases[2].find("system-out").text.startswith("measured: 1043.70/s\nlimit: >= 1000/s\nscope: POST /login, ")


def test_junit_says_why_each_kind_of_metric_had_nothing_to_measure():
    """A run without requests fails fail_ratio and rps for their own reason, not for want of a
    response time (what the message said for every metric)."""
    results = [Result(parse(text), False, None, NO_REQUESTS) for text in ("p95<1s", "fail_ratio<1%", "rps>10")]
    root = ElementTree.fromstring(junit_xml(results, 5.0, 1796552698.0, "ci", []))
    assert [c.find("failure").get("message") for c in root.iter("testcase")] == [
        "p95<1s: nothing to measure (no requests with a response time)",
        "fail_ratio<1%: nothing to measure (no requests to divide the failures by)",
        "rps>10: nothing to measure (no time with users running to divide the requests by)"]


def test_junit_file_escapes_what_names_may_hold():
    odd = [Result(parse('GET /a?x=<1>&y="2": p95<1s'), False, 2000.0, BREACHED)]
    text = junit_xml(odd, 1.0, 0.0, "h")
    SCHEMA.validate(text)
    assert ElementTree.fromstring(text).find("testsuite/testcase").get("name") == 'GET /a?x=<1>&y="2": p95<1s'


def test_the_schema_refuses_what_ci_would_refuse():
    # the vendored schema is not a rubber stamp: a test case without a name fails it
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate('<testsuites><testsuite name="t" tests="1" failures="0" errors="0"><testcase/>'
                        "</testsuite></testsuites>")


def test_run_record_text_keeps_each_result_and_reads_back():
    kept = read_record(record_text(RESULTS))
    assert kept[0] == {"threshold": "fail_ratio<1%", "passed": False, "result": BREACHED, "value": 0.0502,
                       "measured": "5.02%", "limit": "< 1%"}
    assert kept[4] == {"threshold": "GET /nope: requests>0", "passed": False, "result": NEVER_APPEARED, "value": None,
                       "measured": "GET /nope never appeared", "limit": "> 0"}
    assert kept[6]["aborted_at_s"] == 12.34 and kept[3]["worst_at_s"] == 75.0
    assert read_record("") == []


def test_run_record_of_a_test_cut_short_keeps_the_failed_case_as_the_junit_file_does():
    kept = read_record(record_text(RESULTS[1:3], CUT))
    assert kept[-1] == {"threshold": RAN_TO_ITS_END, "passed": False, "result": "interrupted", "value": None,
                        "measured": "The test was interrupted at 6.2 s, before the end of its 30 s run time: its "
                                    "figures are those of what ran, and the run did not pass", "limit": "—"}
    assert len(kept) == 3


def test_live_rows_while_running_and_after():
    window = parse("p95[1m]<800ms")
    lives = [Live(parse("p95<500ms"), "holding", 120.0), Live(window, "waiting", None),
             Live(window, "holding", 300.0, breached_before=True, worst=912.0),
             Live(parse("fail_ratio<10% abort after 10s"), "breached", 0.25),
             Live(parse("GET /x: requests>0"), "waiting", None)]
    assert [(r["current"], r["state"]) for r in live_rows(lives, None)] == [
        ("120 ms", "holding"), ("—", "waiting for a full window"),
        ("300 ms", "holding (a window breached it: worst 912 ms)"), ("25.00%", "BREACHED"),
        ("—", "waiting for requests")]
    assert [r["state"] for r in live_rows([], RESULTS)][:2] == ["FAILED (breached)", "passed"]
    assert live_rows([], RESULTS)[6]["state"] == "FAILED (breached), stopped the test at 12.3 s"
    assert {key for row in live_rows(lives, None) for key in row} == {c["key"] for c in LIVE_TABLE}


def test_an_abort_threshold_says_so_while_it_holds():
    judge = Judge([parse("p95<500ms abort after 5s")])
    (row,) = live_rows(judge.live(), None)
    assert row["state"] == "waiting for requests; aborts after 5 s when breached"


def test_the_runs_report_shows_the_thresholds_of_a_judged_run_only():
    from locust_fleet.runs.report import thresholds_section
    from locust_fleet.runs.store import RunData, RunRecord

    judged = thresholds_section(RunData(RunRecord("r1", 0.0, thresholds=record_text(RESULTS))))
    rows = ElementTree.fromstring(judged[judged.index("<table"):]).findall("tbody/tr")
    assert [[td.text for td in tr] for tr in rows][-1] == [
        "fail_ratio<10% abort after 10s", "< 10%", "25.00%", "FAIL (breached), stopped the test at 12.3 s"]
    assert "<p>2 passed, 5 failed.</p>" in judged
    assert thresholds_section(RunData(RunRecord("r2", 0.0))) == ""
