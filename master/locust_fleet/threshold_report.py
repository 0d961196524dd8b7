"""Thresholds' results and live states written out (docs/thresholds.md): the summary printed after
Locust's tables, the JUnit XML file CI systems read, the text kept in the run record, and the rows
of the web UI's Thresholds tab. Pure: results in, text out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from .threshold_judge import (BREACHED, EXIT_BREACHED, HOLDING, NEVER_APPEARED, NO_REQUESTS, WAITING,
                              Live, Result)
from .threshold_syntax import CHECKS, RATE, RATIO, TIME, Threshold, format_limit, format_value


# Why a metric had nothing to measure (threshold_judge.measure returned None), by the metric's kind.
NOTHING_TO_MEASURE = {TIME: "no requests with a response time", RATIO: "no requests to divide the failures by",
                      RATE: "no time with users running to divide the requests by",
                      CHECKS: "no non-fatal check was counted (a scenario's check with fatal: false)"}


def scope(threshold: Threshold) -> str:
    """Which requests and which time: 'all requests, whole run', 'POST /login, windows of 60 s'."""
    who = threshold.endpoint.label if threshold.endpoint else "all requests"
    if threshold.metric.kind == "users":
        who = "all users"
    when = "whole run" if threshold.window_s is None else f"every {threshold.window_s:g} s window"
    return f"{who}, {when}"


def measured(result: Result) -> str:
    if result.reason == NEVER_APPEARED:
        t = result.threshold
        return f"{t.endpoint.label if t.endpoint else 'it'} never appeared"
    if result.value is None:
        return "no checks" if result.threshold.metric.kind == CHECKS else "no requests"
    text = format_value(result.threshold.metric, result.value)
    return f"worst {text}" if result.threshold.window_s is not None else text


def outcome(result: Result) -> str:
    if result.passed:
        return "pass"
    if result.aborted_at_s is not None:
        return f"FAIL, stopped the test at {result.aborted_at_s:.1f} s"
    return "FAIL"


def failure_message(result: Result) -> str:
    t = result.threshold
    if result.reason == NEVER_APPEARED:
        return (f"{t.text}: no request to {t.endpoint.label if t.endpoint else 'it'} in the whole run "
                "(the name and method are Locust's, as in its statistics)")
    if result.reason == NO_REQUESTS:
        return f"{t.text}: nothing to measure ({NOTHING_TO_MEASURE[t.metric.kind]})"
    text = f"{t.text}: measured {measured(result)}, limit {format_limit(t)}"
    if result.aborted_at_s is not None:
        text += f"; stopped the test at {result.aborted_at_s:.1f} s"
    return text


INTERRUPTED, BROKE = "interrupted", "broke"


@dataclass(frozen=True)
class CutShort:
    """A test that did not end as planned, which fails the run whatever its figures: `INTERRUPTED`
    by a signal before its run time or its load shape's end (exit code 4), or it `BROKE` with an
    exit code another part set (every worker went missing: 1)."""

    kind: str  # INTERRUPTED or BROKE
    what: str  # "was interrupted at 6.0 s, before the end of its 30 s run time"
    exit_code: int


def summary_lines(results: list[Result], cut: CutShort | None = None) -> list[str]:
    """One screen after Locust's tables: each threshold, its limit, the figure measured, pass/fail;
    and a test cut short, said first."""
    failed = sum(not r.passed for r in results)
    rows = [("Threshold", "Limit", "Measured", "Result")]
    rows += [(r.threshold.text, format_limit(r.threshold), measured(r), outcome(r)) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    code = cut.exit_code if cut else EXIT_BREACHED if failed else None
    lines = [f"Thresholds: {len(results) - failed} passed, {failed} failed"
             + (f" (exit code {code})" if code else ""), ""]
    if cut:
        lines[1:1] = [cut_short_message(cut)]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return lines


def cut_short_message(cut: CutShort) -> str:
    return f"The test {cut.what}: its figures are those of what ran, and the run did not pass"


# The test case a JUnit file gains when the test was cut short: CI reporters that show only the
# test cases show the run as failed, as its exit code does.
RAN_TO_ITS_END = "the test ran to its planned end"


def junit_xml(results: list[Result], duration_s: float, started: float, hostname: str,
              properties: Iterable[tuple[str, str]] = (), cut: CutShort | None = None) -> str:
    """One test case per threshold (its expression as the name); a breach is a <failure> whose
    message holds the figure measured and the limit, repeated in <system-out> as lines. A test
    cut short adds a failed case RAN_TO_ITS_END saying when and how."""
    failed = sum(not r.passed for r in results) + bool(cut)
    counts = {"tests": str(len(results) + bool(cut)), "failures": str(failed), "errors": "0"}
    seconds = f"{max(duration_s, 0.0):.3f}"
    root = ElementTree.Element("testsuites", {"name": "locust-fleet thresholds", "time": seconds, **counts})
    suite = ElementTree.SubElement(root, "testsuite", {
        "name": "thresholds", **counts, "skipped": "0", "time": seconds,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)), "hostname": hostname})
    props = list(properties)
    if props:
        holder = ElementTree.SubElement(suite, "properties")
        for name, value in props:
            ElementTree.SubElement(holder, "property", {"name": name, "value": value})
    for r in results:
        case = ElementTree.SubElement(suite, "testcase", {"name": r.threshold.text, "classname": "thresholds",
                                                          "time": seconds})
        if not r.passed:
            failure = ElementTree.SubElement(case, "failure", {"type": r.reason, "message": failure_message(r)})
            failure.text = failure_message(r)
        out = ElementTree.SubElement(case, "system-out")
        lines = [f"measured: {measured(r)}", f"limit: {format_limit(r.threshold)}", f"scope: {scope(r.threshold)}",
                 f"result: {r.reason}"]
        if r.worst_at_s is not None:
            lines.append(f"worst window ended at: {r.worst_at_s:.1f} s")
        out.text = "\n".join(lines) + "\n"
    if cut:
        case = ElementTree.SubElement(suite, "testcase", {"name": RAN_TO_ITS_END, "classname": "run", "time": seconds})
        message = cut_short_message(cut)
        ElementTree.SubElement(case, "failure", {"type": cut.kind, "message": message}).text = message
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def record_text(results: list[Result], cut: CutShort | None = None) -> str:
    """The run record's `thresholds` field: a JSON list, one object per threshold, and a failed
    RAN_TO_ITS_END for a test cut short, as in the JUnit file (`locust-fleet runs` reads it)."""
    kept = [{
        "threshold": r.threshold.text, "passed": r.passed, "result": r.reason,
        "value": r.value, "measured": measured(r), "limit": format_limit(r.threshold),
        **({"aborted_at_s": round(r.aborted_at_s, 3)} if r.aborted_at_s is not None else {}),
        **({"worst_at_s": round(r.worst_at_s, 3)} if r.worst_at_s is not None else {}),
    } for r in results]
    if cut:
        kept.append({"threshold": RAN_TO_ITS_END, "passed": False, "result": cut.kind, "value": None,
                     "measured": cut_short_message(cut), "limit": "—"})
    return json.dumps(kept, separators=(",", ":"))


def read_record(text: str) -> list[dict]:
    """Inverse of record_text; an empty field (a run without thresholds) is an empty list."""
    return json.loads(text) if text else []


LIVE_TABLE = [{"key": "threshold", "title": "Threshold"}, {"key": "scope", "title": "Over"},
              {"key": "limit", "title": "Limit"}, {"key": "current", "title": "Now"},
              {"key": "state", "title": "State"}]


def live_state(live: Live) -> str:
    if live.state == WAITING:
        text = "waiting for a full window" if live.threshold.window_s and live.value is None else "waiting for requests"
    elif live.state == HOLDING:
        text = "holding"
    else:
        assert live.state == BREACHED
        text = "BREACHED"
    if live.breached_before and live.state != BREACHED:
        text += f" (a window breached it: worst {format_value(live.threshold.metric, live.worst)})"
    if live.threshold.abort and live.state != BREACHED:
        text += f"; aborts after {live.threshold.abort_after_s:g} s when breached"
    return text


def live_rows(lives: list[Live], results: list[Result] | None) -> list[dict]:
    """The web UI tab's rows: while a test runs, each threshold's current state; after it, the
    results of the last test."""
    if results is not None:
        return [{"threshold": r.threshold.text, "scope": scope(r.threshold), "limit": format_limit(r.threshold),
                 "current": measured(r), "state": "passed" if r.passed else f"FAILED ({r.reason})"
                 + (f", stopped the test at {r.aborted_at_s:.1f} s" if r.aborted_at_s is not None else "")}
                for r in results]
    return [{"threshold": live.threshold.text, "scope": scope(live.threshold), "limit": format_limit(live.threshold),
             "current": "—" if live.value is None else format_value(live.threshold.metric, live.value),
             "state": live_state(live)} for live in lives]
