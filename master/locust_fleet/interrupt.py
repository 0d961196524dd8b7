"""Ctrl+C (SIGINT) stops the master through Locust's own path, without breaking its message loop.

Locust ends on SIGINT through Python's KeyboardInterrupt reaching its main greenlet. But Python
raises that exception in whatever code the main thread runs when the signal is handled: it can be a
greenlet of the runner, e.g. in the middle of sending a heartbeat. That greenlet dies (the one
that receives the workers' messages, say), gevent then passes the interrupt on to the main
greenlet, and Locust shuts down with a master that no longer hears its workers: the drain gets no
last reports and the counts lose the last seconds.

Here SIGINT is a gevent signal watcher instead (as Locust's SIGTERM is): the hub runs it between
greenlets and throws KeyboardInterrupt into the main greenlet only, where Locust expects it; the
HTML report if asked for, then Locust's shutdown, the drain running in its stop. A master started
with SIGINT ignored (a background job of a script) keeps ignoring it, as the shell meant. A headless
master still waiting for its workers, before its test, ends as interrupted_wait.py says.

A second Ctrl+C while the master stops (the drain waits for the workers' last reports, up to
--drain-timeout) ended it with Locust's traceback: the KeyboardInterrupt landed in the drain's wait,
outside Locust's handler, and the statistics, the JSON file and the final write to InfluxDB were
lost with it. Here a Ctrl+C once the master is stopping (after an earlier Ctrl+C, or once Locust's
shutdown has begun, e.g. after SIGTERM) hurries the stop instead: the drain stops waiting (the
requests the workers made since their last report may go uncounted), everything else is written as
usual, and the master exits 4 (interrupted) unless a code was set already. The next Ctrl+C exits at
once (os._exit), for a stop stuck elsewhere: what was not yet written to InfluxDB or the spool is
then lost, and the log says so.
"""

import logging
import os
import signal
import time
from typing import Any

import gevent
from greenlet import greenlet
from locust.env import Environment

from .threshold_judge import EXIT_INTERRUPTED

logger = logging.getLogger(__name__)

# When a signal first asked the master to stop (time.monotonic()): Ctrl+C here, SIGTERM during a
# headless shape test (shape_signals.py). A test that stopped after it was interrupted, even where
# Locust stops it as if it had ended (a shape's test on Ctrl+C: "Shape test completed").
_first_at: float | None = None


def note_stop_signal() -> None:
    global _first_at
    if _first_at is None:
        _first_at = time.monotonic()


def stop_signal_between(start: float, end: float) -> bool:
    """Whether a signal first asked the master to stop from start to end (time.monotonic())."""
    return _first_at is not None and start <= _first_at <= end


# Whether Locust's shutdown has begun (its quitting event fired), and whether a Ctrl+C has hurried
# the stop since (see the module's text).
_quitting = False
_hurried = False


def hurried() -> bool:
    """Whether a Ctrl+C asked a stopping master not to wait for its workers any longer."""
    return _hurried


def on_quitting(**_kw: Any) -> None:
    """Locust's quitting listener, added last so that it runs first (Locust fires it in reverse).

    Locust's SIGTERM handler runs its whole shutdown each time: a SIGTERM while the master stops
    (a supervisor or CI job repeating it) ran a second shutdown beside the first, writing the final
    points to InfluxDB twice and the statistics twice. A shutdown begun while another runs waits
    here until the first ends the process."""
    global _quitting
    if _quitting:
        logger.warning("Asked to stop again while stopping (SIGTERM): the stop under way goes on, its drain "
                       "waiting for the workers' last reports; Ctrl+C hurries it")
        while True:
            gevent.sleep(3600)
    _quitting = True


def install(environment: Environment, before_test: Any = None) -> None:
    """Called from Locust's init event, which runs in Locust's main greenlet. before_test: a headless
    master's interrupted_wait.WaitForWorkers, which handles a Ctrl+C until the test starts."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return
    main = greenlet.getcurrent()
    hub = gevent.get_hub()

    def on_sigint() -> None:
        global _hurried
        if before_test is not None and before_test.waiting():
            before_test.on_signal(signal.SIGINT)
        elif _first_at is None and not _quitting:
            note_stop_signal()
            hub.loop.run_callback(main.throw, KeyboardInterrupt)
        elif not _hurried:
            _hurried = True
            code = ""
            if environment.process_exit_code is None:
                environment.process_exit_code = EXIT_INTERRUPTED
                code = f"; exit code {EXIT_INTERRUPTED} (interrupted)"
            logger.warning("Ctrl+C while stopping: no longer waiting for the workers' last reports (requests made "
                           "since their last report may go uncounted); the statistics, reports and the points so "
                           "far are still written%s. Ctrl+C once more exits at once", code)
        else:
            logger.warning("Ctrl+C a third time: exiting at once (exit code %d); points not yet written to InfluxDB "
                           "or the spool are lost", EXIT_INTERRUPTED)
            os._exit(EXIT_INTERRUPTED)

    gevent.signal_handler(signal.SIGINT, on_sigint)
