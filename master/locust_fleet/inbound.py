"""The one place every worker message passes before Locust's master handles it.

Malformed messages are rejected here: Locust's handler trusts its peers, and some malformed
frames (truncated msgpack, a client_ready with an int other than -1, a heartbeat without
current_cpu_usage, an exception without traceback) raise inside its listener greenlet, which then
stops listening to every worker. Reports from peers that are not registered workers are dropped
too: Locust would merge them into its statistics; so are messages naming another node than their
sender, and types that are neither Locust's nor registered by the locustfile. Each kind of
rejection is logged once, then counted."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import zmq.green as zmq
from locust.exception import RPCError
from locust.rpc import Message
from locust.runners import MasterRunner

from py_bridge.codec import DecodeError, decode
from py_bridge.messages import SCHEMAS, TO_MASTER, ValidationError, validate

from .normalise import normalise_report

logger = logging.getLogger(__name__)


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


def install(runner: MasterRunner, observers: Iterable[Callable[[str, str], None]] = ()) -> Rejections:
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
        if msg.type == "stats":
            if client_id not in runner.clients:
                rejections.reject(client_id, ("stats", "unknown worker"),
                                  "stats from a peer that is not a registered worker")
                return None
            normalise_report(msg.data)
        for observe in observers:
            observe(client_id, msg.type)
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
    guard_frames(runner, rejections)
    return rejections
