"""The loop-lag probe: what one sleep overslept, by an injected clock; p99 and max per interval and
per run from a bounded histogram, equal to those of the samples themselves; kept only where someone
reads them."""

import logging
import random

import pytest

from locust_fleet.looplag import PERIOD, LagHistogram, LoopLag, bucket


def p99(samples: list[float]) -> float:
    """The p99 of the samples themselves, as the probe defines it."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def clock_of(*readings: float):
    """A clock that returns the readings in turn (two per measured sleep: before and after)."""
    return iter(readings).__next__


def test_p99_walks_the_sorted_samples():
    assert LagHistogram().p99() == 0.0
    assert LagHistogram([500.0] + [1.0] * 99).p99() == 500.0
    assert LagHistogram([1.0] * 200 + [500.0]).p99() == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_the_histogram_gives_the_samples_p99_to_its_bucket_and_their_exact_max(seed):
    rnd = random.Random(seed)
    samples = [rnd.expovariate(1 / 3.0) + (rnd.random() < 0.02) * rnd.uniform(50, 4000) for _ in range(20_000)]
    hist = LagHistogram(samples)
    assert hist.p99() == bucket(p99(samples)) and hist.max_ms == max(samples) and hist.n == len(samples)
    assert abs(hist.p99() - p99(samples)) <= (0.05 if p99(samples) < 1000 else p99(samples) * 0.005)


def test_the_histogram_stays_bounded_however_long_the_run():
    hist = LagHistogram()
    rnd = random.Random(1)
    for _ in range(300_000):  # more than 8 hours of samples, lags from 0 to 10 minutes
        hist.add(rnd.uniform(0, 600_000) * rnd.random() ** 4)
    assert len(hist.counts) < 13_000


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
    assert idle.interval is None and idle.run is None  # no exporter, no test running: nothing is kept
    idle.on_test_start()
    for lag in (0.002, 0.004, 0.250):
        idle.record(lag)
    assert idle.run is not None and idle.run.n == 3 and idle.interval is None
    with caplog.at_level(logging.INFO, logger="locust_fleet.looplag"):
        idle.on_test_stop()
    assert idle.run is None
    assert "Master gevent loop lag during the run: p99 250.0 ms, max 250.0 ms (3 samples)" in caplog.text
