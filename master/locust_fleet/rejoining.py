"""A registered worker that says client_ready again keeps one share of the users.

A worker says client_ready again with the same id when it retries its handshake (a Locust Python
worker repeats it every 5 s until it has its ack, so a slow ack brings two) or comes back with the
same id. Locust then makes the worker a new node and adds it to its users dispatcher without taking
the old node out: the dispatcher counts the worker twice and hands it two shares of the users for
the rest of the test (7 of 10 users, and 3 for the other worker). Here the old node leaves the
dispatcher first, so Locust's rebalance that follows shares the users evenly again.
"""

from __future__ import annotations

from typing import Any

from locust.rpc import Message
from locust.runners import MasterRunner


def install(runner: MasterRunner) -> None:
    handle = runner.handle_message

    def handle_message(client_id: str, msg: Message) -> Any:
        # Locust ignores a client_ready without a version (a pre-2.0 worker) and keeps the node.
        if msg.type == "client_ready" and msg.data and msg.node_id in runner.clients:
            dispatcher = runner._users_dispatcher
            if dispatcher is not None:
                dispatcher.remove_worker(runner.clients[msg.node_id])
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
