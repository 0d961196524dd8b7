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
with SIGINT ignored (a background job of a script) keeps ignoring it, as the shell meant.
"""

import signal
import time

import gevent
from greenlet import greenlet

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


def install() -> None:
    """Called from Locust's init event, which runs in Locust's main greenlet."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return
    main = greenlet.getcurrent()
    hub = gevent.get_hub()

    def on_sigint() -> None:
        note_stop_signal()
        hub.loop.run_callback(main.throw, KeyboardInterrupt)

    gevent.signal_handler(signal.SIGINT, on_sigint)
