"""Makes the last seconds of a test count, however the test ends.

boomer reports every 3 s and only while its users run: what they measured since the last report is
dropped when a stop arrives. So before the master stops, every worker is sent to zero users and
the master waits for the report that shows it idle; only then does Locust's own stop go out.

Every stop of a Locust master passes through `test_stopping` (the run time, the web UI's stop,
a shape's end, SIGTERM and SIGINT, the quitting event), so the drain listens there. From the moment
a drain begins until the next test starts, the master sends workers no spawn but the drain's own:
a shape that ticks on, or a ramp-up still under way, would otherwise start users again whose
requests Locust's stop would then drop.
"""

import logging
import time
from collections.abc import Iterable
from typing import Any

import gevent
from gevent.event import Event
from locust.rpc import Message
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner

from py_bridge.reports import is_idle_report

from . import interrupt

logger = logging.getLogger(__name__)


class DrainTracker:
    """Which workers still owe the idle report that proves their last requests were counted."""

    def __init__(self, worker_ids: Iterable[str]) -> None:
        self.pending = set(worker_ids)

    def on_report(self, client_id: str, data: dict[str, Any]) -> None:
        if client_id in self.pending and is_idle_report(data):
            self.pending.discard(client_id)

    def forget(self, client_id: str) -> None:
        """A worker that went missing or quit cannot report any more."""
        self.pending.discard(client_id)

    @property
    def done(self) -> bool:
        return not self.pending


class SpawnGate:
    """Holds back the master's spawn messages while a stop is under way (see the module's text).
    It wraps the server's send, which Locust replaces when it resets its connection."""

    def __init__(self, runner: MasterRunner) -> None:
        self.runner = runner
        self.closed = False
        self.held = 0
        self._own: Message | None = None
        self._wrap_server()
        reset = runner.reset_connection

        def reset_connection() -> None:
            reset()
            self._wrap_server()

        runner.reset_connection = reset_connection  # type: ignore[method-assign]

    def _wrap_server(self) -> None:
        server = self.runner.server
        send = server.send_to_client

        def send_to_client(msg: Message) -> None:
            if self.closed and msg.type == "spawn" and msg is not self._own:
                self.held += 1
                logger.debug("Held back a spawn to %s: the test is stopping", msg.node_id)
                return
            send(msg)

        server.send_to_client = send_to_client  # type: ignore[method-assign]

    def send_own(self, msg: Message) -> None:
        self._own = msg
        try:
            self.runner.server.send_to_client(msg)
        finally:
            self._own = None

    def open(self, **_kw: Any) -> None:
        self.closed = False


class Drainer:
    """Sends the zero-user spawn and waits, on the gevent loop, for the idle reports.

    `timeout` bounds the wait after the zero-user spawn; Locust's --stop-timeout is added to it,
    since Python workers give their users that long to finish before they report idle."""

    def __init__(self, runner: MasterRunner, timeout: float) -> None:
        self.runner = runner
        self.timeout = timeout
        self.tracker: DrainTracker | None = None
        self.gate = SpawnGate(runner)
        self.finished: Event | None = None
        # Locust's own loops (worker messages, heartbeats, CPU monitor) run in the runner's group
        # from its start; a stop called from one of them must not wait there, since no report
        # could arrive meanwhile. Greenlets added later (a shape's) may wait.
        self.loops = set(runner.greenlet)

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        if self.tracker is not None:
            self.tracker.on_report(client_id, data)

    def on_test_start(self, **_kw: Any) -> None:
        self.gate.open()

    def drain(self, **_kw: Any) -> None:
        if self.finished is not None:
            # A second stop while the first one drains (a shape's end during SIGTERM's drain):
            # it goes on only once the workers' last reports are in.
            if gevent.getcurrent() not in self.loops:
                self.finished.wait()
            return
        self.gate.closed = True
        if gevent.getcurrent() in self.loops:
            # The last worker left, so there is nobody to drain (a Go worker that quits reports
            # its last requests first).
            return
        runner = self.runner
        workers = [c.id for c in runner.clients.all if c.state in (STATE_RUNNING, STATE_SPAWNING)]
        if not workers:
            return
        started = time.monotonic()
        self.tracker = DrainTracker(workers)
        self.finished = Event()
        bound = self.timeout + float(runner.environment.stop_timeout or 0)
        try:
            self._send_zero_users(workers)
            self._wait(started + bound)
        finally:
            tracker, self.tracker = self.tracker, None
            self.finished.set()
            self.finished = None
        if tracker.pending:
            logger.warning(
                "Stopped without the last report of %d worker(s) after %.1f s (%s): %s",
                len(tracker.pending), time.monotonic() - started,
                "Ctrl+C while stopping" if interrupt.hurried() else f"--drain-timeout {bound:g} s",
                ", ".join(sorted(tracker.pending)),
            )
        else:
            logger.info("Drained %d worker(s) in %.1f s; their last requests are counted",
                        len(workers), time.monotonic() - started)

    def _send_zero_users(self, workers: list[str]) -> None:
        data = {
            "timestamp": time.time(),
            "user_classes_count": {cls.__name__: 0 for cls in self.runner.user_classes},
            "host": self.runner.environment.host,
            "stop_timeout": self.runner.environment.stop_timeout,
            "parsed_options": vars(self.runner.environment.parsed_options)
            if self.runner.environment.parsed_options else {},
        }
        for worker_id in workers:
            self.gate.send_own(Message("spawn", data, worker_id))

    def _wait(self, deadline: float) -> None:
        assert self.tracker is not None
        while not self.tracker.done and time.monotonic() < deadline and not interrupt.hurried():
            for worker_id in list(self.tracker.pending):
                client = self.runner.clients.get(worker_id)
                if client is None or client.state == STATE_MISSING:
                    self.tracker.forget(worker_id)
            gevent.sleep(0.1)
