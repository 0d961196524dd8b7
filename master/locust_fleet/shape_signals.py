"""SIGTERM ends a headless shape test with its drain, as it ends every other headless test.

Locust installs its SIGTERM handler only once its automatic start has returned, and a headless
shape test returns from it when the shape ends: until then SIGTERM kills the master outright, its
statistics unprinted and its workers' last reports lost. From the start until the test stops, this
handler quits the runner as Locust's would (the drain runs in its stop); Locust's main loop then
prints and writes the statistics and exits as usual.
"""

import logging
import signal
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

logger = logging.getLogger(__name__)


def install(environment: Environment, runner: MasterRunner) -> None:
    parsed = environment.parsed_options
    if environment.shape_class is None or not (parsed and parsed.headless):
        return

    def on_sigterm() -> None:
        logger.info("Got SIGTERM signal during a shape test; stopping it")
        gevent.spawn(runner.quit)

    handler = gevent.signal_handler(signal.SIGTERM, on_sigterm)

    def on_test_stop(**_kw: Any) -> None:
        handler.cancel()

    environment.events.test_stop.add_listener(on_test_stop)
