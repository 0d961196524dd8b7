"""Per-endpoint figures of a whole run, recomputed from its interval points: counts summed,
percentiles from the merged interval histograms (so they equal Locust's own), averages weighted
by the requests each interval's histogram holds. The rows of Locust's statistics table, and the inputs of a comparison."""

from __future__ import annotations

from dataclasses import dataclass, field

from py_bridge.histogram import merge, percentile

from ..model import AGGREGATED, METHOD, NAME, decode_histogram


@dataclass
class EndpointSummary:
    name: str
    method: str = ""
    requests: int = 0
    failures: int = 0
    total_ms: float = 0.0  # sum of avg_ms * histogram count over intervals = total response time
    min_ms: float | None = None
    max_ms: float = 0.0
    bytes: int = 0
    histogram: dict[int, int] = field(default_factory=dict)
    rate_s: float = 0.0  # the seconds rates are over: the time users ran, as Locust's requests/s

    def add(self, row: dict) -> None:
        self.requests += row.get("requests") or 0
        self.failures += row.get("failures") or 0
        # An interval's response times are those of the reports that arrived in it, its requests
        # those that happened in its seconds (docs/data-model.md): its average is weighted by the
        # requests its histogram holds.
        histogram = decode_histogram(row["histogram"]) if row.get("histogram") else {}
        timed = sum(histogram.values())
        self.total_ms += (row.get("avg_ms") or 0.0) * timed
        if row.get("min_ms") is not None and timed:
            self.min_ms = row["min_ms"] if self.min_ms is None else min(self.min_ms, row["min_ms"])
        self.max_ms = max(self.max_ms, row.get("max_ms") or 0.0)
        self.bytes += row.get("bytes") or 0
        merge(self.histogram, histogram)

    @property
    def avg_ms(self) -> float:
        timed = sum(self.histogram.values())
        return self.total_ms / timed if timed else 0.0

    @property
    def avg_bytes(self) -> float:
        return self.bytes / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.rate_s if self.rate_s else 0.0

    @property
    def fail_per_s(self) -> float:
        return self.failures / self.rate_s if self.rate_s else 0.0

    @property
    def fail_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def pct(self, q: float) -> int | None:
        return percentile(self.histogram, q)

    @property
    def is_total(self) -> bool:
        return self.name == AGGREGATED and not self.method


def summarise(request_rows: list[dict], rate_s: float) -> list[EndpointSummary]:
    """One summary per (name, method), sorted like Locust's table, the total last."""
    by_key: dict[tuple[str, str], EndpointSummary] = {}
    for row in request_rows:
        key = (row[NAME], row.get(METHOD) or "")
        by_key.setdefault(key, EndpointSummary(*key, rate_s=rate_s)).add(row)
    total = by_key.pop((AGGREGATED, ""), EndpointSummary(AGGREGATED, rate_s=rate_s))
    return [by_key[k] for k in sorted(by_key)] + [total]
