"""When this process could not run: a thread that looks at the clock every TICK seconds and notes
each time it woke much later than it asked to. Anything the process stamped in such a stretch
(a heartbeat received, say) was stamped late by up to that much, through no fault of the sender.

Locust's master judges heartbeats the same way: it counts a worker's missed heartbeats on its own
one-second ticks, so a master that could not run for a while counts nothing against its workers
for that while. The contract check (contract.py) discounts these stretches from heartbeat gaps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

TICK = 0.02  # seconds between looks at the clock
SLACK = 0.1  # waking up to this much past a tick is ordinary scheduling, not a stall


class StallClock:
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.stalls: list[tuple[float, float]] = []  # (from, to), seconds on `now`'s clock
        self.last: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall clock", daemon=True)

    def note(self, at: float) -> None:
        """One look at the clock: a look later than TICK + SLACK after the one before means the
        process could not run from when the tick was due until now."""
        if self.last is not None and at - self.last > TICK + SLACK:
            self.stalls.append((self.last + TICK, at))
        self.last = at

    def start(self) -> StallClock:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.note(self.now())
            if self._stop.wait(TICK):
                return


def stalled_within(stalls: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the stretch from start to end that fall in a stall."""
    return sum(max(0.0, min(end, to) - max(start, begun)) for begun, to in stalls)
