"""Malformed frames for either end of Locust's protocol, reproducible from a seed: random bytes,
truncated msgpack, arrays of the wrong shape, every field of every message type with a value of
the wrong type or missing, unknown types, node ids that do not match, and huge payloads.

`frames()` yields (kind, bytes); the kinds are coarse (e.g. "wrong type: heartbeat.state") so a
receiver that logs once per kind can be checked against them.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgpack
import zmq

from .codec import DecodeError, decode, encode
from .messages import SCHEMAS, TO_MASTER, TO_WORKER, problems
from .reports import stats_entry

# A valid example of each message (data only), from which wrong variants are derived.
REPORT_ENTRY = stats_entry("/", "GET", last_request_timestamp=1.0, start_time=1.0, num_requests=1,
                           total_response_time=3, max_response_time=3, min_response_time=3, total_content_length=2,
                           response_times={3: 1}, num_reqs_per_sec={1: 1})
EXAMPLES: dict[tuple[str, str], Any] = {
    (TO_MASTER, "client_ready"): -1,
    (TO_MASTER, "spawning"): None,
    (TO_MASTER, "spawning_complete"): {"user_classes_count": {"GoWorkerUser": 1}, "user_count": 1},
    (TO_MASTER, "stats"): {"stats": [REPORT_ENTRY], "stats_total": {**REPORT_ENTRY, "name": "Aggregated",
                                                                    "method": None},
                           "errors": {}, "user_count": 1, "user_classes_count": {"GoWorkerUser": 1}},
    (TO_MASTER, "heartbeat"): {"state": "running", "current_cpu_usage": 1.5, "current_memory_usage": 1000},
    (TO_MASTER, "client_stopped"): None,
    (TO_MASTER, "quit"): None,
    (TO_MASTER, "exception"): {"msg": "boom", "traceback": "tb"},
    (TO_MASTER, "logs"): {"worker_id": "w", "logs": ["line"]},
    (TO_MASTER, "locustfile"): {"version": "2.47.0"},
    (TO_WORKER, "ack"): {"index": 0},
    (TO_WORKER, "spawn"): {"timestamp": 1.0, "user_classes_count": {"GoWorkerUser": 1}, "host": "",
                           "stop_timeout": None, "parsed_options": {}},
    (TO_WORKER, "spawning_complete"): {"user_count": 1},
    (TO_WORKER, "heartbeat"): None,
    (TO_WORKER, "stop"): None,
    (TO_WORKER, "quit"): None,
    (TO_WORKER, "reconnect"): None,
    (TO_WORKER, "update_user_class"): {"user_class_name": "GoWorkerUser", "user_class": {}},
    (TO_WORKER, "locustfile"): {"error": "none"},
}
WRONG_VALUES = (7, -3, 2**63, 1.5, "text", b"\xff\xfe", True, None, [], [1, "a"], {}, {"k": [None]}, {1: 2})
HUGE = 8 * 1024 * 1024  # bytes in a huge payload


def fields(data: Any) -> list[tuple[str, ...]]:
    """Paths to every value in a valid example: ("stats_total", "num_requests"), ("stats", 0, "name"), ..."""
    paths: list[tuple[str, ...]] = []

    def walk(value: Any, path: tuple) -> None:
        if path:
            paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(data, ())
    return paths


def replaced(data: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    """A deep copy of data with the value at path replaced (or deleted)."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    head, rest = path[0], path[1:]
    if rest:
        copy[head] = replaced(copy[head], rest, value, delete)
    elif delete and isinstance(copy, dict):
        del copy[head]
    else:
        copy[head] = value
    return copy


def label(path: tuple) -> str:
    return ".".join(str(p) if not isinstance(p, int) else "[]" for p in path)


def malformed(direction: str, raw: bytes, node_id: str) -> bool:
    """Whether a receiver must reject raw: it does not decode, names another node, has a type the
    protocol does not know in that direction, or breaks the type's schema."""
    try:
        frame = decode(raw)
    except DecodeError:
        return True
    if frame.node_id != node_id or (direction, frame.type) not in SCHEMAS:
        return True
    return bool(problems(frame.type, frame.data, direction))


def _huge(which: int, rng: random.Random, node_id: str) -> tuple[str, bytes]:
    if which == 0:
        return "huge: heartbeat.state", encode("heartbeat", {"state": "x" * HUGE, "current_cpu_usage": 1}, node_id)
    if which == 1:
        return "huge: random bytes", rng.randbytes(HUGE)
    return "huge: unknown type", encode("fuzz_huge", "y" * HUGE, node_id)


def frames(direction: str, node_id: str, count: int, seed: int = 1, huge: int = 3) -> Iterator[tuple[str, bytes]]:
    """`count` malformed frames towards the given direction's receiver (TO_MASTER: what a master
    receives), each with its kind; `huge` of them are HUGE-byte payloads."""
    rng = random.Random(seed)
    examples = {t: data for (d, t), data in EXAMPLES.items() if d == direction}
    assert set(examples) == {t for d, t in SCHEMAS if d == direction}, "an example per message type"
    variants: list[tuple[str, bytes]] = []
    for msg_type, data in examples.items():
        valid = encode(msg_type, data, node_id)
        variants.append((f"truncated: {msg_type}", valid[: max(1, len(valid) // 2)]))
        variants.append((f"wrong type: {msg_type} data", encode(msg_type, ["not", "a", "map"], node_id)))
        variants.append((f"wrong node id: {msg_type}", encode(msg_type, data, "someone-else")))
        for path in fields(data):
            for value in rng.sample(WRONG_VALUES, 4):
                variants.append((f"wrong type: {msg_type}.{label(path)}",
                                 msgpack.dumps((msg_type, replaced(data, path, value), node_id))))
            if isinstance(path[-1], str):
                variants.append((f"missing: {msg_type}.{label(path)}",
                                 encode(msg_type, replaced(data, path, None, delete=True), node_id)))
    variants.append(("shape: 2-array", msgpack.dumps(["heartbeat", None])))
    variants.append(("shape: 4-array", msgpack.dumps(["heartbeat", None, node_id, 1])))
    variants.append(("shape: map", msgpack.dumps({"type": "heartbeat"})))
    variants.append(("shape: int type", msgpack.dumps([3, None, node_id])))
    variants.append(("shape: int node id", msgpack.dumps(["heartbeat", None, 3])))
    for i in range(4):
        variants.append(("unknown type", encode(f"fuzz_{i}", {"x": i}, node_id)))
    # A replacement can happen to be valid (an int where an int >= 0 is expected): only keep
    # what a receiver must reject, so that a fuzzed peer never adds to the numbers.
    variants = [(kind, raw) for kind, raw in variants if malformed(direction, raw, node_id)]

    sent = 0
    for i in range(huge):
        if sent >= count:
            return
        yield _huge(i % 3, rng, node_id)  # only the one sent is made: each is 8 MiB
        sent += 1
    while sent < count:
        if rng.random() < 0.2:
            yield "random bytes", rng.randbytes(rng.randint(0, 300))
        else:
            yield variants[rng.randrange(len(variants))]
        sent += 1


def fuzz_master(host: str, port: int, count: int, seed: int = 1, register: bool = False,
                huge: int = 3) -> dict[str, int]:
    """Send `count` malformed frames to a master's worker port, as an unknown peer or (register)
    as a worker that joined with client_ready and keeps sending valid heartbeats meanwhile.
    Returns how many frames of each kind were sent."""
    node = f"pybridge-fuzz_{uuid.uuid4().hex[:12]}"
    sent: Counter[str] = Counter()
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, node.encode())
    sock.setsockopt(zmq.LINGER, 2000)
    sock.setsockopt(zmq.SNDHWM, 0)  # queue everything: the point is that the master gets all of it
    sock.connect(f"tcp://{host}:{port}")
    beat = encode("heartbeat", {"state": "ready", "current_cpu_usage": 1.0, "current_memory_usage": 1}, node)
    try:
        if register:
            sock.send(encode("client_ready", -1, node))
        for i, (kind, raw) in enumerate(frames(TO_MASTER, node, count, seed, huge)):
            sock.send(raw)
            sent[kind] += 1
            if register and i % 200 == 0:
                sock.send(beat)
            while sock.poll(0):  # drop what the master sends (ack, spawn, heartbeats)
                sock.recv()
        if register:
            sock.send(encode("quit", None, node))
    finally:
        sock.close()
        context.term()
    return dict(sent)
