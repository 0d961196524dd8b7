"""Workers that leave outside a test, and a headless master whose workers are all gone.

Locust treats "the last worker quit" as the end of the test even when none is running: a headless
master then stops handling messages and waits forever for workers that can no longer register (a
pod restarted early; boomer sends quit on SIGTERM). Outside a test (before the first one, or
between two in the web UI), a worker that quits is only forgotten here, and the master keeps
waiting for enough workers.

A worker the master has forgotten (marked missing, then removed after Locust's dead interval) that
comes back keeps sending heartbeats, which Locust ignores: it never becomes ready again, and a master
waiting for --expect-workers would wait for it forever. Such a worker is asked to reconnect (at most
every RECONNECT_EVERY_S): a Locust worker registers again, a Go worker exits and its supervisor
starts one that does.

A worker that answered a stop (client_stopped) is removed by Locust until its client_ready; a Locust
Python worker waits --stop-timeout in between, and meanwhile sends heartbeats and the report of the
last requests its users finished. It is no forgotten worker: it is not asked to reconnect, and its
reports, exceptions and logs still count (`answered_stop`, which inbound.py asks), as Locust counts
them.

A headless test whose last worker went missing is stopped by Locust and then idles until its run
time ends, or forever without one; here the master quits instead, with exit code 1 and a message.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
from locust.rpc import Message
from locust.runners import HEARTBEAT_INTERVAL, HEARTBEAT_LIVENESS, STATE_INIT, STATE_STOPPED, MasterRunner

logger = logging.getLogger(__name__)
RECONNECT_EVERY_S = 10.0
# How long after its client_stopped a worker still counts as answering the stop: a Python worker
# sends client_ready --stop-timeout later; this much more for a loaded machine.
ANSWERING_STOP_S = 10.0
# runner_state.py keeps these true: "ready" until the first test starts, "stopped" after a stop.
OUTSIDE_A_TEST = (STATE_INIT, STATE_STOPPED)


def install(runner: MasterRunner) -> Callable[[str], bool]:
    """Returns `answered_stop`: whether a peer is a worker between its client_stopped and its
    client_ready."""
    handle = runner.handle_message
    asked: dict[str, float] = {}  # forgotten worker -> when it was last asked to reconnect
    stopped_at: dict[str, float] = {}  # worker that said client_stopped -> when

    def answered_stop(node_id: str) -> bool:
        when = stopped_at.get(node_id)
        bound = float(runner.environment.stop_timeout or 0) + ANSWERING_STOP_S
        return when is not None and node_id not in runner.clients and time.monotonic() - when < bound

    def handle_message(client_id: str, msg: Message) -> Any:
        if msg.type == "client_stopped" and msg.node_id in runner.clients:
            stopped_at[msg.node_id] = time.monotonic()
        elif msg.type in ("client_ready", "quit"):
            stopped_at.pop(msg.node_id, None)
        if msg.type == "quit" and runner.state in OUTSIDE_A_TEST and msg.node_id in runner.clients:
            del runner.clients[msg.node_id]
            logger.info("Worker %s quit %s; %d worker(s) ready", msg.node_id,
                        "before the test started" if runner.state == STATE_INIT else "between tests",
                        len(runner.clients.ready))
            return None
        if msg.type == "heartbeat" and msg.node_id not in runner.clients and not answered_stop(msg.node_id):
            now = time.monotonic()
            if now - asked.get(msg.node_id, -RECONNECT_EVERY_S) >= RECONNECT_EVERY_S:
                if msg.node_id not in asked:
                    logger.info("Worker %s is not registered (forgotten after missing its heartbeats?); "
                                "asking it to reconnect", msg.node_id)
                asked[msg.node_id] = now
                runner.server.send_to_client(Message("reconnect", None, msg.node_id))
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]

    def on_test_stop(environment, **_kw: Any) -> None:
        parsed = environment.parsed_options
        if not (parsed and parsed.headless) or runner.worker_count > 0 or not runner.clients.missing:
            return
        logger.error("Every worker went missing (no heartbeat for %d s); the headless test cannot go on",
                     HEARTBEAT_LIVENESS * HEARTBEAT_INTERVAL)
        environment.process_exit_code = 1
        gevent.spawn(runner.quit)

    runner.environment.events.test_stop.add_listener(on_test_stop)
    return answered_stop
