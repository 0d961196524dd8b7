"""The contract invariants, checked on a recorded conversation with a worker. Pure: a
Conversation (conversation.py) and what the target served in, one Result per invariant out."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

from .consistency import (agreement_problems, arithmetic_problems, bucket_problems, error_problems,
                          message_problems)
from .conversation import Conversation
from .messages import QUIRKS, TO_MASTER, problems, quirks_in
from .stall_clock import stalled_within

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
    results.append(_messages_agree(frames))

    results.append(_heartbeat_cadence(conv))

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


def _heartbeat_cadence(conv: Conversation) -> Result:
    """About a second apart, and never more than 3 s of the master's own time: Locust counts missed
    heartbeats on its own one-second ticks and calls a worker missing after three. A stretch in
    which the fake master could not run (conv.stalls) stamped what came in late, and a master that
    cannot run counts no ticks, so it is taken out of the gap it falls in."""
    beats = conv.received_at("heartbeat")
    if len(beats) < 3:
        return _result("heartbeat cadence", [f"only {len(beats)} heartbeats"], "")
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    awake = [(b - a) - stalled_within(conv.stalls, a, b) for a, b in zip(beats, beats[1:])]
    longest = max(range(len(gaps)), key=lambda i: awake[i])
    stalled = gaps[longest] - awake[longest]
    longest_text = f"the longest {awake[longest]:.2f} s"
    if stalled >= 0.01:
        longest_text += (f" of the fake master's own time ({gaps[longest]:.2f} s by the clock, {stalled:.2f} s "
                         "of it while the fake master could not run)")
    if not 0.5 <= statistics.median(gaps) <= 2.0 or awake[longest] > 3.0:
        return _result("heartbeat cadence", [
            f"heartbeat gaps median {statistics.median(gaps):.2f} s, {longest_text}; "
            "expected about 1 s and never above 3 s (Locust marks a worker missing then)"], "")
    return _result("heartbeat cadence", [], f"{len(beats)} heartbeats, about 1 s apart; {longest_text}")


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


def _rows(stats: list[dict], problems) -> list[str]:
    return [str(p) for i, d in enumerate(stats) for p in problems(f"report {i}", d)]


def _buckets(stats: list[dict]) -> Result:
    return _result("stats: buckets on Locust's grid", _rows(stats, bucket_problems),
                   "exact below 100 ms, then 2 significant digits")


def _arithmetic(stats: list[dict]) -> Result:
    return _result("stats: arithmetic", _rows(stats, arithmetic_problems),
                   "histograms, per-second counts and totals add up")


def _consistency(stats: list[dict]) -> Result:
    return _result("stats: each report agrees with itself", _rows(stats, agreement_problems),
                   "min/avg/max in order, last request in the newest second, totals are the entries merged, "
                   "users by class")


def _errors(stats: list[dict]) -> Result:
    failures = _rows(stats, error_problems)
    keys: dict[tuple, str] = {}  # over the whole conversation: (method, name, error) -> key
    texts: dict[str, tuple] = {}
    for i, d in enumerate(stats):
        for key, err in (d.get("errors") or {}).items():
            if isinstance(err, dict):
                what = (err.get("method"), err.get("name"), err.get("error"))
                if keys.setdefault(what, key) != key or texts.setdefault(key, what) != what:
                    # the master merges errors by key: one error under two keys is two rows, two
                    # errors under one key are one row
                    failures.append(f"report {i}: error key {key!r} and {what} do not match one to one")
    return _result("stats: error entries match failures", failures, "every failure has its error entry")


def _messages_agree(frames) -> Result:
    """Every other message the master reads agrees with itself (consistency.message_problems)."""
    failures = [str(p) for f in frames if f.type != "stats" and not problems(f.type, f.data, TO_MASTER)
                for p in message_problems(f.type, f.data, f.node_id)]
    return _result("messages: each agrees with itself", failures,
                   "spawning_complete users by class, heartbeat states, logs from their sender")


def _final_report(conv: Conversation):
    """Locust's workers send a last report when told to quit; boomer does not (the drain handles it)."""
    quits = conv.sent_at("quit")
    if quits and not conv.received("stats", since=quits[0]):
        return next(q for q in QUIRKS if q.name == "no final report at stop")
    return None
