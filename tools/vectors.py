"""Golden vectors of the wire contract, generated from the installed Locust itself.

`python -m tools.vectors [--out DIR]` (`make vectors`) writes one JSON file per direction: a
list of {name, hex, decoded}, `hex` being Locust's own serialisation and `decoded` a tagged JSON
form that keeps what JSON loses (see tests/contract/vectors/README.md). pytest and `go test` read
the same files; the files are never edited by hand, and a test checks that regenerating them
changes nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from locust.rpc.protocol import Message

from py_bridge.messages import TO_MASTER, TO_WORKER
from py_bridge.reports import stats_entry

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "contract" / "vectors"
NODE = "worker-host_0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def tag(value: Any) -> Any:
    """The tagged JSON form: ints, floats, maps and datetimes carry their type."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.strftime("%Y%m%dT%H:%M:%S.%f")}
    if isinstance(value, (list, tuple)):
        return [tag(v) for v in value]
    if isinstance(value, dict):
        return {"$map": [[tag(k), tag(v)] for k, v in value.items()]}
    raise TypeError(f"no tagged form for {type(value).__name__}")


def untag(value: Any) -> Any:
    if isinstance(value, list):
        return [untag(v) for v in value]
    if isinstance(value, dict):
        (kind, inner), = value.items()
        if kind == "$int":
            return int(inner)
        if kind == "$float":
            return float(inner)
        if kind == "$datetime":
            return datetime.datetime.strptime(inner, "%Y%m%dT%H:%M:%S.%f")
        if kind == "$map":
            return {untag(k): untag(v) for k, v in inner}
        raise ValueError(f"unknown tag {kind!r}")
    return value


def entry(name: str, method: str, requests: int, failures: int, buckets: dict[int, int], **over) -> dict:
    figures = {"last_request_timestamp": 1764081000.25, "start_time": 1764080995.5,
               "num_requests": requests, "num_failures": failures,
               "total_response_time": float(sum(ms * n for ms, n in buckets.items())),
               "max_response_time": max(buckets, default=0), "min_response_time": min(buckets, default=None),
               "total_content_length": 3 * requests, "response_times": buckets,
               "num_reqs_per_sec": {1764080999: requests - requests // 2, 1764081000: requests // 2} if requests
               else {},
               "num_fail_per_sec": {1764081000: failures} if failures else {}}
    return stats_entry(name, method, **{**figures, **over})


def cases() -> dict[str, list[tuple[str, str, Any]]]:
    """(name, type, data) per direction."""
    home = entry("home", "GET", 5, 0, {0: 1, 3: 2, 120: 2})
    broken = entry("broken", "GET", 2, 2, {7: 2})
    total = entry("Aggregated", "", 7, 2, {0: 1, 3: 2, 7: 2, 120: 2})
    return {
        TO_MASTER: [
            ("client_ready with version", "client_ready", "2.47.0"),
            ("client_ready any version (-1, as boomer sends)", "client_ready", -1),
            ("spawning", "spawning", None),
            ("spawning_complete", "spawning_complete", {"user_classes_count": {"GoWorkerUser": 5}, "user_count": 5}),
            ("spawning_complete as boomer sends it (count)", "spawning_complete",
             {"count": 5, "user_classes_count": {"GoWorkerUser": 5}}),
            ("stats with endpoints and errors", "stats", {
                "stats": [home, broken], "stats_total": total,
                "errors": {"6f1ed002ab5595859014ebf0951522d9": {
                    "method": "GET", "name": "broken", "error": "unexpected status 503 (expected 200)",
                    "occurrences": 2, "first_seen": 1764080999.5, "last_seen": 1764081000.25}},
                "user_count": 5, "user_classes_count": {"GoWorkerUser": 5}}),
            ("stats empty", "stats", {"stats": [], "stats_total": entry("Aggregated", "", 0, 0, {}),
                                      "errors": {}, "user_count": 0, "user_classes_count": {}}),
            ("stats as boomer sends it (int seconds, min 0, no error times)", "stats", {
                "stats": [entry("home", "GET", 1, 0, {12: 1}, start_time=1764080995, last_request_timestamp=1764081000)],
                "stats_total": entry("Total", "", 1, 0, {12: 1}, start_time=1764080995,
                                     last_request_timestamp=1764081000),
                "errors": {"k": {"method": "GET", "name": "home", "error": "timeout after 5s", "occurrences": 1}},
                "user_count": 1, "user_classes_count": {"GoWorkerUser": 1}}),
            ("stats with large values and unicode", "stats", {
                "stats": [entry("überweisung ✓", "POST", 4_000_000_000, 0, {98000: 4_000_000_000})],
                "stats_total": entry("Aggregated", "", 4_000_000_000, 0, {98000: 4_000_000_000}),
                "errors": {}, "user_count": 100000, "user_classes_count": {"GoWorkerUser": 100000}}),
            ("heartbeat", "heartbeat", {"state": "running", "current_cpu_usage": 12.5,
                                        "current_memory_usage": 31457280}),
            ("heartbeat with int cpu", "heartbeat", {"state": "ready", "current_cpu_usage": 0,
                                                     "current_memory_usage": 1024}),
            ("client_stopped", "client_stopped", None),
            ("quit", "quit", None),
            ("exception", "exception", {"msg": "boom", "traceback": "Traceback (most recent call last):\n..."}),
            ("logs", "logs", {"worker_id": NODE, "logs": ["line 1", "line 2"]}),
            ("custom message with datetime", "my_custom", {"at": datetime.datetime(2026, 11, 25, 14, 30, 2, 123456),
                                                           "items": [1, 2.5, None, True]}),
        ],
        TO_WORKER: [
            ("ack", "ack", {"index": 3}),
            ("spawn", "spawn", {"timestamp": 1764081000.123456, "user_classes_count": {"GoWorkerUser": 5},
                                "host": "http://127.0.0.1:8080", "stop_timeout": None,
                                "parsed_options": {"headless": True, "num_users": 10, "spawn_rate": 2.5,
                                                   "tags": [], "host": "http://127.0.0.1:8080"}}),
            ("spawn to zero users", "spawn", {"timestamp": 1764081001.5, "user_classes_count": {"GoWorkerUser": 0},
                                              "host": None, "stop_timeout": 5.0, "parsed_options": {}}),
            ("spawning_complete", "spawning_complete", {"user_count": 10}),
            ("heartbeat", "heartbeat", None),
            ("stop", "stop", None),
            ("quit", "quit", None),
            ("reconnect", "reconnect", None),
            ("update_user_class", "update_user_class", {"user_class_name": "GoWorkerUser",
                                                        "user_class": {"weight": 2, "fixed_count": 0}}),
            ("locustfile", "locustfile", {"locustfiles": [{"filename": "locustfile.py", "contents": "x = 1\n"}]}),
            ("custom message", "my_custom", {"anything": [1, "two"]}),
        ],
    }


FILES = {TO_MASTER: "worker_to_master.json", TO_WORKER: "master_to_worker.json"}


def render() -> dict[str, str]:
    """File name -> JSON text, deterministic."""
    out = {}
    for direction, items in cases().items():
        vectors = [{"name": name, "type": msg_type,
                    "hex": Message(msg_type, data, NODE).serialize().hex(),
                    "decoded": [msg_type, tag(data), NODE]} for name, msg_type, data in items]
        out[FILES[direction]] = json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (args.out / name).write_text(text)
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
