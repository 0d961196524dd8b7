"""Response-time histograms as Locust keeps them: the bucket rule (exact below 100 ms, then 2
significant digits), merging across workers and intervals, and percentiles computed exactly as
Locust computes them. Pure functions on dicts of bucket (ms) -> count."""

from __future__ import annotations

from collections.abc import Mapping


def bucket(ms: float) -> int:
    """The response-time bucket Locust files a time under: exact below 100 ms, then 2 significant
    digits. Workers must report response_times on this grid for the master's merge to be right."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def merge(into: dict[int, int], other: Mapping[int, int]) -> dict[int, int]:
    for ms, count in other.items():
        into[ms] = into.get(ms, 0) + count
    return into


def total(hist: Mapping[int, int]) -> int:
    return sum(hist.values())


def percentile(hist: Mapping[int, int], q: float, count: int | None = None) -> int | None:
    """The response time that a fraction q of the requests finished within, walking the buckets
    from the slowest like locust.stats.calculate_response_time_percentile; None when empty."""
    n = total(hist) if count is None else count
    if not n:
        return None
    allowed_above = int(n * q)
    seen = 0
    for ms in sorted(hist, reverse=True):
        seen += hist[ms]
        if n - seen <= allowed_above:
            return ms
    return 0
