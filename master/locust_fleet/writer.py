"""Batches points to InfluxDB without ever losing them: what cannot be written now (InfluxDB down,
slow or failing) goes to the on-disk spool and is replayed, oldest first, before anything newer.

`submit` only appends (it runs in Locust's event handlers); `flush` does the I/O and is called by
one greenlet at a time (see export_service.py), so writes are sequential and keep their order.

Counters, in points: queued (submitted), written (acknowledged by InfluxDB, replays included),
replayed (the part of written that came from the spool), retried (failed with an error a retry can
fix, hence spooled), spooled (put on disk), dropped (rejected by InfluxDB as invalid, or pushed out
of a full spool). Once a final flush succeeds: queued + points found in the spool at start =
written + dropped + points still in the spool.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .influx_client import InfluxClient, PermanentError, RetryableError
from .lineproto import Point, encode_point
from .spool import Spool

logger = logging.getLogger(__name__)

COUNTERS = ("queued", "written", "retried", "spooled", "replayed", "dropped")


class Writer:
    def __init__(self, client: InfluxClient, spool: Spool, batch_size: int = 5000,
                 max_buffered: int = 200_000) -> None:
        self.client = client
        self.spool = spool
        self.batch_size = batch_size
        self.max_buffered = max_buffered
        self.buffer: list[Point] = []
        self.inflight: list[tuple[bytes, int]] = []  # encoded batches taken from the buffer, not yet settled
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.outage_errors: list[str] = []  # distinct errors of the current outage, each logged once
        self._spool_dropped_seen = spool.dropped_points

    @property
    def down_since(self) -> str | None:
        """The error that started the current outage; None while InfluxDB answers."""
        return self.outage_errors[0] if self.outage_errors else None

    # -- called from event handlers: cheap, no I/O -------------------------------------------
    def submit(self, points: Iterable[Point]) -> None:
        points = list(points)
        self.buffer.extend(points)
        self.counters["queued"] += len(points)
        if len(self.buffer) > self.max_buffered:
            # InfluxDB is slower than the master produces: memory stays bounded, the disk takes it.
            excess = len(self.buffer) - self.max_buffered
            overflow, self.buffer = self.buffer[:excess], self.buffer[excess:]
            for body, n in self._encode(overflow):
                self._to_spool(body, n)

    # -- called by the flusher greenlet: blocking I/O ------------------------------------------
    def flush(self) -> None:
        taken, self.buffer = self.buffer, []
        self.inflight.extend(self._encode(taken))
        healthy = self._replay()
        while self.inflight:
            body, n = self.inflight[0]
            if healthy:
                healthy = self._write(body, n, replay=False)
            else:
                self._to_spool(body, n)  # keep the order: older batches are waiting on disk
            self.inflight.pop(0)

    def spool_rest(self) -> None:
        """After an interrupted final flush: whatever was not written goes to disk."""
        for body, n in self.inflight:
            self._to_spool(body, n)
        self.inflight.clear()
        for body, n in self._encode(self.buffer):
            self._to_spool(body, n)
        self.buffer.clear()

    def _replay(self) -> bool:
        for batch_id in self.spool.pending():
            body = self.spool.read(batch_id)
            if not self._write(body, body.count(b"\n"), replay=True):
                return False
            self.spool.remove(batch_id)
        return True

    def _write(self, body: bytes, n: int, replay: bool) -> bool:
        """True when the batch is settled (written, or dropped as invalid)."""
        try:
            self.client.write(body)
        except RetryableError as e:
            if not replay:
                self.counters["retried"] += n
                self._to_spool(body, n)
            if not self.outage_errors:
                logger.warning("%s; points go to the spool in %s and are replayed when it is back", e,
                               self.spool.dir)
            elif str(e) not in self.outage_errors:  # the outage changed its nature (slow, then 500s)
                logger.warning("%s; still spooling", e)
            if str(e) not in self.outage_errors:
                self.outage_errors.append(str(e))
            return False
        except PermanentError as e:
            self.counters["dropped"] += n
            logger.error("InfluxDB rejected %d points, dropped: %s", n, e)
            return True
        self.counters["written"] += n
        if replay:
            self.counters["replayed"] += n
        if self.outage_errors:
            logger.info("InfluxDB is back; writing again")
            self.outage_errors = []
        return True

    def _to_spool(self, body: bytes, n: int) -> None:
        self.spool.append(body)
        self.counters["spooled"] += n
        dropped = self.spool.dropped_points - self._spool_dropped_seen
        if dropped:
            self._spool_dropped_seen = self.spool.dropped_points
            self.counters["dropped"] += dropped
            logger.error("the spool in %s is full: dropped its %d oldest points", self.spool.dir, dropped)

    def _encode(self, points: list[Point]) -> list[tuple[bytes, int]]:
        batches, lines = [], []
        for point in points:
            try:
                lines.append(encode_point(point))
            except ValueError as e:
                self.counters["dropped"] += 1
                logger.error("dropped a point that cannot be written: %s", e)
                continue
            if len(lines) == self.batch_size:
                batches.append((("\n".join(lines) + "\n").encode(), len(lines)))
                lines = []
        if lines:
            batches.append((("\n".join(lines) + "\n").encode(), len(lines)))
        return batches
