"""How late the master's gevent loop wakes a sleeping greenlet: the delay every greenlet of the
master sees (worker messages, heartbeats, the web UI, the exporter). A probe sleeps 100 ms in a
loop and records how much later than asked it woke up. Logged at each test stop and written with
the exporter's own figures, so that a master that cannot keep up is seen, not guessed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent

logger = logging.getLogger(__name__)
PERIOD = 0.1


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


class LoopLag:
    def __init__(self, per_interval: bool, clock: Callable[[], float] = time.perf_counter) -> None:
        """per_interval: keep samples for take_interval (only when the exporter takes them, or
        they would pile up for the master's whole life)."""
        self.clock = clock
        self.interval: list[float] | None = [] if per_interval else None  # since last taken
        self.run: list[float] | None = None  # while a test runs

    def probe(self) -> None:
        while True:
            self.record(self.measure())

    def measure(self) -> float:
        """Seconds one sleep of PERIOD overslept, by the clock."""
        started = self.clock()
        gevent.sleep(PERIOD)
        return max(self.clock() - started - PERIOD, 0.0)

    def record(self, lag: float) -> None:
        if self.interval is not None:
            self.interval.append(lag)
        if self.run is not None:
            self.run.append(lag)

    def take_interval(self) -> dict[str, float]:
        """p99 and max in ms since the last call (fields of locust_exporter)."""
        samples, self.interval = self.interval, []
        return {"loop_lag_p99_ms": p99(samples) * 1000, "loop_lag_max_ms": max(samples, default=0.0) * 1000}

    def on_test_start(self, **_kw) -> None:
        self.run = []

    def on_test_stop(self, **_kw) -> None:
        samples, self.run = self.run, None
        if samples:
            logger.info("Master gevent loop lag during the run: p99 %.1f ms, max %.1f ms (%d samples)",
                        p99(samples) * 1000, max(samples) * 1000, len(samples))
