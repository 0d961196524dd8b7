"""The contract invariants, checked on a recorded conversation with a worker. Pure: a
Conversation (conversation.py) and what the target served in, one Result per invariant out."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass

from .conversation import Conversation
from .histogram import bucket
from .messages import QUIRKS, TO_MASTER, problems, quirks_in

PASS, FAIL, DEVIATION = "pass", "fail", "handled deviation"


@dataclass(frozen=True)
class Result:
    invariant: str
    status: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _result(name: str, failures: list[str], ok_detail: str) -> Result:
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return Result(name, FAIL, failures[0] + more)
    return Result(name, PASS, ok_detail)


def check(conv: Conversation, served: int, exit_code: int | None) -> list[Result]:
    results = [Result(f"step: {s.name}", PASS if s.ok else FAIL, s.detail or "completed") for s in conv.steps]
    frames = conv.received()
    stats = [f.data for f in conv.received("stats") if isinstance(f.data, dict)]

    first = frames[0] if frames else None
    results.append(_result("handshake", [] if first is not None and first.type == "client_ready" else
                           [f"first message was {first.type if first else 'nothing'}, expected client_ready"],
                           "client_ready first, answered by ack"))

    undecodable = conv.undecodable()
    invalid = [str(p) for f in frames for p in problems(f.type, f.data, TO_MASTER)]
    results.append(_result("messages: decode and validate", undecodable + invalid,
                           f"{len(frames)} messages, all valid"))

    beats = conv.received_at("heartbeat")
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    cadence = []
    if len(beats) < 3:
        cadence.append(f"only {len(beats)} heartbeats")
    elif not 0.5 <= statistics.median(gaps) <= 2.0 or max(gaps) > 3.0:
        cadence.append(f"heartbeat gaps median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s; "
                       "expected about 1 s and never above 3 s (Locust marks a worker missing then)")
    results.append(_result("heartbeat cadence", cadence, f"{len(beats)} heartbeats, about 1 s apart"))

    results.append(_spawn_accounting(conv))
    results += check_reports(stats)

    reported = sum((d.get("stats_total") or {}).get("num_requests") or 0 for d in stats)
    results.append(_result("counts equal what the target served",
                           [] if reported == served else
                           [f"reports add up to {reported} requests, the target served {served}"],
                           f"{reported} requests reported and served"))

    stop_ok = any(s.name == "stop" and s.ok for s in conv.steps)
    results.append(Result("stop: client_stopped, then client_ready", PASS if stop_ok else FAIL,
                          "as Locust's workers do" if stop_ok else "see step: stop"))
    results.append(Result("quit: exits with code 0", PASS if exit_code == 0 else FAIL,
                          "exited 0" if exit_code == 0 else f"exit code {exit_code} (None: still running)"))

    seen = {q.name: q for f in frames for q in quirks_in(f.type, f.data)}
    final = _final_report(conv)
    if final is not None:
        seen[final.name] = final
    for quirk in QUIRKS:
        if quirk.name in seen:
            results.append(Result(f"quirk: {quirk.name}", DEVIATION, f"{quirk.detail}; handled: {quirk.handled_by}"))
    return results


def check_reports(stats: list[dict]) -> list[Result]:
    """The rows about the stats reports' contents, each report on its own and all of them together."""
    return [_buckets(stats), _arithmetic(stats), _consistency(stats), _errors(stats)]


def _spawn_accounting(conv: Conversation) -> Result:
    failures = []
    completes = conv.received("spawning_complete")
    for (at, counts), done in zip(conv.spawns, completes):
        got = done.data.get("user_classes_count") if isinstance(done.data, dict) else None
        if got != counts:
            failures.append(f"spawn of {counts} answered with user_classes_count {got}")
        later = [f.data for f in conv.received("stats", since=at) if isinstance(f.data, dict)]
        if later and all(d.get("user_count") != sum(counts.values()) for d in later[:3]):
            failures.append(f"after spawning {sum(counts.values())} users the reports say "
                            f"{[d.get('user_count') for d in later[:3]]}")
    if len(completes) < len(conv.spawns):
        failures.append(f"{len(conv.spawns)} spawns, {len(completes)} spawning_complete")
    return _result("spawn accounting (up, down, zero, again)", failures,
                   f"{len(conv.spawns)} spawns, each completed with the right users")


def _buckets(stats: list[dict]) -> Result:
    failures = [f"{e.get('name')}: response_times bucket {k} is not on Locust's grid (would be {bucket(k)})"
                for d in stats for e in [*(d.get("stats") or []), d.get("stats_total") or {}]
                for k in (e.get("response_times") or {}) if isinstance(k, int) and bucket(k) != k]
    return _result("stats: buckets on Locust's grid", failures, "exact below 100 ms, then 2 significant digits")


def _arithmetic(stats: list[dict]) -> Result:
    failures = []
    for i, d in enumerate(stats):
        entries = [e for e in d.get("stats") or [] if isinstance(e, dict)]
        total = d.get("stats_total") or {}
        for e in [*entries, total]:
            n, fails = e.get("num_requests") or 0, e.get("num_failures") or 0
            timed = sum((e.get("response_times") or {}).values())
            per_sec = sum((e.get("num_reqs_per_sec") or {}).values())
            fail_sec = sum((e.get("num_fail_per_sec") or {}).values())
            where = f"report {i}, {e.get('name')!r}"
            if timed != n - (e.get("num_none_requests") or 0):
                failures.append(f"{where}: response_times add up to {timed}, num_requests is {n}")
            if per_sec != n:
                failures.append(f"{where}: num_reqs_per_sec adds up to {per_sec}, num_requests is {n}")
            if fail_sec != fails:
                failures.append(f"{where}: num_fail_per_sec adds up to {fail_sec}, num_failures is {fails}")
            if fails > n:
                failures.append(f"{where}: {fails} failures out of {n} requests")
        for key in ("num_requests", "num_failures"):
            if sum(e.get(key) or 0 for e in entries) != (total.get(key) or 0):
                failures.append(f"report {i}: entries' {key} add up to {sum(e.get(key) or 0 for e in entries)}, "
                                f"stats_total says {total.get(key)}")
    return _result("stats: arithmetic", failures, "histograms, per-second counts and totals add up")


def _num(value) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _zero_min_forgotten(e: dict) -> bool:
    """boomer's quirk (a handled deviation): after a 0 ms response the next one replaces it as the
    minimum, so the minimum is above the histogram's 0 ms bucket."""
    return bool((e.get("response_times") or {}).get(0)) and _num(e.get("min_response_time")) > 0


def _entry_consistency(where: str, e: dict) -> list[str]:
    """What the master relies on within one entry: the minimum, average and maximum in order, the
    last request in the newest second counted, the entry started before its last request."""
    failures = []
    n = _num(e.get("num_requests")) - _num(e.get("num_none_requests"))
    low, high, total = e.get("min_response_time"), _num(e.get("max_response_time")), _num(e.get("total_response_time"))
    if n > 0 and low is not None and not _zero_min_forgotten(e):  # that quirk is a handled deviation
        slack = 1e-6 * max(1.0, total)
        if _num(low) > high:
            failures.append(f"{where}: min_response_time {low} is above max_response_time {high}")
        elif not _num(low) * n - slack <= total <= high * n + slack:
            failures.append(f"{where}: total_response_time {total} is outside {n} requests between "
                            f"min {low} and max {high}")
    seconds = [int(k) for k, v in (e.get("num_reqs_per_sec") or {}).items() if isinstance(k, int) and v]
    last = e.get("last_request_timestamp")
    if seconds and isinstance(last, (int, float)) and int(last) != max(seconds):
        failures.append(f"{where}: last_request_timestamp {last} is not in the newest second counted, {max(seconds)}")
    if seconds and last is None:
        failures.append(f"{where}: requests counted per second but no last_request_timestamp")
    start = e.get("start_time")
    if isinstance(last, (int, float)) and isinstance(start, (int, float)) and start > last + 1:
        failures.append(f"{where}: start_time {start} is after last_request_timestamp {last}")
    return failures


def _total_consistency(where: str, entries: list[dict], total: dict) -> list[str]:
    """stats_total is the entries merged: sums, extremes, histograms and per-second counts."""
    failures = []
    for key in ("total_response_time", "total_content_length"):
        summed = sum(_num(e.get(key)) for e in entries)
        if abs(summed - _num(total.get(key))) > 1e-6 * max(1.0, summed):
            failures.append(f"{where}: entries' {key} add up to {summed}, stats_total says {total.get(key)}")
    timed = [e for e in entries if _num(e.get("num_requests")) - _num(e.get("num_none_requests")) > 0]
    if timed:
        if max(_num(e.get("max_response_time")) for e in timed) != _num(total.get("max_response_time")):
            failures.append(f"{where}: stats_total max_response_time {total.get('max_response_time')} is not the "
                            "entries' largest")
        lows = [_num(e.get("min_response_time")) for e in timed if e.get("min_response_time") is not None]
        forgotten = _zero_min_forgotten(total) or any(_zero_min_forgotten(e) for e in timed)
        if lows and total.get("min_response_time") is not None and not forgotten \
                and min(lows) != _num(total.get("min_response_time")):
            failures.append(f"{where}: stats_total min_response_time {total.get('min_response_time')} is not the "
                            "entries' smallest")
    # Per-second counts are left out: Locust's workers read the clock for the total apart from the
    # entry, so a request at a second's edge may count in neighbouring seconds (their sums agree).
    merged: dict = defaultdict(int)
    for e in entries:
        for k, v in (e.get("response_times") or {}).items():
            merged[k] += _num(v)
    if {k: v for k, v in merged.items() if v} != {k: v for k, v in (total.get("response_times") or {}).items() if v}:
        failures.append(f"{where}: stats_total response_times is not the entries' histograms merged")
    return failures


def _consistency(stats: list[dict]) -> Result:
    failures = []
    for i, d in enumerate(stats):
        classes = d.get("user_classes_count")
        if isinstance(classes, dict) and _num(d.get("user_count")) != sum(_num(v) for v in classes.values()):
            failures.append(f"report {i}: user_count {d.get('user_count')} but user_classes_count adds up to "
                            f"{sum(_num(v) for v in classes.values())} (the master counts users from the classes)")
        entries = [e for e in d.get("stats") or [] if isinstance(e, dict)]
        total = d.get("stats_total") or {}
        keys = [(e.get("name"), e.get("method")) for e in entries]
        if len(keys) != len(set(keys)):
            failures.append(f"report {i}: an endpoint appears twice in stats (the master would count it twice)")
        for e in [*entries, total]:
            failures += _entry_consistency(f"report {i}, {e.get('name')!r}", e)
        failures += _total_consistency(f"report {i}", entries, total)
    return _result("stats: each report agrees with itself", failures,
                   "min/avg/max in order, last request in the newest second, totals are the entries merged, "
                   "users by class")


def _errors(stats: list[dict]) -> Result:
    failures = []
    keys: dict[tuple, str] = {}  # over the whole conversation: (method, name, error) -> key
    texts: dict[str, tuple] = {}
    for i, d in enumerate(stats):
        occurrences: dict[tuple, int] = defaultdict(int)
        for err in (d.get("errors") or {}).values():
            if isinstance(err, dict):
                occurrences[(err.get("method"), err.get("name"))] += err.get("occurrences") or 0
        named = set()
        for e in d.get("stats") or []:
            key = (e.get("method"), e.get("name"))
            named.add(key)
            if (e.get("num_failures") or 0) != occurrences.get(key, 0):
                failures.append(f"report {i}, {e.get('name')!r}: {e.get('num_failures')} failures but "
                                f"{occurrences.get(key, 0)} error occurrences")
        for method, name in set(occurrences) - named:
            failures.append(f"report {i}: errors of {method} {name!r}, which has no stats entry")
        for key, err in (d.get("errors") or {}).items():
            if isinstance(err, dict):
                what = (err.get("method"), err.get("name"), err.get("error"))
                if keys.setdefault(what, key) != key or texts.setdefault(key, what) != what:
                    # the master merges errors by key: one error under two keys is two rows, two
                    # errors under one key are one row
                    failures.append(f"report {i}: error key {key!r} and {what} do not match one to one")
    return _result("stats: error entries match failures", failures, "every failure has its error entry")


def _final_report(conv: Conversation):
    """Locust's workers send a last report when told to quit; boomer does not (the drain handles it)."""
    quits = conv.sent_at("quit")
    if quits and not conv.received("stats", since=quits[0]):
        return next(q for q in QUIRKS if q.name == "no final report at stop")
    return None
