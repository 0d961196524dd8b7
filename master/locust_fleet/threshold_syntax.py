"""The threshold expression language (`--threshold`, docs/thresholds.md): text in, value objects out.

    [ [METHOD] NAME ":" ] METRIC [ "[" WINDOW "]" ] OP NUMBER [UNIT] [ "abort" [ "after" DURATION ] ]

    fail_ratio<1%     p95<500ms     rps>=1000     /login: p99<1s     POST /login: fail_ratio<0.5%
    p95[1m]<800ms     fail_ratio<10% abort after 10s     checks>=99%     not_started==0

Pure: `parse` returns a Threshold or raises ThresholdError with a message naming what is wrong and
what was expected; `parse_all` collects every mistake of a list at once. Limits are kept in the
metric's base unit (milliseconds, a ratio from 0 to 1, a count, requests per second).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

OPERATORS = ("<=", ">=", "==", "!=", "<", ">")  # longest first, so "<=" is not read as "<"
TIME, RATIO, COUNT, RATE, USERS, CHECKS = "time", "ratio", "count", "rate", "users", "checks"
# metric name -> kind; percentiles (pN, p(N)) are of kind TIME too. not_started counts the open
# model's arrivals a worker did not start (its ARRIVAL rows); checks is the pass ratio of the
# scenario's non-fatal checks (checks.py), which are counted beside the requests, not in them.
NAMED_METRICS = {"fail_ratio": RATIO, "failures": COUNT, "requests": COUNT, "not_started": COUNT, "rps": RATE,
                 "avg": TIME, "min": TIME, "max": TIME, "med": TIME, "users": USERS, "checks": CHECKS}
EXPECTED_METRICS = ("fail_ratio, failures, requests, not_started, rps, avg, min, max, med, users, checks or a "
                    "percentile such as p50, p95, p99.9 (also p(95))")
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MIN_WINDOW_S = 3.0  # workers report every 3 s: a shorter window would hold one report at most
NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
PERCENTILE = re.compile(r"p(?:(?P<bare>\d+(?:\.\d+)?)|\(\s*(?P<k6>\d+(?:\.\d+)?)\s*\))$")
METRIC_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?:\([^)]*\))?")
METHOD = re.compile(r"[A-Z]+$")
UNIT = re.compile(r"(ms|s|%|/s)(?![A-Za-z0-9_])")
EXPECTED_UNITS = {TIME: "ms or s (none: ms)", RATIO: "% or none (a ratio from 0 to 1)", RATE: "/s or none",
                  COUNT: "a plain number", USERS: "a plain number", CHECKS: "% or none (a ratio from 0 to 1)"}
AGGREGATED = "Aggregated"  # Locust's name of the total


class ThresholdError(ValueError):
    """A malformed threshold; the message is meant for the user as is."""


@dataclass(frozen=True)
class Endpoint:
    """Which requests a threshold is about: one Locust name, of one method or of all ("")."""

    name: str
    method: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.name}" if self.method else self.name


@dataclass(frozen=True)
class Metric:
    name: str  # as documented: fail_ratio, p95, p99.9, ...
    kind: str  # TIME, RATIO, COUNT, RATE, USERS or CHECKS
    quantile: float | None = None  # percentiles only: 0.95 for p95


@dataclass(frozen=True)
class Threshold:
    text: str  # as given (trimmed): its name in the summary, the JUnit file and the run record
    metric: Metric
    op: str
    limit: float  # in the metric's base unit: ms, a ratio, a count, requests per second, users
    endpoint: Endpoint | None = None  # None: every request (Locust's Aggregated row)
    window_s: float | None = None  # None: the whole run
    abort: bool = False
    abort_after_s: float = 0.0  # an abort waits this long after the test's start

    def holds(self, value: float) -> bool:
        return {"<": value < self.limit, "<=": value <= self.limit, ">": value > self.limit,
                ">=": value >= self.limit, "==": value == self.limit, "!=": value != self.limit}[self.op]


def format_value(metric: Metric, value: float) -> str:
    """A figure of this metric for people: 312 ms, 1.25 %, 1043.70/s, 12."""
    if metric.kind == TIME:
        return f"{value:.2f} ms" if metric.name == "avg" and value != int(value) else f"{value:.0f} ms"
    if metric.kind in (RATIO, CHECKS):
        return f"{value * 100:.2f}%"
    if metric.kind == RATE:
        return f"{value:.2f}/s"
    return f"{value:.0f}" if value == int(value) else f"{value:g}"


def format_limit(threshold: Threshold) -> str:
    """The limit as it reads: < 500 ms, < 1%, >= 1000/s."""
    limit = threshold.limit
    metric = threshold.metric
    if metric.kind == TIME:
        text = f"{limit:g} ms"
    elif metric.kind in (RATIO, CHECKS):
        text = f"{limit * 100:g}%"
    elif metric.kind == RATE:
        text = f"{limit:g}/s"
    else:
        text = f"{limit:g}"
    return f"{threshold.op} {text}"


def first_word(text: str) -> str:
    return text.split()[0] if text.split() else ""


def found(text: str) -> str:
    return repr(first_word(text)) if text.strip() else "nothing"


def parse_duration(text: str) -> float | None:
    """Seconds of 10s, 1.5m, 250ms, 2h; None when it is not one."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)", text.strip())
    return float(match.group(1)) * DURATION_UNITS[match.group(2)] if match else None


def parse_metric(token: str, fail) -> Metric:
    if token in NAMED_METRICS:
        return Metric(token, NAMED_METRICS[token])
    match = PERCENTILE.fullmatch(token)
    if not match:
        raise fail(f"unknown metric {token!r}; expected {EXPECTED_METRICS}")
    number = match.group("bare") or match.group("k6")
    percent = Decimal(number)
    if not 0 < percent <= 100:
        raise fail(f"percentile {token!r} is out of range; expected one above p0 and at most p100")
    name = f"p{number}"
    return Metric(name, TIME, float(Decimal(number) / 100))  # 0.999 exactly as Locust writes it


def parse_limit(metric: Metric, number: str, unit: str, fail) -> float:
    value = float(number)
    if metric.kind == TIME:
        if unit not in ("", "ms", "s"):
            raise fail(f"{unit!r} is not a unit of {metric.name}; expected ms or s (none: ms)")
        return value * 1000 if unit == "s" else value
    if metric.kind in (RATIO, CHECKS):
        if unit not in ("", "%"):
            raise fail(f"{unit!r} is not a unit of {metric.name}; expected % or none (a ratio from 0 to 1)")
        ratio = value / 100 if unit == "%" else value
        if ratio > 1:
            raise fail(f"{metric.name} limit {number}{unit} is above 100%; expected a ratio from 0 to 1 or a "
                       "percentage from 0% to 100%")
        return ratio
    if metric.kind == RATE:
        if unit not in ("", "/s"):
            raise fail(f"{unit!r} is not a unit of rps; expected /s or none")
        return value
    if unit:
        raise fail(f"{unit!r} is not a unit of {metric.name}; expected a plain number")
    return value


def split_endpoint(text: str, fail) -> tuple[Endpoint | None, str]:
    """The endpoint before the last ':' (names may hold colons; expressions never do)."""
    if ":" not in text:
        return None, text
    selector, _, rest = text.rpartition(":")
    selector = selector.strip()
    if not selector:
        raise fail("the endpoint before ':' is empty; expected NAME: or METHOD NAME: before the metric")
    first, _, remainder = selector.partition(" ")
    remainder = remainder.strip()
    if remainder and METHOD.match(first):
        return Endpoint(remainder, first), rest
    if selector == AGGREGATED:
        return None, rest
    return Endpoint(selector), rest


def parse(text: str, option: str = "--threshold") -> Threshold:
    """One threshold expression; raises ThresholdError naming the option, the text and what is wrong."""
    given = text.strip()

    def fail(problem: str) -> ThresholdError:
        return ThresholdError(f"{option}: got {given!r}; {problem}")

    if given and not given.replace(";", "").strip():
        raise ThresholdError(f"{option}: got {given!r}; no expression between its ';'; expected an expression such "
                             "as p95<500ms or fail_ratio<1%")
    if not given:
        raise ThresholdError(f"{option}: empty; expected an expression such as p95<500ms or fail_ratio<1%")
    endpoint, rest = split_endpoint(given, fail)
    rest = rest.strip()
    token = METRIC_TOKEN.match(rest)
    if not token:
        raise fail(f"expected a metric first: {EXPECTED_METRICS}")
    metric = parse_metric(token.group(0), fail)
    if metric.kind == USERS and endpoint is not None:
        raise fail(f"users counts the whole test's users, not an endpoint's; remove {endpoint.label + ':'!r}")
    if metric.name == "not_started" and endpoint is not None and endpoint.method:
        raise fail(f"not_started counts a task's arrivals not started (Locust's ARRIVAL rows under the task's "
                   f"name); expected the name alone: {endpoint.name + ':'!r}")
    rest = rest[token.end():].lstrip()

    window_s = None
    if rest.startswith("["):
        closing = rest.find("]")
        if closing < 0:
            raise fail("the window's '[' is never closed; expected e.g. p95[1m]<800ms")
        window_text = rest[1:closing]
        window_s = parse_duration(window_text)
        if window_s is None or "ms" in window_text:
            raise fail(f"window [{window_text}] is not a duration; expected seconds, minutes or hours "
                       "such as [30s], [1m], [1h]")
        if window_s < MIN_WINDOW_S:
            raise fail(f"window [{window_text}] is shorter than 3s, the workers' report interval; expected "
                       "[3s] or longer")
        if metric.kind == CHECKS:
            raise fail(f"checks is judged over the whole run (the workers count checks apart from their "
                       f"reports); remove [{window_text}]")
        rest = rest[closing + 1:].lstrip()

    op = next((o for o in OPERATORS if rest.startswith(o)), None)
    if op is None or rest.startswith(("===", "!==", "<>")):
        raise fail(f"expected an operator (<, <=, >, >=, == or !=) after {metric.name}, found {found(rest)}")
    rest = rest[len(op):].lstrip()

    number = NUMBER.match(rest)
    if not number or rest[number.end():].startswith((".", ",", "e", "E")):
        raise fail(f"expected a number after {op!r} such as 500 or 0.5, found {found(rest)}")
    rest = rest[number.end():].lstrip()

    unit_match = UNIT.match(rest)
    unit = unit_match.group(1) if unit_match else ""
    if not unit and rest and first_word(rest) != "abort":
        raise fail(f"{first_word(rest)!r} is not a unit of {metric.name}; expected {EXPECTED_UNITS[metric.kind]}")
    limit = parse_limit(metric, number.group(0), unit, fail)
    rest = rest[len(unit):].strip()

    abort, abort_after_s = False, 0.0
    if rest:
        words = rest.split(None, 2)
        if words[0] != "abort":
            raise fail(f"unexpected {rest!r} after the limit; expected nothing, 'abort' or 'abort after 10s'")
        abort = True
        if len(words) > 1:
            if words[1] != "after":
                raise fail(f"unexpected {' '.join(words[1:])!r} after 'abort'; expected nothing or 'after 10s'")
            if len(words) < 3:
                raise fail("expected a duration after 'abort after', such as 10s or 1m")
            grace = parse_duration(words[2])
            if grace is None:
                raise fail(f"{words[2]!r} after 'abort after' is not a duration; expected e.g. 10s, 1m or 500ms")
            abort_after_s = grace
    return Threshold(given, metric, op, limit, endpoint, window_s, abort, abort_after_s)


def split_list(value: str) -> list[str]:
    """LOCUST_THRESHOLDS (and each --threshold) may hold several expressions separated by ';'; empty
    pieces (a trailing ';') are left out. A value with no expression at all (empty, or only ';', as
    `"$A;$B"` gives with both unset) is kept whole, to be refused rather than leave the run unjudged."""
    return [piece for piece in value.split(";") if piece.strip()] or [value]


def parse_all(values: list[str], option: str = "--threshold") -> tuple[tuple[Threshold, ...], list[str]]:
    """Every threshold of the option's values, and every mistake among them (messages), at once."""
    thresholds: list[Threshold] = []
    errors: list[str] = []
    for value in values:
        for piece in split_list(value):
            try:
                thresholds.append(parse(piece, option))
            except ThresholdError as e:
                errors.append(str(e))
    return tuple(thresholds), errors
