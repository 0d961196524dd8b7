"""Workers that leave outside a test, and a headless master whose workers are all gone.

Locust treats "the last worker quit" as the end of the test even before one has started: a
headless master then stops handling messages and waits forever for workers that can no longer
register (a pod restarted early; boomer sends quit on SIGTERM). Before a test has started, a
worker that quits is only forgotten here, and the master keeps waiting for enough workers.

A headless test whose last worker went missing is stopped by Locust and then idles until its run
time ends, or forever without one; here the master quits instead, with exit code 1 and a message.
"""

import logging
from typing import Any

import gevent
from locust.rpc import Message
from locust.runners import HEARTBEAT_INTERVAL, HEARTBEAT_LIVENESS, STATE_INIT, MasterRunner

logger = logging.getLogger(__name__)


def install(runner: MasterRunner) -> None:
    handle = runner.handle_message

    def handle_message(client_id: str, msg: Message) -> Any:
        if msg.type == "quit" and runner.state == STATE_INIT and msg.node_id in runner.clients:
            del runner.clients[msg.node_id]
            logger.info("Worker %s quit before the test started; %d worker(s) ready", msg.node_id,
                        len(runner.clients.ready))
            return None
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
