"""Response-time histograms on Locust's buckets (exact below 100 ms, then 2 significant digits; the
rule is py_bridge.messages.bucket), mergeable across workers and intervals, with percentiles
computed exactly as Locust computes them. Pure functions on dicts of bucket (ms) -> count."""

from __future__ import annotations

from collections.abc import Mapping


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


def encode_histogram(hist: Mapping[int, int]) -> str:
    """Compact text for a string field: "0:3,12:40,110:2", buckets ascending, empty buckets left out."""
    return ",".join(f"{ms}:{count}" for ms, count in sorted(hist.items()) if count)


def decode_histogram(text: str) -> dict[int, int]:
    """Inverse of encode_histogram; raises ValueError naming the bad part."""
    hist: dict[int, int] = {}
    for part in filter(None, text.split(",")):
        ms, sep, count = part.partition(":")
        try:
            if not sep:
                raise ValueError
            hist[int(ms)] = hist.get(int(ms), 0) + int(count)
        except ValueError:
            raise ValueError(f"histogram: got {part!r}; expected MS:COUNT") from None
    return hist
