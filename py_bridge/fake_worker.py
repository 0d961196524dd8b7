"""A stand-in worker (ZeroMQ DEALER) that drives a real master: handshake, heartbeats, a spawn
answered like a worker, stats reports every second, and quit; it records what the master sends
and checks it against the contract (`pybridge verify-protocol --master`)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import zmq

from .codec import DecodeError, Frame, decode, encode
from .contract import FAIL, PASS, Result
from .messages import TO_WORKER, problems
from .reports import stats_entry, stats_report

# How long to wait for the master's answer to a heartbeat when none has come by the end of the run.
HEARTBEAT_REPLY_TIMEOUT = 5.0


class FakeWorker:
    """Joins a master as a worker: heartbeats every second, answers spawn and stop as Locust's
    workers do, records every frame the master sends and every contract problem in them."""

    def __init__(self, host: str, port: int) -> None:
        self.node = f"pybridge-fake-worker_{uuid.uuid4().hex}"
        self.context = zmq.Context()
        self.sock = self.context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.IDENTITY, self.node.encode())
        self.sock.setsockopt(zmq.LINGER, 500)
        self.sock.connect(f"tcp://{host}:{port}")
        self.received: list[tuple[float, Frame]] = []
        self.invalid: list[str] = []
        self.state, self.users, self.classes = "ready", 0, {}
        self.next_beat = time.monotonic()

    def send(self, msg_type: str, data: Any) -> None:
        self.sock.send(encode(msg_type, data, self.node))

    def types(self) -> list[str]:
        return [f.type for _, f in self.received]

    def first(self, msg_type: str) -> Frame | None:
        return next((f for _, f in self.received if f.type == msg_type), None)

    def pump(self, seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        """Heartbeat, receive and answer for up to `seconds`, or until `until()` holds."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not until():
            if time.monotonic() >= self.next_beat:
                self.next_beat += 1.0
                self.send("heartbeat", {"state": self.state, "current_cpu_usage": 1.0,
                                        "current_memory_usage": 10_000_000})
            if not self.sock.poll(int(min(left, 0.2) * 1000)):
                continue
            try:
                frame = decode(self.sock.recv())
            except DecodeError as e:
                self.invalid.append(str(e))
                continue
            self.received.append((time.time(), frame))
            self.invalid.extend(str(p) for p in problems(frame.type, frame.data, TO_WORKER))
            self._answer(frame)

    def _answer(self, frame: Frame) -> None:
        if frame.type == "spawn" and isinstance(frame.data, dict):
            self.classes = dict(frame.data.get("user_classes_count") or {})
            self.users, self.state = sum(self.classes.values()), "running"
            self.send("spawning", None)
            self.send("spawning_complete", {"user_classes_count": self.classes, "user_count": self.users})
        elif frame.type == "stop":
            self.users, self.state = 0, "ready"
            self.send("client_stopped", None)
            self.send("client_ready", -1)

    def report(self) -> None:
        """A report that measured nothing, with the users the last spawn asked for."""
        self.send("stats", stats_report([], stats_entry("Aggregated", "", start_time=time.time()), self.users,
                                        self.classes))

    def close(self) -> None:
        self.send("quit", None)
        time.sleep(0.2)
        self.sock.close(linger=500)
        self.context.term()


def unreachable(host: str, port: int, timeout: float) -> str:
    """Why nothing accepts a TCP connection at host:port within timeout, or "" once something does.
    A ZeroMQ socket connects in the background and says nothing of a port nobody listens on: without
    this, no master there read as a master that did not answer (no ack)."""
    deadline, reason = time.monotonic() + timeout, ""
    while True:
        try:
            socket.create_connection((host, port), timeout=max(0.1, min(1.0, deadline - time.monotonic()))).close()
            return ""
        except OSError as e:
            reason = e.strerror or str(e)
        if time.monotonic() >= deadline:
            return reason
        time.sleep(0.2)


def verify_master(host: str, port: int, connect_timeout: float, spawn_timeout: float, run_for: float) -> list[Result]:
    if reason := unreachable(host, port, connect_timeout):
        return [Result("master: ack with an index", FAIL,
                       f"no master at {host}:{port} ({reason}; tried for {connect_timeout:g} s)")]
    worker = FakeWorker(host, port)
    results = []
    try:
        worker.send("client_ready", -1)
        worker.pump(connect_timeout, until=lambda: worker.first("ack") is not None)
        ack = worker.first("ack")
        results.append(Result("master: ack with an index", PASS if ack else FAIL,
                              f"ack {ack.data}" if ack else f"no ack within {connect_timeout:g} s"))
        if ack is not None:
            worker.pump(spawn_timeout, until=lambda: worker.first("spawn") is not None)
            spawned = worker.first("spawn") is not None
            results.append(Result("master: spawn", PASS if spawned else FAIL,
                                  f"{worker.users} users" if spawned else
                                  f"no spawn within {spawn_timeout:g} s: start a test on the master"))
            if spawned:
                for _ in range(int(run_for)):
                    worker.report()
                    worker.pump(1.0)
                # A master that does not know a worker asks it to reconnect; one that rejects a
                # spawning_complete asks it to quit at once.
                types = worker.types()
                told_off = [t for t in types if t == "reconnect"]
                early_quit = [t for t in types[:types.index("spawn") + 2] if t == "quit"]
                results.append(Result("master: accepts the worker's reports", FAIL if told_off or early_quit else PASS,
                                      f"the master answered {(told_off or early_quit)[0]}" if told_off or early_quit
                                      else f"{int(run_for)} reports, the master kept the worker"))
            worker.pump(HEARTBEAT_REPLY_TIMEOUT, until=lambda: worker.first("heartbeat") is not None)
            beats = worker.types().count("heartbeat")
            results.append(Result("master: answers heartbeats", PASS if beats else FAIL,
                                  f"{beats} heartbeats answered" if beats else
                                  f"no heartbeat answer within {HEARTBEAT_REPLY_TIMEOUT:g} s"))
        results.append(Result("master: messages decode and validate", FAIL if worker.invalid else PASS,
                              worker.invalid[0] if worker.invalid else f"{len(worker.received)} messages, all valid"))
    finally:
        worker.close()
    return results
