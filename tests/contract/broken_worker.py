"""A minimal Locust worker over ZeroMQ that follows the protocol except for one deliberate fault,
so tests can show that `pybridge verify-protocol` catches each one.

    python broken_worker.py HOST PORT FAULT     FAULT: none, bucket, arithmetic, heartbeat,
                                                handshake, stop, counts, spawn-count, missing,
                                                logs, total-bytes
It really sends GET / to the spawn message's host, one request per user per 0.2 s."""

from __future__ import annotations

import sys
import time
import urllib.request
import uuid

import zmq

from py_bridge.codec import decode, encode
from py_bridge.reports import stats_entry


def entry(name: str, times: list[int], stamp: int, fault: str) -> dict:
    buckets: dict[int, int] = {}
    for ms in times:
        buckets[ms] = buckets.get(ms, 0) + 1
    if fault == "bucket" and times:
        buckets = {101: len(times)}  # not on Locust's grid (101 would be filed under 100)
    per_sec = {stamp: len(times)} if times else {}
    if fault == "arithmetic" and times:
        per_sec = {stamp: len(times) + 1}
    n = len(times) + (1 if fault == "counts" and times else 0)
    if fault == "counts" and times:
        buckets[times[0]] += 1
        per_sec = {stamp: n}
    return stats_entry(name, "GET", last_request_timestamp=time.time(), start_time=time.time(), num_requests=n,
                       total_response_time=float(sum(times)), max_response_time=max(times, default=0),
                       min_response_time=min(times, default=None), response_times=buckets, num_reqs_per_sec=per_sec)


def main(host: str, port: int, fault: str) -> int:
    node = f"broken_{uuid.uuid4().hex}"
    sock = zmq.Context().socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, node.encode())
    sock.setsockopt(zmq.LINGER, 1000)
    sock.connect(f"tcp://{host}:{port}")
    send = lambda t, d: sock.send(encode(t, d, node))  # noqa: E731
    send("client_ready", 0 if fault == "handshake" else -1)
    users, target, times = 0, "", []
    classes: dict[str, int] = {}
    next_beat = next_report = next_request = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_beat:
            next_beat += 1.0
            if fault != "heartbeat":
                state = "missing" if fault == "missing" else "running" if users else "ready"
                send("heartbeat", {"state": state, "current_cpu_usage": 1.0, "current_memory_usage": 1000})
            if fault == "logs":
                send("logs", {"worker_id": "another-worker", "logs": ["a line"]})
        if users and target and now >= next_request:
            next_request = now + 0.2
            for _ in range(users):
                start = time.monotonic()
                urllib.request.urlopen(target + "/", timeout=5).read()
                times.append(round((time.monotonic() - start) * 1000))
        if now >= next_report:  # reports are deltas since the previous one
            next_report += 1.0
            e = entry("home", times, int(time.time()), fault)
            total = dict(e, name="Aggregated", method="")
            if fault == "total-bytes" and times:
                total["total_content_length"] = 7  # the entries' bytes add up to 0
            send("stats", {"stats": [e] if times else [], "stats_total": total, "errors": {},
                           "user_count": users, "user_classes_count": classes})
            times = []
        if not sock.poll(50):
            continue
        frame = decode(sock.recv())
        if frame.type == "spawn":
            classes = dict(frame.data["user_classes_count"])
            users, target = sum(classes.values()), frame.data["host"]
            send("spawning", None)
            told = users + 1 if fault == "spawn-count" else users  # the classes add up to users
            send("spawning_complete", {"user_classes_count": classes, "user_count": told})
        elif frame.type == "stop":
            users = 0
            if fault != "stop":
                send("client_stopped", None)
                send("client_ready", -1)
        elif frame.type == "quit":
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
