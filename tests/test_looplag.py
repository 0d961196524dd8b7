"""The loop-lag probe: what one sleep overslept, by an injected clock; p99 and max per interval and
per run; samples kept only where someone reads them."""

import logging

import pytest

from locust_fleet.looplag import PERIOD, LoopLag, p99


def clock_of(*readings: float):
    """A clock that returns the readings in turn (two per measured sleep: before and after)."""
    return iter(readings).__next__


def test_p99_walks_the_sorted_samples():
    assert p99([]) == 0.0
    assert p99([0.5] + [0.001] * 99) == 0.5
    assert p99([0.001] * 200 + [0.5]) == 0.001


def test_measure_is_how_much_later_than_asked_the_loop_woke():
    lag = LoopLag(per_interval=True, clock=clock_of(10.0, 10.0 + PERIOD + 0.03, 20.0, 20.0 + PERIOD, 30.0, 30.05))
    assert lag.measure() == pytest.approx(0.03, abs=1e-12)
    assert lag.measure() == pytest.approx(0.0, abs=1e-12)
    assert lag.measure() == 0.0  # a clock that reads less than the sleep asked for is no negative lag


def test_take_interval_gives_p99_and_max_in_ms_and_starts_over():
    lag = LoopLag(per_interval=True)
    for i in range(200):
        lag.record(i / 1000)
    assert lag.take_interval() == {"loop_lag_p99_ms": pytest.approx(198.0), "loop_lag_max_ms": pytest.approx(199.0)}
    assert lag.take_interval() == {"loop_lag_p99_ms": 0.0, "loop_lag_max_ms": 0.0}


def test_samples_are_kept_only_for_their_readers(caplog):
    idle = LoopLag(per_interval=False)
    idle.record(0.5)
    assert idle.interval is None and idle.run is None  # no exporter, no test running: nothing piles up
    idle.on_test_start()
    for lag in (0.002, 0.004, 0.250):
        idle.record(lag)
    assert idle.run == [0.002, 0.004, 0.250] and idle.interval is None
    with caplog.at_level(logging.INFO, logger="locust_fleet.looplag"):
        idle.on_test_stop()
    assert idle.run is None
    assert "Master gevent loop lag during the run: p99 250.0 ms, max 250.0 ms (3 samples)" in caplog.text
