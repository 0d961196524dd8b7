"""Baseline against candidate, per endpoint and in total: requests/s, fail ratio, p50/p95/p99 and
average side by side with the change in %, and thresholds that decide whether the candidate passes.

    --max-regression p95=10%   the candidate's p95 may be at most 10 % above the baseline's
    --max-regression rps=5%    its requests/s at most 5 % below
    --max-fail-ratio 1%        its fail ratio at most 1 %

Thresholds apply to every endpoint present in both runs and to the total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .summary import EndpointSummary

# metric -> (how to read it from a summary, True when higher is worse)
METRICS = {
    "rps": (lambda s: s.rps, False),
    "fail_ratio": (lambda s: s.fail_ratio, True),
    "avg": (lambda s: s.avg_ms, True),
    "p50": (lambda s: s.pct(0.50), True),
    "p95": (lambda s: s.pct(0.95), True),
    "p99": (lambda s: s.pct(0.99), True),
}
REGRESSION_METRICS = ("rps", "avg", "p50", "p95", "p99")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")


class ThresholdError(ValueError):
    """A threshold that cannot be read; the message names the option and what was expected."""


def parse_percent(option: str, text: str) -> float:
    match = PERCENT.match(text)
    if not match:
        raise ThresholdError(f"{option}: got {text!r}; expected a percentage such as 10% or 2.5%")
    return float(match.group(1)) / 100


def parse_regressions(values: list[str]) -> dict[str, float]:
    limits = {}
    for value in values:
        metric, sep, percent = value.partition("=")
        if not sep or metric.strip() not in REGRESSION_METRICS:
            raise ThresholdError(f"--max-regression: got {value!r}; expected METRIC=PERCENT with METRIC one of "
                                 f"{', '.join(REGRESSION_METRICS)}, e.g. p95=10%")
        if not PERCENT.match(percent):
            raise ThresholdError(f"--max-regression: got {value!r}; expected {metric.strip()}=PERCENT with a "
                                 "percentage such as 10% or 2.5%")
        limits[metric.strip()] = parse_percent("--max-regression", percent)
    return limits


@dataclass
class Row:
    name: str
    method: str
    baseline: EndpointSummary | None
    candidate: EndpointSummary | None

    def value(self, side: EndpointSummary | None, metric: str) -> float | None:
        return None if side is None else METRICS[metric][0](side)

    def change(self, metric: str) -> float | None:
        """Relative change candidate vs baseline (0.1 = +10 %), None when either side has no value."""
        before, after = self.value(self.baseline, metric), self.value(self.candidate, metric)
        if before is None or after is None:
            return None
        if before == 0:
            return 0.0 if after == 0 else float("inf")
        return (after - before) / before


@dataclass
class Breach:
    row: Row
    metric: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.row.method} {self.row.name}".strip()
        return f"{where}: {self.metric} {self.detail}"


def pair(baseline: list[EndpointSummary], candidate: list[EndpointSummary]) -> list[Row]:
    """Rows in baseline order (total last), endpoints only in the candidate after them."""
    cand = {(s.name, s.method): s for s in candidate}
    rows = [Row(s.name, s.method, s, cand.pop((s.name, s.method), None)) for s in baseline if not s.is_total]
    rows += [Row(s.name, s.method, None, s) for key, s in cand.items() if not s.is_total]
    totals = [s for s in baseline if s.is_total], [s for s in candidate if s.is_total]
    rows.append(Row("Aggregated", "", totals[0][0] if totals[0] else None, totals[1][0] if totals[1] else None))
    return rows


def breaches(rows: list[Row], max_regression: dict[str, float], max_fail_ratio: float | None) -> list[Breach]:
    found = []
    for row in rows:
        if row.candidate is None:
            continue
        if max_fail_ratio is not None and row.candidate.fail_ratio > max_fail_ratio:
            found.append(Breach(row, "fail_ratio", f"{row.candidate.fail_ratio:.2%} (limit {max_fail_ratio * 100:g}%)"))
        if row.baseline is None:
            continue
        for metric, limit in max_regression.items():
            change = row.change(metric)
            if change is None:
                continue
            worse = change if METRICS[metric][1] else -change
            if worse > limit:
                sign = "+" if METRICS[metric][1] else "-"
                found.append(Breach(row, metric, f"{change:+.1%} (limit {sign}{limit * 100:g}%)"))
    return found
