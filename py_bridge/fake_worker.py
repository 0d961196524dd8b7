"""A stand-in worker (ZeroMQ DEALER) that drives a real master: handshake, heartbeats, a spawn
answered like a worker, stats reports every second, and quit; it records what the master sends
and checks it against the contract."""

from __future__ import annotations

import time
import uuid

import zmq

from .codec import DecodeError, decode, encode
from .contract import FAIL, PASS, Result
from .messages import TO_WORKER, problems
from .reports import stats_entry, stats_report

HEARTBEAT_REPLY_TIMEOUT = 5.0


def verify_master(host: str, port: int, connect_timeout: float, spawn_timeout: float, run_for: float) -> list[Result]:
    node = f"pybridge-fake-worker_{uuid.uuid4().hex}"
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, node.encode())
    sock.setsockopt(zmq.LINGER, 500)
    sock.connect(f"tcp://{host}:{port}")
    send = lambda t, d: sock.send(encode(t, d, node))  # noqa: E731
    received: list[tuple[float, object]] = []
    invalid: list[str] = []
    state, users, classes = "ready", 0, {}

    next_beat = time.monotonic()

    def pump(seconds: float, until=lambda: False) -> None:
        nonlocal state, users, classes, next_beat
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not until():
            if time.monotonic() >= next_beat:
                next_beat += 1.0
                send("heartbeat", {"state": state, "current_cpu_usage": 1.0, "current_memory_usage": 10_000_000})
            if not sock.poll(int(min(left, 0.2) * 1000)):
                continue
            try:
                frame = decode(sock.recv())
            except DecodeError as e:
                invalid.append(str(e))
                continue
            received.append((time.time(), frame))
            invalid.extend(str(p) for p in problems(frame.type, frame.data, TO_WORKER))
            if frame.type == "spawn" and isinstance(frame.data, dict):
                classes = dict(frame.data.get("user_classes_count") or {})
                users, state = sum(classes.values()), "running"
                send("spawning", None)
                send("spawning_complete", {"user_classes_count": classes, "user_count": users})
            elif frame.type == "stop":
                users, state = 0, "ready"
                send("client_stopped", None)
                send("client_ready", -1)

    def types() -> list[str]:
        return [f.type for _, f in received]

    results = []
    try:
        send("client_ready", -1)
        pump(connect_timeout, until=lambda: "ack" in types())
        ack = next((f for _, f in received if f.type == "ack"), None)
        results.append(Result("master: ack with an index", PASS if ack else FAIL,
                              f"ack {ack.data}" if ack else f"no ack within {connect_timeout:g} s"))
        if ack is not None:
            pump(spawn_timeout, until=lambda: "spawn" in types())
            spawned = "spawn" in types()
            results.append(Result("master: spawn", PASS if spawned else FAIL,
                                  f"{users} users" if spawned else
                                  f"no spawn within {spawn_timeout:g} s: start a test on the master"))
            if spawned:
                for _ in range(int(run_for)):
                    send("stats", stats_report([], stats_entry("Aggregated", "", start_time=time.time()), users,
                                                classes))
                    pump(1.0)
                # A master that does not know a worker asks it to reconnect; one that rejects a
                # spawning_complete asks it to quit at once.
                told_off = [t for t in types() if t == "reconnect"]
                early_quit = [t for t in types()[:types().index("spawn") + 2] if t == "quit"]
                results.append(Result("master: accepts the worker's reports", FAIL if told_off or early_quit else PASS,
                                      f"the master answered {(told_off or early_quit)[0]}" if told_off or early_quit
                                      else f"{int(run_for)} reports, the master kept the worker"))
            beats = types().count("heartbeat")
            results.append(Result("master: answers heartbeats", PASS if beats else FAIL,
                                  f"{beats} heartbeats answered" if beats else
                                  f"no heartbeat answer within {HEARTBEAT_REPLY_TIMEOUT:g} s"))
        results.append(Result("master: messages decode and validate", FAIL if invalid else PASS,
                              invalid[0] if invalid else f"{len(received)} messages, all valid"))
    finally:
        send("quit", None)
        time.sleep(0.2)
        sock.close(linger=500)
        context.term()
    return results
