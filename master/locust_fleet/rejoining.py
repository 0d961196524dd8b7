"""A registered worker that says client_ready again keeps one share of the users.

A worker says client_ready again with the same id when it retries its handshake (a Locust Python
worker repeats it every 5 s until it has its ack, so a slow ack brings two) or comes back with the
same id. Locust then makes the worker a new node and adds it to its users dispatcher without taking
the old node out: the dispatcher counts the worker twice and hands it two shares of the users for
the rest of the test (7 of 10 users, and 3 for the other worker). Here the old node leaves the
dispatcher first, so Locust's rebalance that follows shares the users evenly again.

A worker marked missing (no heartbeat for 3 s) leaves the dispatcher, and Locust takes it back when
a heartbeat comes from it while it is still marked missing. A worker frozen during a ramp-up first
handles the spawns that waited for it, and its answers (spawning, spawning_complete) set its state
to spawning or running before its heartbeat comes: it was never taken back, and kept the users of
those spawns beside the ones the dispatcher gave the others (22 users where 16 were asked for), to
the end of the test. Here those answers leave it marked missing, so its heartbeat brings it back.
"""

from __future__ import annotations

from typing import Any

from locust.rpc import Message
from locust.runners import STATE_MISSING, MasterRunner

# Answers to the master's spawns; Locust sets the sender's state from them.
SPAWN_ANSWERS = ("spawning", "spawning_complete")


def install(runner: MasterRunner) -> None:
    handle = runner.handle_message

    def handle_message(client_id: str, msg: Message) -> Any:
        # Locust ignores a client_ready without a version (a pre-2.0 worker) and keeps the node.
        if msg.type == "client_ready" and msg.data and msg.node_id in runner.clients:
            dispatcher = runner._users_dispatcher
            if dispatcher is not None:
                dispatcher.remove_worker(runner.clients[msg.node_id])
        worker = runner.clients.get(msg.node_id) if msg.type in SPAWN_ANSWERS else None
        if worker is None or worker.state != STATE_MISSING:
            return handle(client_id, msg)
        try:
            return handle(client_id, msg)
        finally:
            worker.state = STATE_MISSING  # until its heartbeat, which takes it back

    runner.handle_message = handle_message  # type: ignore[method-assign]
