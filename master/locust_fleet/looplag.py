"""How late the master's gevent loop wakes a sleeping greenlet: the delay every greenlet of the
master sees (worker messages, heartbeats, the web UI, the exporter). A probe sleeps 100 ms in a
loop and records how much later than asked it woke up. Logged at each test stop and written with
the exporter's own figures, so that a master that cannot keep up is seen, not guessed.

Samples go into a bounded histogram, not a list: ten a second for a whole run would be about 7 MB
a day. Lags are kept to 0.1 ms below 1 s, which is how they are logged, and to three significant
digits above (at most about 13,000 buckets whatever the run's length, a few hundred for a healthy
master); the maximum is kept exactly."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable

import gevent

logger = logging.getLogger(__name__)
PERIOD = 0.1
FINE_UNTIL_MS = 1000.0  # below: buckets of 0.1 ms


def bucket(ms: float) -> float:
    """The bucket of a lag in ms: 0.1 ms steps below FINE_UNTIL_MS, three significant digits above."""
    if ms < FINE_UNTIL_MS:
        return round(ms, 1)
    step = 10 ** (math.floor(math.log10(ms)) - 2)
    return round(ms / step) * step


class LagHistogram:
    """Counts of lags by bucket, their number and their exact maximum (ms)."""

    def __init__(self, samples_ms: Iterable[float] = ()) -> None:
        self.counts: dict[float, int] = {}
        self.n = 0
        self.max_ms = 0.0
        for ms in samples_ms:
            self.add(ms)

    def add(self, ms: float) -> None:
        key = bucket(ms)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.n += 1
        self.max_ms = max(self.max_ms, ms)

    def p99(self) -> float:
        """The sample at index int(n * 0.99) of the sorted samples, to its bucket (0 when empty)."""
        if not self.n:
            return 0.0
        index = min(self.n - 1, int(self.n * 0.99))
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen > index:
                return key
        raise AssertionError("unreachable: the counts add up to n")


class LoopLag:
    def __init__(self, per_interval: bool, clock: Callable[[], float] = time.perf_counter) -> None:
        """per_interval: keep a histogram for take_interval (only when the exporter takes it)."""
        self.clock = clock
        self.interval: LagHistogram | None = LagHistogram() if per_interval else None  # since last taken
        self.run: LagHistogram | None = None  # while a test runs

    def probe(self) -> None:
        while True:
            self.record(self.measure())

    def measure(self) -> float:
        """Seconds one sleep of PERIOD overslept, by the clock."""
        started = self.clock()
        gevent.sleep(PERIOD)
        return max(self.clock() - started - PERIOD, 0.0)

    def record(self, lag: float) -> None:
        ms = lag * 1000
        if self.interval is not None:
            self.interval.add(ms)
        if self.run is not None:
            self.run.add(ms)

    def take_interval(self) -> dict[str, float]:
        """p99 and max in ms since the last call (fields of locust_exporter)."""
        taken, self.interval = self.interval or LagHistogram(), LagHistogram()
        return {"loop_lag_p99_ms": taken.p99(), "loop_lag_max_ms": taken.max_ms}

    def on_test_start(self, **_kw) -> None:
        self.run = LagHistogram()

    def on_test_stop(self, **_kw) -> None:
        taken, self.run = self.run, None
        if taken is not None and taken.n:
            logger.info("Master gevent loop lag during the run: p99 %.1f ms, max %.1f ms (%d samples)",
                        taken.p99(), taken.max_ms, taken.n)
