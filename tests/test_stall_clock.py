"""The fake master's stall clock (py_bridge/stall_clock.py) and the heartbeat cadence row that uses
it: a heartbeat gap counts against the worker only for the time the fake master could run, as
Locust's master counts missed heartbeats on its own ticks."""

from __future__ import annotations

import time

import pytest

from py_bridge.codec import Frame
from py_bridge.contract import FAIL, PASS, check
from py_bridge.conversation import IN, Conversation, Event
from py_bridge.stall_clock import SLACK, TICK, StallClock, stalled_within


def test_a_late_look_is_a_stall_from_when_the_tick_was_due():
    clock = StallClock()
    for at in (10.0, 10.02, 10.05, 10.5, 10.52):
        clock.note(at)
    assert clock.stalls == [(10.05 + TICK, 10.5)]  # 10.02 -> 10.05 is within the slack


def test_a_process_that_cannot_run_is_seen_stalled_for_as_long():
    clock = StallClock().start()
    try:
        time.sleep(0.1)
        begun = time.time()
        sum(range(40_000_000))  # one C call that keeps the GIL: no other thread of this process runs
        held = time.time() - begun
    finally:
        clock.stop()
    assert held > TICK + SLACK, f"the call took {held:.3f} s: too short to tell"
    assert stalled_within(clock.stalls, begun, begun + held) >= held - TICK - SLACK, (held, clock.stalls)


def test_stalled_within_counts_only_the_overlap():
    stalls = [(1.0, 2.0), (3.0, 3.5), (9.0, 10.0)]
    assert stalled_within(stalls, 1.5, 3.2) == pytest.approx(0.5 + 0.2)
    assert stalled_within(stalls, 4.0, 8.0) == 0.0


def cadence(beats: list[float], stalls: list[tuple[float, float]]):
    conv = Conversation(node_id="w", stalls=stalls)
    conv.events = [Event(at, IN, Frame("heartbeat", {"state": "running", "current_cpu_usage": 1.0}, "w"))
                   for at in beats]
    (row,) = [r for r in check(conv, 0, 0) if r.invariant == "heartbeat cadence"]
    return row


BEATS = [0.0, 1.0, 2.0, 5.4, 6.4, 7.4]  # one gap of 3.4 s


def test_a_gap_past_three_seconds_fails_when_the_fake_master_was_running():
    row = cadence(BEATS, [(0.2, 0.3)])  # a stall elsewhere does not help
    assert row.status == FAIL and "the longest 3.40 s" in row.detail, row


def test_a_gap_the_fake_master_spent_stalled_counts_only_its_running_time():
    row = cadence(BEATS, [(3.0, 4.0)])
    assert row.status == PASS, row
    assert "the longest 2.40 s of the fake master's own time (3.40 s by the clock, 1.00 s of it while the fake " \
           "master could not run)" in row.detail, row


def test_a_stall_does_not_excuse_a_gap_longer_than_three_seconds_beside_it():
    row = cadence(BEATS, [(3.0, 3.2)])
    assert row.status == FAIL and "the longest 3.20 s" in row.detail, row
