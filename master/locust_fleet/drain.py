"""Makes the last seconds of a test count.

boomer reports every 3 s and only while its users run: what they measured since the last report is
dropped when a stop arrives. So before the master stops, every worker is sent to zero users and
the master waits for the report that shows it idle; only then does Locust's own stop go out.
"""

import logging
import time
from collections.abc import Iterable
from typing import Any

import gevent
from locust.rpc import Message
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner

from py_bridge.reports import is_idle_report

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


class Drainer:
    """Sends the zero-user spawn and waits, on the gevent loop, for the idle reports."""

    def __init__(self, runner: MasterRunner, timeout: float) -> None:
        self.runner = runner
        self.timeout = timeout
        self.tracker: DrainTracker | None = None

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        if self.tracker is not None:
            self.tracker.on_report(client_id, data)

    def drain(self, **_kw: Any) -> None:
        runner = self.runner
        if gevent.getcurrent() in runner.greenlet:
            # Locust stops from its own message or heartbeat loop when the last worker has left;
            # no report could arrive while that loop waits here, and there is nobody to drain.
            return
        workers = [c.id for c in runner.clients.all if c.state in (STATE_RUNNING, STATE_SPAWNING)]
        if not workers:
            return
        started = time.monotonic()
        self.tracker = DrainTracker(workers)
        try:
            self._send_zero_users(workers)
            self._wait(started + self.timeout)
        finally:
            tracker, self.tracker = self.tracker, None
        if tracker.pending:
            logger.warning(
                "Stopped without the last report of %d worker(s) after %.0f s (--drain-timeout): %s",
                len(tracker.pending), self.timeout, ", ".join(sorted(tracker.pending)),
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
            self.runner.server.send_to_client(Message("spawn", data, worker_id))

    def _wait(self, deadline: float) -> None:
        assert self.tracker is not None
        while not self.tracker.done and time.monotonic() < deadline:
            for worker_id in list(self.tracker.pending):
                client = self.runner.clients.get(worker_id)
                if client is None or client.state == STATE_MISSING:
                    self.tracker.forget(worker_id)
            gevent.sleep(0.1)
