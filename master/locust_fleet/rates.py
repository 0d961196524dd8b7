"""Requests and failures placed in the second they happened, so rates over time follow the load.

Workers report every 3 s, and a report's counts cover the seconds since the previous one; binned by
arrival, an interval gets one or two reports depending on when they come, and a flat load charts as
a sawtooth. Each report entry also carries per-second counts keyed by the worker's clock
(`num_reqs_per_sec`, `num_fail_per_sec`); they are added here to the second they name, and an
interval's requests and failures are the sum of its seconds.

Every count lands in exactly one second, so the intervals still add up to the run's counts:
- a worker whose clock is off is corrected by its offset, measured as the smallest gap between a
  report's arrival (master clock) and the newest second it names;
- a second that names a time already handed out (a report later than the settle time, or a clock
  off by less than the correction notices) is added to the oldest second not handed out yet, and
  a second ahead of the master's clock to the current second;
- counts of an entry that its per-second counts do not account for land in the current second.

Pure: the caller passes the master's clock; the exporter holds intervals back for SETTLE_S before
it takes their seconds, since a second's last report comes up to one report interval later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

# Seconds after an interval's end before its seconds are taken: boomer and Locust report every
# 3 s, a second is complete one second after it began, and the report needs time to arrive.
SETTLE_S = 5.0

# A gap (arrival - newest second named) within this range is no clock offset: the report was taken
# during or just after that second, or the worker measured nothing in its last seconds.
NO_OFFSET = range(-1, 4)

TOTAL = ("total",)


def endpoint_key(name: str, method: str) -> tuple[str, str, str]:
    return ("endpoint", name, method)


def worker_key(worker_id: str) -> tuple[str, str]:
    return ("worker", worker_id)


class SecondBins:
    """Counts (requests, failures) per series key and whole second of the master's clock."""

    def __init__(self, open_from: float) -> None:
        self.open_from = math.floor(open_from)  # the oldest second not handed out yet
        self.seconds: dict[int, dict[tuple, list[int]]] = {}
        self.offsets: dict[str, int] = {}  # per worker: seconds to add to its clock

    def add_report(self, worker_id: str, data: Mapping[str, Any], arrived: float) -> None:
        now = math.floor(arrived)
        entries = [e for e in (data.get("stats") or []) if isinstance(e, Mapping)]
        total = data.get("stats_total") if isinstance(data.get("stats_total"), Mapping) else {}
        offset = self._offset(worker_id, [total, *entries], now)
        for entry in entries:
            self._add_entry(endpoint_key(entry.get("name"), entry.get("method")), entry, offset, now)
        self._add_entry(TOTAL, total, offset, now)
        self._add_entry(worker_key(worker_id), total, offset, now)

    def _offset(self, worker_id: str, entries: Iterable[Mapping[str, Any]], now: int) -> int:
        named = [int(s) for e in entries for s, n in (e.get("num_reqs_per_sec") or {}).items() if n]
        if not named:
            return self.offsets.get(worker_id, 0)
        gap = now - max(named)
        seen = self.offsets.get(worker_id)
        smallest = gap if seen is None or abs(gap) < abs(seen) else seen
        if smallest in NO_OFFSET:
            smallest = 0
        self.offsets[worker_id] = smallest
        return smallest

    def _add_entry(self, key: tuple, entry: Mapping[str, Any], offset: int, now: int) -> None:
        for field, index in (("num_reqs_per_sec", 0), ("num_fail_per_sec", 1)):
            per_second = entry.get(field) or {}
            counted = 0
            for second, n in per_second.items():
                if n:
                    self._put(key, int(second) + offset, index, n, now)
                    counted += n
            total = entry.get("num_requests" if index == 0 else "num_failures") or 0
            if total > counted:
                self._put(key, now, index, total - counted, now)

    def _put(self, key: tuple, second: int, index: int, n: int, now: int) -> None:
        second = min(max(second, self.open_from), max(now, self.open_from))
        counts = self.seconds.setdefault(second, {}).setdefault(key, [0, 0])
        counts[index] += n

    def take(self, end: float | None) -> dict[tuple, tuple[int, int]]:
        """Hands out the counts of every second before `end` (all of them when None), per key."""
        stop = math.inf if end is None else math.floor(end)
        out: dict[tuple, list[int]] = {}
        for second in [s for s in self.seconds if s < stop]:
            for key, (requests, failures) in self.seconds.pop(second).items():
                counts = out.setdefault(key, [0, 0])
                counts[0] += requests
                counts[1] += failures
        if end is not None:
            self.open_from = max(self.open_from, math.floor(end))
        return {key: (r, f) for key, (r, f) in out.items()}
