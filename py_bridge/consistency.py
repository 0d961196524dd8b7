"""Does a worker message agree with itself? The schemas (messages.py) check each field on its own;
here every field the master reads is checked against the others of the same message: the users a
`spawning_complete` or a report names against their classes, a report's histograms, per-second
counts, extremes and totals against its counts, its stats_total against its entries, its errors
against its failures, a heartbeat's state, a `logs` message's worker. Pure: the master rejects a
message with a problem (inbound.py), `verify-protocol` fails the row that names it (contract.py).

Each problem is a Problem(rule, text): `rule` is the kind (the master logs each kind once), `text`
says what disagrees with what, e.g. `spawning_complete: user_count 3 but user_classes_count adds up
to 2 (the master counts users from the classes)`. boomer's handled quirks (messages.QUIRKS) are not
problems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .histogram import bucket


@dataclass(frozen=True)
class Problem:
    rule: str
    text: str

    def __str__(self) -> str:
        return self.text


def _num(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _entries(data: Mapping) -> list[dict]:
    return [e for e in data.get("stats") or [] if isinstance(e, Mapping)]


def _users(where: str, data: Any, count_key: str) -> list[Problem]:
    classes = data.get("user_classes_count") if isinstance(data, Mapping) else None
    if not isinstance(classes, Mapping) or count_key not in data:
        return []
    summed = sum(_num(v) for v in classes.values())
    if _num(data.get(count_key)) != summed:
        return [Problem("user count", f"{where}: {count_key} {data.get(count_key)} but user_classes_count adds up "
                                      f"to {summed} (the master counts users from the classes)")]
    return []


# --- stats reports --------------------------------------------------------------------------------
def bucket_problems(where: str, data: Mapping) -> list[Problem]:
    """Response-time buckets off Locust's grid: they would not merge with other workers' buckets."""
    return [Problem("bucket", f"{e.get('name')}: response_times bucket {k} is not on Locust's grid "
                              f"(would be {bucket(k)})")
            for e in [*_entries(data), data.get("stats_total") or {}]
            for k in (e.get("response_times") or {}) if isinstance(k, int) and bucket(k) != k]


def arithmetic_problems(where: str, data: Mapping) -> list[Problem]:
    """Each entry's histogram and per-second counts add up to its requests and failures; the
    entries add up to stats_total."""
    found = []
    entries = _entries(data)
    total = data.get("stats_total") or {}
    for e in [*entries, total]:
        n, fails = e.get("num_requests") or 0, e.get("num_failures") or 0
        timed = sum((e.get("response_times") or {}).values())
        per_sec = sum((e.get("num_reqs_per_sec") or {}).values())
        fail_sec = sum((e.get("num_fail_per_sec") or {}).values())
        at = f"{where}, {e.get('name')!r}"
        if timed != n - (e.get("num_none_requests") or 0):
            found.append(Problem("histogram count", f"{at}: response_times add up to {timed}, num_requests is {n}"))
        if per_sec != n:
            found.append(Problem("requests per second", f"{at}: num_reqs_per_sec adds up to {per_sec}, "
                                                        f"num_requests is {n}"))
        if fail_sec != fails:
            found.append(Problem("failures per second", f"{at}: num_fail_per_sec adds up to {fail_sec}, "
                                                        f"num_failures is {fails}"))
        if fails > n:
            found.append(Problem("failures above requests", f"{at}: {fails} failures out of {n} requests"))
    for key in ("num_requests", "num_failures"):
        summed = sum(e.get(key) or 0 for e in entries)
        if summed != (total.get(key) or 0):
            found.append(Problem(f"total {key}", f"{where}: entries' {key} add up to {summed}, "
                                                 f"stats_total says {total.get(key)}"))
    return found


def _zero_min_forgotten(e: Mapping) -> bool:
    """boomer's quirk (a handled deviation): after a 0 ms response the next one replaces it as the
    minimum, so the minimum is above the histogram's 0 ms bucket."""
    return bool((e.get("response_times") or {}).get(0)) and _num(e.get("min_response_time")) > 0


def _entry_agreement(at: str, e: Mapping) -> list[Problem]:
    """What the master relies on within one entry: the minimum, average and maximum in order, the
    last request in the newest second counted, the entry started before its last request."""
    found = []
    n = _num(e.get("num_requests")) - _num(e.get("num_none_requests"))
    low, high, total = e.get("min_response_time"), _num(e.get("max_response_time")), _num(e.get("total_response_time"))
    if n > 0 and low is not None and not _zero_min_forgotten(e):  # that quirk is a handled deviation
        slack = 1e-6 * max(1.0, total)
        if _num(low) > high:
            found.append(Problem("min above max", f"{at}: min_response_time {low} is above max_response_time {high}"))
        elif not _num(low) * n - slack <= total <= high * n + slack:
            found.append(Problem("total response time", f"{at}: total_response_time {total} is outside {n} requests "
                                                        f"between min {low} and max {high}"))
    if n <= 0 and (total or high):
        found.append(Problem("times without requests", f"{at}: total_response_time {total} and max_response_time "
                                                       f"{high} without a timed request"))
    seconds = [int(k) for k, v in (e.get("num_reqs_per_sec") or {}).items() if isinstance(k, int) and v]
    last = e.get("last_request_timestamp")
    if seconds and isinstance(last, (int, float)) and int(last) != max(seconds):
        found.append(Problem("last request", f"{at}: last_request_timestamp {last} is not in the newest second "
                                             f"counted, {max(seconds)}"))
    if seconds and last is None:
        found.append(Problem("last request", f"{at}: requests counted per second but no last_request_timestamp"))
    start = e.get("start_time")
    if isinstance(last, (int, float)) and isinstance(start, (int, float)) and start > last + 1:
        found.append(Problem("start time", f"{at}: start_time {start} is after last_request_timestamp {last}"))
    return found


def _total_agreement(where: str, entries: list[dict], total: Mapping) -> list[Problem]:
    """stats_total is the entries merged: sums, extremes and histograms."""
    found = []
    for key in ("total_response_time", "total_content_length"):
        summed = sum(_num(e.get(key)) for e in entries)
        if abs(summed - _num(total.get(key))) > 1e-6 * max(1.0, summed):
            found.append(Problem(f"total {key}", f"{where}: entries' {key} add up to {summed}, "
                                                 f"stats_total says {total.get(key)}"))
    timed = [e for e in entries if _num(e.get("num_requests")) - _num(e.get("num_none_requests")) > 0]
    if timed:
        if max(_num(e.get("max_response_time")) for e in timed) != _num(total.get("max_response_time")):
            found.append(Problem("total max", f"{where}: stats_total max_response_time "
                                              f"{total.get('max_response_time')} is not the entries' largest"))
        lows = [_num(e.get("min_response_time")) for e in timed if e.get("min_response_time") is not None]
        forgotten = _zero_min_forgotten(total) or any(_zero_min_forgotten(e) for e in timed)
        if lows and total.get("min_response_time") is not None and not forgotten \
                and min(lows) != _num(total.get("min_response_time")):
            found.append(Problem("total min", f"{where}: stats_total min_response_time "
                                              f"{total.get('min_response_time')} is not the entries' smallest"))
    # Per-second counts are left out: Locust's workers read the clock for the total apart from the
    # entry, so a request at a second's edge may count in neighbouring seconds (their sums agree).
    merged: dict = defaultdict(int)
    for e in entries:
        for k, v in (e.get("response_times") or {}).items():
            merged[k] += _num(v)
    if {k: v for k, v in merged.items() if v} != {k: v for k, v in (total.get("response_times") or {}).items() if v}:
        found.append(Problem("total histogram", f"{where}: stats_total response_times is not the entries' "
                                                "histograms merged"))
    return found


def agreement_problems(where: str, data: Mapping) -> list[Problem]:
    """Users by class, each endpoint once, each entry in order, stats_total the entries merged."""
    found = _users(where, data, "user_count")
    entries = _entries(data)
    total = data.get("stats_total") or {}
    keys = [(e.get("name"), e.get("method")) for e in entries]
    if len(keys) != len(set(keys)):
        found.append(Problem("endpoint twice", f"{where}: an endpoint appears twice in stats (the master would "
                                               "count it twice)"))
    for e in [*entries, total]:
        found += _entry_agreement(f"{where}, {e.get('name')!r}", e)
    return found + _total_agreement(where, entries, total)


def error_problems(where: str, data: Mapping) -> list[Problem]:
    """Every failure has one error occurrence, under an endpoint of the report."""
    found = []
    occurrences: dict[tuple, int] = defaultdict(int)
    for err in (data.get("errors") or {}).values():
        if isinstance(err, Mapping):
            occurrences[(err.get("method"), err.get("name"))] += err.get("occurrences") or 0
    named = set()
    for e in _entries(data):
        key = (e.get("method"), e.get("name"))
        named.add(key)
        if (e.get("num_failures") or 0) != occurrences.get(key, 0):
            found.append(Problem("error occurrences", f"{where}, {e.get('name')!r}: {e.get('num_failures')} failures "
                                                      f"but {occurrences.get(key, 0)} error occurrences"))
    for method, name in sorted(set(occurrences) - named, key=str):
        found.append(Problem("error without entry", f"{where}: errors of {method} {name!r}, which has no stats "
                                                    "entry"))
    return found


def report_problems(where: str, data: Mapping) -> list[Problem]:
    return [*bucket_problems(where, data), *arithmetic_problems(where, data), *agreement_problems(where, data),
            *error_problems(where, data)]


# --- every message the master reads ------------------------------------------------------------
def message_problems(msg_type: str, data: Any, node_id: str) -> list[Problem]:
    """The problems of a worker->master message that passed its schema, sent by node_id."""
    if not isinstance(data, Mapping):
        return []
    if msg_type == "stats":
        # A report's user_count is boomer's users at the moment it reports, its user_classes_count
        # what the master last asked for: they differ while users start or stop, and the master
        # reads only the classes (verify-protocol still compares them, around settled spawns).
        return [p for p in report_problems("stats", data) if p.rule != "user count"]
    if msg_type == "spawning_complete":
        found = _users(msg_type, data, "user_count") + _users(msg_type, data, "count")
        if "user_count" in data and "count" in data and data["user_count"] != data["count"]:
            found.append(Problem("user count", f"spawning_complete: user_count {data['user_count']} but count "
                                               f"{data['count']}"))
        return found
    if msg_type == "heartbeat" and data.get("state") == "missing":
        return [Problem("state", "heartbeat: state: got 'missing'; only the master marks a worker missing")]
    if msg_type == "logs" and data.get("worker_id") != node_id:
        return [Problem("worker_id", f"logs: worker_id {data.get('worker_id')!r} is not the sender, {node_id!r}")]
    return []
