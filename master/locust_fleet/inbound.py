"""The one place every worker message passes before Locust's master handles it.

Malformed messages are rejected here: Locust's handler trusts its peers, and some malformed
frames (truncated msgpack, a client_ready with an int other than -1, a heartbeat without
current_cpu_usage, an exception without traceback) raise inside its listener greenlet, which then
stops listening to every worker. Messages naming another node than their sender are dropped too,
and so are types that are neither Locust's nor registered by the locustfile, and messages that
disagree with themselves (py_bridge/consistency.py: a spawning_complete whose user_count is not
its classes' sum, a report whose stats_total is not its entries merged, ...) or name user classes
the master does not have: Locust would show wrong users or merge wrong numbers.

A peer that is not a registered worker may register (client_ready), ask for the locustfile, send
heartbeats (a forgotten worker's: leaving.py asks it to reconnect) and quit; anything else it
sends is dropped: Locust would merge its reports into the statistics, list its exceptions (which
set a headless master's exit code) and its logs, hand it user numbers, or answer its spawning
messages as if it were a worker. A worker between its answer to a stop and its client_ready
(leaving.py) is no such peer: its reports, exceptions and logs pass, as they are its last ones.
Each kind of rejection is logged once, then counted."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import zmq.green as zmq
from locust.exception import RPCError
from locust.rpc import Message
from locust.runners import MasterRunner

from py_bridge.codec import DecodeError, decode
from py_bridge.consistency import Problem, message_problems
from py_bridge.messages import SCHEMAS, TO_MASTER, ValidationError, validate

from .normalise import normalise_report

logger = logging.getLogger(__name__)
# What a peer that is not (or no longer) a registered worker may send.
FROM_ANY_PEER = frozenset({"client_ready", "locustfile", "heartbeat", "quit"})
# What a worker that answered a stop may still send before its client_ready (leaving.py): a Locust
# Python worker reports the last requests of its users meanwhile.
AFTER_ITS_STOP = frozenset({"stats", "exception", "logs"})


class Rejections:
    """Counts rejected messages by kind; logs the first of each kind."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def reject(self, client_id: str, kind: tuple[str, str], reason: str) -> None:
        self.counts[kind] += 1
        if self.counts[kind] == 1:
            logger.warning("Rejected a message from %s: %s (further messages of this kind are counted, not logged)",
                           client_id, reason)


def guard_frames(runner: MasterRunner, rejections: Rejections) -> None:
    """Make the server skip frames that do not decode instead of raising into Locust's listener.
    Locust replaces its server when the connection breaks, so the new one is guarded too."""

    def guard_server() -> None:
        server = runner.server

        def recv_from_client() -> tuple[str, Message]:
            while True:
                try:
                    parts = server.socket.recv_multipart()
                except zmq.ZMQError as e:
                    raise RPCError("ZMQ network broken") from e  # Locust resets its server on this
                identity = parts[0].decode(errors="replace") if parts else ""
                if len(parts) != 2:
                    rejections.reject(identity, ("undecodable", "zeromq frames"),
                                      f"undecodable frame: expected 2 ZeroMQ frames (identity, message), got {len(parts)}")
                    continue
                try:
                    parts[0].decode()  # Locust needs the identity as text
                    frame = decode(parts[1])
                except UnicodeDecodeError:
                    rejections.reject(identity, ("undecodable", "identity"), "identity is not UTF-8")
                    continue
                except DecodeError as e:
                    rejections.reject(identity, ("undecodable", e.kind), f"undecodable frame: {e}")
                    continue
                return identity, Message(frame.type, frame.data, frame.node_id)

        server.recv_from_client = recv_from_client  # type: ignore[method-assign]

    reset = runner.reset_connection

    def reset_connection() -> None:
        reset()
        guard_server()

    runner.reset_connection = reset_connection  # type: ignore[method-assign]
    guard_server()


def unknown_classes(runner: MasterRunner, msg: Message) -> list[Problem]:
    """A worker runs the classes the master hands out; users of another class are no user of this
    test (Locust would add them to its user count and show them)."""
    if msg.type not in ("stats", "spawning_complete"):
        return []
    known = {cls.__name__ for cls in runner.user_classes}
    strangers = sorted(set(msg.data["user_classes_count"]) - known)
    if not strangers:
        return []
    return [Problem("user class", f"{msg.type}: user_classes_count names {', '.join(map(repr, strangers))}; the "
                                  f"master's user classes are {', '.join(map(repr, sorted(known)))}")]


def install(runner: MasterRunner, observers: Iterable[Callable[[str, str], None]] = (),
            answered_stop: Callable[[str], bool] = lambda _client_id: False) -> Rejections:
    """Wrap the runner's message handler so that reports are normalised before Locust merges them
    (Locust's merge listener is registered before any locustfile listener, so a worker_report
    listener would see the reports too late), malformed messages never reach it, and observers
    learn each accepted message's sender and type."""
    handle = runner.handle_message
    observers = list(observers)
    rejections = Rejections()

    def handle_message(client_id: str, msg: Message) -> Any:
        # Locust acts on msg.node_id (quit, heartbeat, stats), so a peer naming another node could
        # remove or impersonate a real worker; real workers always name their own connection.
        if msg.node_id != client_id:
            rejections.reject(client_id, ("node_id", "mismatch"),
                              f"a {msg.type} message names node {msg.node_id!r}, not its sender")
            return None
        if (TO_MASTER, msg.type) not in SCHEMAS and msg.type not in runner.custom_messages:
            rejections.reject(client_id, ("type", "unknown"), f"message type {msg.type!r} is neither Locust's nor "
                                                              "registered by the locustfile")
            return None
        try:
            validate(msg.type, msg.data, TO_MASTER)
        except ValidationError as e:
            rejections.reject(client_id, (e.msg_type, e.path), str(e))
            return None
        if msg.type not in FROM_ANY_PEER and client_id not in runner.clients and not (
                msg.type in AFTER_ITS_STOP and answered_stop(client_id)):
            rejections.reject(client_id, (msg.type, "unknown worker"),
                              f"{msg.type} from a peer that is not a registered worker")
            return None
        if msg.type == "stats":
            normalise_report(msg.data)
        problems = message_problems(msg.type, msg.data, msg.node_id) + unknown_classes(runner, msg)
        if problems:
            rejections.reject(client_id, (msg.type, problems[0].rule), str(problems[0]))
            return None
        for observe in observers:
            observe(client_id, msg.type)
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
    guard_frames(runner, rejections)
    return rejections
