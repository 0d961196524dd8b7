"""Baseline against candidate, per endpoint and in total: requests/s, fail ratio, p50/p95/p99 and
average side by side with the change in %, and thresholds that decide whether the candidate passes.

    --max-regression p95=10%       the candidate's p95 may be at most 10 % above the baseline's
    --max-regression p95=10%,5ms   ... unless it is at most 5 ms above: both must be exceeded to fail,
                                   so a 0.08 -> 0.09 ms average (+12 %) does not fail a CI run
    --max-regression rps=5%        its requests/s at most 5 % below (a floor is written 50/s)
    --max-fail-ratio 1%            its fail ratio at most 1 %

Thresholds apply to every endpoint present in both runs and to the total.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .columns import Column, layout
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
UNIT = {"rps": "/s", "avg": "ms", "p50": "ms", "p95": "ms", "p99": "ms"}
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")
AMOUNT = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*%)?\s*(?:,\s*(\d+(?:\.\d+)?)\s*(ms|/s))?\s*$")


class ThresholdError(ValueError):
    """A threshold that cannot be read; the message names the option and what was expected."""


@dataclass(frozen=True)
class Limit:
    """How much worse the candidate may be: relative (0.1 = 10 %) and, optionally, an absolute
    floor in the metric's unit that the change must exceed too."""

    relative: float
    floor: float = 0.0

    def text(self, metric: str) -> str:
        sign = "+" if METRICS[metric][1] else "-"
        floor = f" and {sign}{self.floor:g}{UNIT[metric]}" if self.floor else ""
        return f"{sign}{self.relative * 100:g}%{floor}"


def parse_percent(option: str, text: str) -> float:
    match = PERCENT.match(text)
    if not match:
        raise ThresholdError(f"{option}: got {text!r}; expected a percentage such as 10% or 2.5%")
    return float(match.group(1)) / 100


def parse_regressions(values: list[str]) -> dict[str, Limit]:
    limits = {}
    for value in values:
        metric, sep, amount = value.partition("=")
        metric = metric.strip()
        if not sep or metric not in REGRESSION_METRICS:
            raise ThresholdError(f"--max-regression: got {value!r}; expected METRIC=PERCENT[,FLOOR] with METRIC one "
                                 f"of {', '.join(REGRESSION_METRICS)}, e.g. p95=10% or p95=10%,5ms")
        match = AMOUNT.match(amount)
        unit = UNIT[metric]
        if not match or match.group(1) is None or (match.group(3) and match.group(3) != unit):
            raise ThresholdError(f"--max-regression: got {value!r}; expected {metric}=PERCENT or "
                                 f"{metric}=PERCENT,FLOOR with a percentage such as 10% and a floor in {unit} "
                                 f"such as {'5ms' if unit == 'ms' else '50/s'}")
        limits[metric] = Limit(float(match.group(1)) / 100, float(match.group(2) or 0))
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


def breaches(rows: list[Row], max_regression: dict[str, Limit], max_fail_ratio: float | None) -> list[Breach]:
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
            higher_is_worse = METRICS[metric][1]
            worse = change if higher_is_worse else -change
            before, after = row.value(row.baseline, metric), row.value(row.candidate, metric)
            worse_by = (after - before) if higher_is_worse else (before - after)
            if worse > limit.relative and worse_by > limit.floor:
                found.append(Breach(row, metric, f"{change_text(change)}, {after - before:+.2f}{UNIT[metric]} "
                                                 f"(limit {limit.text(metric)})"))
    return found


COMPARED = ("rps", "fail_ratio", "p50", "p95", "p99", "avg")
TITLES = {
    "rps": "requests/s (Locust's: requests over the time users ran; lower is worse)",
    "fail_ratio": "fail ratio (failures / requests; higher is worse)",
    "p50": "p50 response time, ms (over the whole run; higher is worse)",
    "p95": "p95 response time, ms (over the whole run; higher is worse)",
    "p99": "p99 response time, ms (over the whole run; higher is worse)",
    "avg": "average response time, ms (over the whole run; higher is worse)",
}
SPEC = {"rps": ".1f", "fail_ratio": ".2%", "avg": ".2f"}
COMPARE_COLUMNS = [Column("TYPE"), Column("NAME", shrink=True), Column("BASELINE", right=True),
                   Column("CANDIDATE", right=True), Column("CHANGE", right=True), Column("", optional=True)]


def change_text(change: float | None) -> str:
    if change is None:
        return "—"
    return "new" if math.isinf(change) else f"{change:+.1%}"


def figure(value: float | None, metric: str) -> str:
    return "—" if value is None else format(value, SPEC.get(metric, "d"))


def comparison_text(baseline: str, candidate: str, rows: list[Row], limits: dict[str, Limit],
                    max_fail_ratio: float | None, found: list[Breach], width: int) -> str:
    """One table per metric (as benchstat prints), each fitting `width` columns; breached rows are
    marked, and the breaches and the verdict follow."""
    breached = {(id(b.row), b.metric) for b in found}
    lines = [f"baseline   {baseline}", f"candidate  {candidate}"]
    for metric in COMPARED:
        limit = (limits[metric].text(metric) if metric in limits
                 else f"{max_fail_ratio * 100:g}% at most" if metric == "fail_ratio" and max_fail_ratio is not None
                 else "")
        lines += ["", TITLES[metric] + (f"; limit {limit}" if limit else "")]
        table = [[r.method, r.name, figure(r.value(r.baseline, metric), metric),
                  figure(r.value(r.candidate, metric), metric), change_text(r.change(metric)),
                  "BREACH" if (id(r), metric) in breached else ""] for r in rows]
        lines.append(layout(COMPARE_COLUMNS, table, width))
    lines.append("")
    lines += [f"breached {b}" for b in found] or ["no threshold breached"]
    return "\n".join(lines)
