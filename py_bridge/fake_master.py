"""A stand-in Locust master (ZeroMQ ROUTER on loopback) that drives one worker through a whole
life — handshake, spawn N, spawn M, drain to zero, stop, ready again, spawn again, quit — answering
heartbeats on the way and recording every frame in both directions (conversation.py) for the
contract checks. The sockets live here; the record and the checks are pure."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq

from . import fuzz
from .codec import DecodeError, Frame, decode, encode
from .conversation import IN, OUT, Conversation, Event, Step
from .messages import TO_WORKER
from .reports import is_idle_report
from .stall_clock import StallClock

# Bounds of each wait, in seconds; a worker that misses one fails that step instead of hanging.
CONNECT_TIMEOUT = 20.0
STEP_TIMEOUT = 10.0
DRAIN_TIMEOUT = 15.0
OBSERVE = 4.0
USER_STOP_TIMEOUT = 3.0
RECEIVE_EVERY = 0.01  # at most this long between looks at what the worker sent, during a burst
STEPS = ("handshake", "spawn up", "spawn down", "drain", "stop", "spawn again")


class StepFailed(Exception):
    pass


class FakeMaster:
    def __init__(self, user_class: str, host: str = "127.0.0.1", fuzz_frames: int = 0, seed: int = 1) -> None:
        self.user_class = user_class
        self.fuzz_frames, self.seed = fuzz_frames, seed
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.port = self.socket.bind_to_random_port(f"tcp://{host}")
        self.host = host
        self.log = Conversation()
        self.clock = StallClock().start()
        self.log.stalls = self.clock.stalls

    def close(self) -> None:
        self.clock.stop()
        self.socket.close(linger=0)
        self.context.term()

    def send(self, msg_type: str, data: Any) -> None:
        self.socket.send_multipart([self.log.node_id.encode(), encode(msg_type, data, self.log.node_id)])
        self.log.events.append(Event(time.time(), OUT, Frame(msg_type, data, self.log.node_id)))

    def _receive(self, timeout: float) -> Frame | None:
        if not self.socket.poll(int(timeout * 1000)):
            return None
        parts = self.socket.recv_multipart()
        now = time.time()
        try:
            frame = decode(parts[-1])
        except DecodeError as e:
            self.log.events.append(Event(now, IN, None, str(e)))
            return None
        if not self.log.node_id:
            self.log.node_id = parts[0].decode(errors="replace")
        self.log.events.append(Event(now, IN, frame))
        if frame.type == "heartbeat":
            self.send("heartbeat", None)  # as Locust's master answers every heartbeat
        return frame

    def wait_for(self, what: str, match: Callable[[Frame], bool], timeout: float) -> Frame:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self._receive(left)
            if frame is not None and match(frame):
                return frame
        raise StepFailed(f"no {what} within {timeout:g} s")

    def observe(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._receive(left)

    def spawn(self, users: int, target: str) -> None:
        counts = {self.user_class: users}
        self.log.spawns.append((time.time(), counts))
        # A stop timeout lets users finish the request in hand when they are stopped, so every
        # request the target served is also counted (Locust kills them mid-request without one).
        self.send("spawn", {"timestamp": time.time(), "user_classes_count": counts, "host": target,
                            "stop_timeout": USER_STOP_TIMEOUT, "parsed_options": {}})
        self.wait_for("spawning_complete", lambda f: f.type == "spawning_complete", STEP_TIMEOUT)

    def drain(self, target: str) -> None:
        """Zero users, then wait for a report that shows nothing more to count."""
        self.spawn(0, target)
        self.wait_for("idle stats report after spawning 0 users", lambda f: f.type == "stats" and is_idle_report(f.data),
                      DRAIN_TIMEOUT)

    def step(self, name: str, action: Callable[[], None]) -> bool:
        try:
            action()
        except StepFailed as e:
            self.log.steps.append(Step(name, False, str(e)))
            return False
        self.log.steps.append(Step(name, True))
        self.send_malformed(self.fuzz_frames // len(STEPS))
        return True

    def send_malformed(self, count: int) -> None:
        """A burst of malformed frames (py_bridge.fuzz) addressed to the worker.

        The frames are made on a thread of their own while this one keeps taking in what the worker
        sends: a frame is stamped when it is received, and making a burst takes long enough (a
        fraction of a second, seconds on a busy machine) that heartbeats held back meanwhile would
        look late by that much."""
        if count <= 0 or not self.log.node_id:
            return
        seed = self.seed * 100 + len(self.log.steps)
        made: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

        def make() -> None:
            try:
                for _, raw in fuzz.frames(TO_WORKER, self.log.node_id, count, seed, huge=1):
                    made.put(raw)
            finally:
                made.put(None)

        threading.Thread(target=make, name="fuzz frames", daemon=True).start()
        while True:
            while self.socket.poll(0):
                self._receive(0)
            try:
                raw = made.get(timeout=RECEIVE_EVERY)
            except queue.Empty:
                continue
            if raw is None:
                return
            self.socket.send_multipart([self.log.node_id.encode(), raw])

    def drive(self, target: str, users: int = 3, fewer: int = 1, observe: float = OBSERVE) -> Conversation:
        """The whole life; stops at the first step the worker does not complete."""
        def handshake() -> None:
            self.wait_for("client_ready", lambda f: f.type == "client_ready", CONNECT_TIMEOUT)
            self.send("ack", {"index": 0})

        def spawn_up() -> None:
            self.spawn(users, target)
            self.observe(observe)

        def spawn_down() -> None:
            self.spawn(fewer, target)
            self.observe(observe)

        def stop() -> None:
            self.send("stop", None)
            self.wait_for("client_stopped", lambda f: f.type == "client_stopped", STEP_TIMEOUT)
            self.wait_for("client_ready after stop", lambda f: f.type == "client_ready", STEP_TIMEOUT)
            self.send("ack", {"index": 0})

        def again() -> None:
            self.spawn(1, target)
            self.observe(observe)
            self.drain(target)

        actions = {"handshake": handshake, "spawn up": spawn_up, "spawn down": spawn_down,
                   "drain": lambda: self.drain(target), "stop": stop, "spawn again": again}
        for name in STEPS:
            if not self.step(name, actions[name]):
                break
        return self.log

    def quit(self) -> None:
        if self.log.node_id:
            self.send("quit", None)
            self.observe(1.0)
