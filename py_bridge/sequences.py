"""Stateful, seeded sequences of worker messages for a real master: the class of conversations
that fuzzing frames one by one cannot reach, such as an `exception` from a peer that never
registered followed by a worker that quits before the test starts.

`plan(seed, mode)` is pure: the same seed gives the same steps. A few peers (ZeroMQ identities)
send messages of every type, valid, malformed (fuzz.py) or disagreeing with themselves
(consistency.py), as peers that never registered, registered workers, workers that quit or that the
master forgot (it drops a worker that says client_stopped), peers that come back on a new
connection with the same identity, and one that goes silent until the master marks it missing.
In "web" mode the plan also drives the master through its web UI (start, stop while messages keep
coming, reset), so the messages meet every state: waiting, spawning, running, draining, stopped
and between tests. In "headless" mode the master waits for its workers the whole time, and at
most one peer is registered at a time so that the test never starts with fakes only.

`Player` plays a plan against a master and records which master states it met; `probe` is the
first part of the invariant checked after each sequence: a new peer registers and its heartbeat
is answered. (The rest, a real Go worker joining and a run counted exactly, needs the project's
processes: harness/sequences.py.)
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import zmq

from .codec import DecodeError, decode, encode
from .fuzz import EXAMPLES, frames
from .messages import TO_MASTER, WORKER_STATES
from .reports import stats_entry, stats_report

MODES = ("web", "headless")
USER_CLASS = "GoWorkerUser"
PEER_PREFIX = "pybridge-seq"
# The types a worker may send: Locust's own, the plugin's custom ones and one nobody registered.
CUSTOM_TYPES = ("fleet:user_numbers",)
UNKNOWN_TYPE = "seq_unknown"
SEND_TYPES = tuple(sorted(t for d, t in EXAMPLES if d == TO_MASTER)) + CUSTOM_TYPES + (UNKNOWN_TYPE,)
# Registering, beating and leaving change the master's state most: they come more often.
WEIGHTS = {"client_ready": 3.0, "quit": 2.0, "heartbeat": 2.0, "client_stopped": 1.5, "exception": 1.5}
MISSING_AFTER_S = 3.5  # Locust marks a worker missing after 3 heartbeats it did not get


@dataclass(frozen=True)
class Step:
    """One thing that happens: a peer sends (`send`: msg_type, variant valid/malformed/
    inconsistent), answers what the master sent it as a worker would (`answer`), reconnects with
    its identity (`reconnect`), goes silent (`silence`); time passes (`wait`); the master is
    started, stopped or reset from its web UI (`start`, `stop`, `reset`)."""

    action: str
    peer: int = -1
    msg_type: str = ""
    variant: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.action == "send":
            return f"peer {self.peer}: {self.variant} {self.msg_type}"
        if self.action in ("answer", "reconnect", "silence"):
            return f"peer {self.peer}: {self.action}"
        if self.action == "wait":
            return f"wait {self.seconds:.1f} s"
        return f"master: {self.action}"


@dataclass
class Plan:
    seed: int
    mode: str
    peers: int
    steps: list[Step] = field(default_factory=list)

    def describe(self) -> str:
        return f"seed {self.seed} ({self.mode}, {self.peers} peers): " + "; ".join(map(str, self.steps))


class _Sim:
    """The planner's own idea of each peer, enough to make plans that mean something (a start needs
    a registered peer; a headless plan keeps at most one registered)."""

    def __init__(self, peers: int) -> None:
        self.registered = [False] * peers
        self.silenced = False

    def after(self, step: Step) -> None:
        if step.action == "send" and step.variant == "valid":
            if step.msg_type == "client_ready":
                self.registered[step.peer] = True
            elif step.msg_type in ("quit", "client_stopped"):
                self.registered[step.peer] = False
        elif step.action == "silence":
            self.registered[step.peer] = False
            self.silenced = True


def plan(seed: int, mode: str, length: int = 28) -> Plan:
    """About `length` steps for a master in `mode` (MODES)."""
    if mode not in MODES:
        raise ValueError(f"mode: got {mode!r}; expected one of {', '.join(MODES)}")
    rng = random.Random(seed)
    peers = rng.randint(2, 4)
    result = Plan(seed, mode, peers)
    sim = _Sim(peers)

    def add(step: Step) -> None:
        result.steps.append(step)
        sim.after(step)

    def messages(count: int) -> None:
        sent = False
        for _ in range(count):
            step = _message_step(rng, sim, peers, mode)
            sent = sent or step.action == "send"
            add(step)
        if not sent:  # each state meets at least one message
            add(Step("send", rng.randrange(peers), "exception", "valid"))

    def register_one() -> None:
        if not any(sim.registered):
            add(Step("send", rng.randrange(peers), "client_ready", "valid"))

    if mode == "headless":
        messages(length)
        return result
    # web: waiting, then tests started, stopped (messages keep coming while it drains), reset
    phases = ["waiting", "start", "spawning", "wait", "running", "stop", "draining", "wait", "stopped", "start",
              "between", "reset", "stop"]
    per_phase = max(2, length // 8)
    for phase in phases:
        if phase == "start":
            register_one()
            add(Step("answer", next(i for i, r in enumerate(sim.registered) if r)))
            add(Step("start"))
        elif phase in ("stop", "reset"):
            add(Step(phase))
        elif phase == "wait":
            add(Step("wait", seconds=round(rng.uniform(1.0, 2.5), 1)))
        else:
            messages(rng.randint(1, per_phase))
            # workers answer what the master sent: spawns while running, the drain's zero users
            # and the stop after it (most of the time: a peer that never answers is a case too)
            if phase in ("running", "between") or (phase == "draining" and rng.random() < 0.7):
                for peer in range(peers):
                    add(Step("answer", peer))
    return result


def _message_step(rng: random.Random, sim: _Sim, peers: int, mode: str) -> Step:
    peer = rng.randrange(peers)
    roll = rng.random()
    if roll < 0.08 and not sim.silenced and rng.random() < 0.5:
        return Step("silence", peer)
    if roll < 0.14:
        return Step("reconnect", peer)
    if roll < 0.24:
        return Step("answer", peer)
    if roll < 0.28:
        return Step("wait", seconds=round(rng.uniform(0.2, 1.2), 1))
    variant = rng.choices(("valid", "malformed", "inconsistent"), (0.65, 0.2, 0.15))[0]
    msg_type = rng.choices(SEND_TYPES, [WEIGHTS.get(t, 1.0) for t in SEND_TYPES])[0]
    if variant == "inconsistent" and msg_type not in INCONSISTENT:
        msg_type = rng.choice(sorted(INCONSISTENT))
    if variant == "malformed" and msg_type in CUSTOM_TYPES + (UNKNOWN_TYPE,):
        variant = "valid"  # custom data has no schema; an unknown type is already refused
    if mode == "headless" and msg_type == "client_ready" and variant == "valid" and \
            any(r for i, r in enumerate(sim.registered) if i != peer):
        msg_type = "exception"  # a second registered peer could start the test with fakes only
    return Step("send", peer, msg_type, variant)


# --- messages -----------------------------------------------------------------------------------
def _report(rng: random.Random, users: int) -> dict[str, Any]:
    now = time.time()
    n = rng.randint(0, 3)
    times = [rng.randint(1, 40) for _ in range(n)]
    buckets: dict[int, int] = {}
    for ms in times:
        buckets[ms] = buckets.get(ms, 0) + 1
    entry = stats_entry("/seq", "GET", start_time=now - 1, last_request_timestamp=now if n else None,
                        num_requests=n, total_response_time=sum(times), max_response_time=max(times, default=0),
                        min_response_time=min(times, default=None), response_times=buckets,
                        num_reqs_per_sec={int(now): n} if n else {})
    return stats_report([entry] if n else [], dict(entry, name="Aggregated", method=None), users,
                        {USER_CLASS: users})


def valid_data(rng: random.Random, msg_type: str, node: str, users: int) -> Any:
    if msg_type == "client_ready":
        return rng.choice([-1, "2.47.0", "2.20.0"])
    if msg_type == "heartbeat":
        state = rng.choice([s for s in WORKER_STATES if s != "missing"])
        return {"state": state, "current_cpu_usage": round(rng.uniform(0, 100), 1), "current_memory_usage": 10_000}
    if msg_type == "spawning_complete":
        return {"user_classes_count": {USER_CLASS: users}, rng.choice(["user_count", "count"]): users}
    if msg_type == "stats":
        return _report(rng, users)
    if msg_type == "exception":
        return {"msg": f"error {rng.randint(0, 9)}", "traceback": f"Traceback: line {rng.randint(0, 9)}"}
    if msg_type == "logs":
        return {"worker_id": node, "logs": ["a line"]}
    if msg_type == "fleet:user_numbers":
        return {"count": rng.randint(1, 5), "request": rng.randint(1, 99)}
    if msg_type == UNKNOWN_TYPE:
        return {"x": 1}
    return EXAMPLES[(TO_MASTER, msg_type)]


def _inconsistent_report(rng: random.Random, node: str) -> Any:
    data = _report(rng, 1)
    data["stats_total"]["num_requests"] += 1
    data["stats_total"]["num_reqs_per_sec"] = {int(time.time()): data["stats_total"]["num_requests"]}
    return data


INCONSISTENT = {
    "spawning_complete": lambda rng, node: {"user_classes_count": {USER_CLASS: 2}, "user_count": 3},
    "stats": _inconsistent_report,
    "heartbeat": lambda rng, node: {"state": "missing", "current_cpu_usage": 1.0},
    "logs": lambda rng, node: {"worker_id": "someone-else", "logs": ["x"]},
}


# --- playing a plan ------------------------------------------------------------------------------
class Peer:
    """One identity: a DEALER socket that can be replaced (reconnect) keeping the identity."""

    def __init__(self, context: zmq.Context, address: str, node: str) -> None:
        self.context, self.address, self.node = context, address, node
        self.sock = self._connect()
        self.beating = False  # sends a heartbeat every second (registered, not silenced)
        self.users = 0
        self.inbox: list[tuple[str, Any]] = []
        self.received: list[str] = []
        self.next_beat = 0.0

    def _connect(self) -> zmq.Socket:
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, self.node.encode())
        sock.setsockopt(zmq.LINGER, 500)
        sock.connect(self.address)
        return sock

    def send_raw(self, raw: bytes) -> None:
        self.sock.send(raw)

    def send(self, msg_type: str, data: Any) -> None:
        self.sock.send(encode(msg_type, data, self.node))

    def reconnect(self) -> None:
        self.sock.close(linger=0)
        self.sock = self._connect()

    def pump(self) -> None:
        while self.sock.poll(0):
            try:
                frame = decode(self.sock.recv())
            except DecodeError:
                continue
            self.received.append(frame.type)
            self.inbox.append((frame.type, frame.data))
        if self.beating and time.monotonic() >= self.next_beat:
            self.next_beat = time.monotonic() + 1.0
            self.send("heartbeat", {"state": "running" if self.users else "ready", "current_cpu_usage": 1.0,
                                    "current_memory_usage": 10_000})

    def answer(self) -> None:
        """What a worker does with what the master sent since the last answer."""
        for msg_type, data in self.inbox:
            if msg_type == "spawn" and isinstance(data, dict):
                classes = dict(data.get("user_classes_count") or {})
                self.users = sum(classes.values())
                self.send("spawning", None)
                self.send("spawning_complete", {"user_classes_count": classes, "user_count": self.users})
            elif msg_type == "stop":
                self.users = 0
                self.send("client_stopped", None)
                self.send("client_ready", -1)
            elif msg_type == "quit":
                self.beating = False
        if self.users == 0 and any(t == "spawn" for t, _ in self.inbox):
            self.send("stats", stats_report([], stats_entry("Aggregated", None, start_time=time.time()), 0,
                                            {USER_CLASS: 0}))
        self.inbox.clear()

    def close(self) -> None:
        self.sock.close(linger=500)


@dataclass
class Played:
    plan: Plan
    nodes: list[str]
    states: list[str]  # the master's states met (web mode), in order, repeats dropped
    stop_error: str = ""  # a web UI stop that failed or did not return


class Player:
    """Plays plans against the master at host:port (and its web UI at `web`, for web plans)."""

    def __init__(self, host: str, port: int, web: str = "", users: int = 4, spawn_rate: float = 2.0,
                 stop_timeout: float = 60.0) -> None:
        self.address = f"tcp://{host}:{port}"
        self.web = web
        self.users, self.spawn_rate, self.stop_timeout = users, spawn_rate, stop_timeout
        self.context = zmq.Context()
        self.peers: list[Peer] = []
        self.stops: list[threading.Thread] = []
        self.stop_errors: list[str] = []

    def play(self, p: Plan, gap: float = 0.1) -> Played:
        rng = random.Random(p.seed ^ 0x5EED)
        run = uuid.uuid4().hex[:6]
        self.peers = [Peer(self.context, self.address, f"{PEER_PREFIX}-{run}-{i}") for i in range(p.peers)]
        states: list[str] = []
        malformed = {i: frames(TO_MASTER, peer.node, 400, seed=p.seed + i, huge=0)
                     for i, peer in enumerate(self.peers)}
        for step in p.steps:
            self._do(step, rng, malformed)
            self._pump(rng.uniform(0, gap))
            if p.mode == "web":
                state = self.state()
                if state and (not states or states[-1] != state):
                    states.append(state)
        return Played(p, [peer.node for peer in self.peers], states)

    def _do(self, step: Step, rng: random.Random, malformed: dict) -> None:
        peer = self.peers[step.peer] if step.peer >= 0 else None
        if step.action == "send":
            assert peer is not None
            if step.variant == "malformed":
                peer.send_raw(next(malformed[step.peer])[1])
            elif step.variant == "inconsistent":
                peer.send(step.msg_type, INCONSISTENT[step.msg_type](rng, peer.node))
            else:
                peer.send(step.msg_type, valid_data(rng, step.msg_type, peer.node, peer.users))
                if step.msg_type == "client_ready":
                    peer.beating = True
                elif step.msg_type == "quit":
                    peer.beating = False
        elif step.action == "answer":
            peer.pump()
            peer.answer()
        elif step.action == "reconnect":
            peer.reconnect()
        elif step.action == "silence":
            peer.beating = False
            self._pump(MISSING_AFTER_S)
        elif step.action == "wait":
            self._pump(step.seconds)
        elif step.action == "start":
            self._web("/swarm", {"user_count": self.users, "spawn_rate": self.spawn_rate, "host": ""})
        elif step.action == "reset":
            self._web("/stats/reset", {})
        elif step.action == "stop":
            # the stop returns once drained; messages keep coming meanwhile
            thread = threading.Thread(target=self._stop, daemon=True)
            thread.start()
            self.stops.append(thread)

    def _stop(self) -> None:
        try:
            self._web("/stop", {}, timeout=self.stop_timeout)
        except OSError as e:
            self.stop_errors.append(f"POST /stop: {e}")

    def _web(self, path: str, form: dict, timeout: float = 10.0) -> None:
        data = urllib.parse.urlencode(form).encode()
        urllib.request.urlopen(urllib.request.Request(self.web + path, data=data, method="POST"),
                               timeout=timeout).read()

    def state(self) -> str:
        try:
            with urllib.request.urlopen(self.web + "/stats/requests", timeout=5) as resp:
                return json.loads(resp.read()).get("state", "")
        except OSError:
            return ""

    def _pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            for peer in self.peers:
                peer.pump()
            if time.monotonic() >= deadline:
                return
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def finish(self, quit_peers: list[bool], within: float) -> str:
        """Ends the plan's peers (those with True say quit first) and waits, up to `within`, for the
        web UI stops still under way; returns what went wrong ('' when nothing)."""
        for peer, says_quit in zip(self.peers, quit_peers):
            if says_quit:
                peer.send("quit", None)
            peer.close()
        deadline = time.monotonic() + within
        for thread in self.stops:
            thread.join(max(0.0, deadline - time.monotonic()))
        late = sum(t.is_alive() for t in self.stops)
        if late:
            self.stop_errors.append(f"{late} web UI stop(s) still running after {within:g} s")
        return "; ".join(self.stop_errors)

    def close(self) -> None:
        for peer in self.peers:
            peer.sock.close(linger=0)
        self.context.term()


def probe(host: str, port: int, timeout: float = 5.0) -> str:
    """A new peer registers, sends a heartbeat and quits; '' when the master acked it and answered
    its heartbeat, else what the master did not do."""
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    node = f"{PEER_PREFIX}-probe-{uuid.uuid4().hex[:6]}"
    sock.setsockopt(zmq.IDENTITY, node.encode())
    sock.setsockopt(zmq.LINGER, 500)
    sock.connect(f"tcp://{host}:{port}")
    try:
        sock.send(encode("client_ready", -1, node))
        if "ack" not in _await(sock, "ack", timeout):
            return f"the master did not ack a new worker within {timeout:g} s"
        sock.send(encode("heartbeat", {"state": "ready", "current_cpu_usage": 1.0}, node))
        if "heartbeat" not in _await(sock, "heartbeat", timeout):
            return f"the master did not answer a registered worker's heartbeat within {timeout:g} s"
        return ""
    finally:
        sock.send(encode("quit", None, node))
        sock.close(linger=500)
        context.term()


def _await(sock: zmq.Socket, msg_type: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and msg_type not in seen:
        if sock.poll(int(left * 1000)):
            try:
                seen.append(decode(sock.recv()).type)
            except DecodeError:
                continue
    return seen

