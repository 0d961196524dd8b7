"""Many fake workers in one process for the master-capacity benchmark: each registers, answers
spawns like boomer, sends a heartbeat every second and a boomer-shaped report of 20 endpoints every
3 s. Reports are encoded once per worker and resent, so this process stays light."""

from __future__ import annotations

import sys
import time

import zmq

from py_bridge.codec import decode, encode
from py_bridge.reports import stats_entry, stats_report


def report(endpoints: int, users: int) -> dict:
    now = int(time.time())
    def entry(name, **over):
        figures = {"last_request_timestamp": now, "start_time": now - 3, "num_requests": 300, "num_failures": 3,
                   "total_response_time": 3000, "max_response_time": 120, "min_response_time": 2,
                   "total_content_length": 900,
                   "response_times": {ms: 5 for ms in (2, 3, 5, 8, 10, 12, 15, 20, 30, 50, 80, 100, 110, 120)}
                   | {4: 230},
                   "num_reqs_per_sec": {now - 2: 100, now - 1: 100, now: 100}, "num_fail_per_sec": {now: 3}}
        return stats_entry(name, "GET", **{**figures, **over})
    return stats_report([entry(f"/api/endpoint/{i}") for i in range(endpoints)],
                        entry("Total", num_requests=300 * endpoints, num_failures=3 * endpoints), users,
                        {"GoWorkerUser": users})


def main(port: int, workers: int, endpoints: int, seconds: float) -> None:
    context = zmq.Context()
    socks = []
    for i in range(workers):
        s = context.socket(zmq.DEALER)
        node = f"fake-{i}"
        s.setsockopt(zmq.IDENTITY, node.encode())
        s.setsockopt(zmq.LINGER, 0)
        s.connect(f"tcp://127.0.0.1:{port}")
        s.send(encode("client_ready", -1, node))
        socks.append((s, node))
    # Locust counts only workers whose heartbeat says "ready" as available for --expect-workers.
    beats = {(node, state): encode("heartbeat", {"state": state, "current_cpu_usage": 10.0,
                                                 "current_memory_usage": 20_000_000}, node)
             for _, node in socks for state in ("ready", "running")}
    users = {node: 0 for _, node in socks}
    poller = zmq.Poller()
    for s, _ in socks:
        poller.register(s, zmq.POLLIN)
    by_sock = dict(socks)
    deadline = time.monotonic() + seconds
    next_beat = time.monotonic()
    next_report = [time.monotonic() + 3 * i / workers for i in range(workers)]  # spread like real workers
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_beat:
            next_beat += 1.0
            for s, node in socks:
                s.send(beats[(node, "running" if users[node] else "ready")])
        for i, (s, node) in enumerate(socks):
            if now >= next_report[i]:
                next_report[i] += 3.0
                s.send(encode("stats", report(endpoints, users[node]), node))
        for s, _ in poller.poll(20):
            node = by_sock[s]
            frame = decode(s.recv())
            if frame.type == "spawn":
                users[node] = sum(frame.data["user_classes_count"].values())
                s.send(encode("spawning", None, node))
                s.send(encode("spawning_complete", {"count": users[node],
                                                     "user_classes_count": frame.data["user_classes_count"]}, node))
            elif frame.type == "stop":
                users[node] = 0
                s.send(encode("client_stopped", None, node))
                s.send(encode("client_ready", -1, node))
            elif frame.type == "quit":
                pass


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
