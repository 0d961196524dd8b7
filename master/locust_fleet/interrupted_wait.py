"""A signal (Ctrl+C, SIGTERM) while a headless master (or one with --autostart) waits for its workers
ends it with one line and exit code 4 (interrupted), before any test ran.

Locust's headless master waits for --expect-workers in its main greenlet, before it installs its
SIGTERM handler: Ctrl+C ended it with Locust's traceback (the KeyboardInterrupt raised in that
wait), SIGTERM killed it outright (exit -15), and the workers already connected were never told to
quit. Here, from the plugin's start (before its InfluxDB check, which may wait --influxdb-timeout;
a Ctrl+C there was a traceback too) until a test starts, either signal says so in one line, fires
Locust's quitting event (the workers connected are sent quit, the export stops with nothing to write:
no run record, no points) and ends the master with exit code 4. As when --expect-workers-max-wait
runs out, no test ran: no final statistics are printed and no --json-file, --junit-xml or --html
file is written (earlier_reports removed an earlier run's at start; Locust's --csv files, written from
its start, hold no request). A second Ctrl+C
while it exits says it is exiting; a third exits at once (os._exit), for a quit stuck elsewhere.

With --autostart (the Locust operator's master), Locust installs its SIGTERM handler before that
wait and shuts down through it: it printed nothing of the wait, wrote a JSON file without a test in
it and exited 0, as if a test had passed. Its shutdown keeps its course here (the workers told to
quit), with the line above, no JSON file and exit code 4; Ctrl+C ends it as a headless one.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import gevent
from greenlet import greenlet
from locust.env import Environment
from locust.runners import MasterRunner

from . import interrupt
from .threshold_judge import EXIT_INTERRUPTED

logger = logging.getLogger(__name__)

SIGNAL_NAMES = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM"}


class WaitForWorkers:
    """Between the plugin's start and the test's: what a signal does to a headless master."""

    def __init__(self, environment: Environment, runner: MasterRunner) -> None:
        self.environment = environment
        self.runner = runner
        self.main = greenlet.getcurrent()  # Locust's main greenlet, which waits for the workers
        self.test_started = False
        self.exiting = 0  # signals received since the master began to exit

    def waiting(self) -> bool:
        return not self.test_started

    def on_test_start(self, **_kw: Any) -> None:
        self.test_started = True

    def say(self, what: str) -> None:
        expected = getattr(self.environment.parsed_options, "expect_workers", 1)
        logger.error("%s while waiting for the workers (%d of %d connected): no test ran; exiting with code %d "
                     "(interrupted)", what, len(self.runner.clients.ready), expected, EXIT_INTERRUPTED)

    def on_signal(self, signum: int) -> None:
        """Runs in the hub, between greenlets."""
        self.exiting += 1
        if self.exiting == 1:
            interrupt.note_stop_signal()
            self.say(SIGNAL_NAMES.get(signum, f"signal {signum}"))
            gevent.spawn(self._exit)
        elif self.exiting == 2:
            logger.warning("%s again: the master is exiting (no test ran); once more exits at once",
                           SIGNAL_NAMES.get(signum, f"signal {signum}"))
        else:
            os._exit(EXIT_INTERRUPTED)

    def on_quitting(self, **_kw: Any) -> None:
        """Locust's own shutdown (--autostart: its SIGTERM handler) before any test: the code is 4 and
        its JSON file, which would hold no test, is not written."""
        if self.waiting() and not self.exiting:
            self.exiting = 1
            interrupt.note_stop_signal()
            self.say("Shutting down")  # Locust logged why just before (Got SIGTERM signal)
            self.environment.process_exit_code = EXIT_INTERRUPTED
            self.environment.parsed_options.json_file = None

    def _exit(self) -> None:
        self.environment.process_exit_code = EXIT_INTERRUPTED
        try:
            self.environment.events.quitting.fire(environment=self.environment, reverse=True)
        finally:
            self.main.throw(SystemExit(EXIT_INTERRUPTED))


def install(environment: Environment, runner: MasterRunner) -> WaitForWorkers | None:
    """Called from Locust's init event, in Locust's main greenlet; None when the master does not
    wait for workers before its test (the web UI starts tests, which waits for nobody)."""
    parsed = environment.parsed_options
    if not (parsed and (parsed.headless or parsed.autostart)):
        return None
    wait = WaitForWorkers(environment, runner)
    environment.events.quitting.add_listener(wait.on_quitting)
    # With --autostart, Locust installs its own SIGTERM handler before its wait; headless, only after it.
    handlers = [] if parsed.autostart and not parsed.headless else [
        gevent.signal_handler(signal.SIGTERM, wait.on_signal, signal.SIGTERM)]

    def on_test_start(**_kw: Any) -> None:
        wait.on_test_start()
        while handlers:  # Locust's own SIGTERM handler (or shape_signals') takes over
            handlers.pop().cancel()

    environment.events.test_start.add_listener(on_test_start)
    return wait
