"""SIGTERM ends a headless shape test with its drain, as it ends every other headless test.

Locust installs its SIGTERM handler only once its automatic start has returned, and a headless
shape test returns from it when the shape ends: until then SIGTERM kills the master outright, its
statistics unprinted and its workers' last reports lost. While such a test runs (from its start to
its stop), this handler quits the runner as Locust's would, the drain running in its stop; Locust's
main loop then prints and writes the statistics and exits as usual. Before the test starts,
interrupted_wait.py handles SIGTERM: the master waiting for workers ends with exit code 4.
"""

import logging
import signal
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

from . import interrupt

logger = logging.getLogger(__name__)


def install(environment: Environment, runner: MasterRunner) -> None:
    parsed = environment.parsed_options
    if environment.shape_class is None or not (parsed and parsed.headless):
        return
    handlers = []

    def on_sigterm() -> None:
        logger.info("Got SIGTERM signal during a shape test; stopping it")
        interrupt.note_stop_signal()
        gevent.spawn(runner.quit)

    def on_test_start(**_kw: Any) -> None:
        if not handlers:
            handlers.append(gevent.signal_handler(signal.SIGTERM, on_sigterm))

    def on_test_stop(**_kw: Any) -> None:
        while handlers:
            handlers.pop().cancel()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until Locust installs its own

    environment.events.test_start.add_listener(on_test_start)
    environment.events.test_stop.add_listener(on_test_stop)
