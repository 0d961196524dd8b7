"""Batches points to InfluxDB without ever losing them: what cannot be written now (InfluxDB down,
slow or failing) goes to the on-disk spool and is replayed, oldest first, before anything newer.

`submit` only appends (it runs in Locust's event handlers); `flush` does the I/O and is called by
one greenlet at a time (see export_service.py), so writes are sequential and keep their order.

A batch the server refuses loses none of its other points: the refused lines are found (InfluxDB
3 names the first one and writes none of the batch; 1.x and 2.x write the others and do not say
which, so the batch is halved until each refused line stands alone: rewriting an accepted point is
harmless, the same series and time overwrite it) and kept in the spool's refused/ with the
server's reason, logged once per reason; the others are written.

While the server refuses the credentials or the database is missing, nothing is written and
nothing is lost: batches wait in the spool, the error is logged once.

Counters, in points: queued (submitted), written (acknowledged by InfluxDB, replays included),
replayed (the part of written that came from the spool), retried (failed with an error a retry can
fix, hence spooled), spooled (put on disk), refused (refused by the server, kept in the spool's
refused/), dropped (not encodable as line protocol, or pushed out of a full spool). Once a final
flush succeeds: queued + points found in the spool at start = written + refused + dropped + points
still in the spool.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .influx_client import AuthError, DatabaseNotFound, InfluxClient, PermanentError, RetryableError, WriteRefused
from .lineproto import Point, encode_point
from .model import EXPORTER_COUNTERS
from .spool import Spool

logger = logging.getLogger(__name__)

COUNTERS = EXPORTER_COUNTERS


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
        self.refusals_logged: set[str] = set()
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
                healthy = self._write(body, replay=False) is None
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
            rest = self._write(body, replay=True)
            if rest is not None:
                if rest != body:
                    self.spool.replace(batch_id, rest)
                return False
            self.spool.remove(batch_id)
        return True

    def write_once(self, body: bytes) -> bool:
        """Writes one batch that is kept elsewhere (no spooling when it fails); True when settled."""
        return self._write(body, replay=True) is None

    def _write(self, body: bytes, replay: bool) -> bytes | None:
        """Writes a batch; returns None when it is settled (written, its refused lines kept apart),
        else the part still to write, which a new batch puts in the spool (a replayed one is
        already there)."""
        pending = [body]
        while pending:
            chunk = pending.pop(0)
            n = chunk.count(b"\n")
            try:
                self.client.write(chunk)
            except WriteRefused as e:
                pending[:0] = self._isolate(chunk, e)
                continue
            except (RetryableError, AuthError, DatabaseNotFound) as e:
                rest = b"".join([chunk, *pending])
                self._outage(e, rest.count(b"\n"), replay)
                if not replay:
                    self._to_spool(rest, rest.count(b"\n"))
                return rest
            except PermanentError as e:  # the request itself, not its data: keep it with the reason
                self._refuse(chunk, str(e))
                continue
            self.counters["written"] += n
            if replay:
                self.counters["replayed"] += n
            if self.outage_errors:
                logger.info("InfluxDB is back; writing again")
                self.outage_errors = []
        return None

    def _isolate(self, chunk: bytes, e: WriteRefused) -> list[bytes]:
        """What is left to write of a refused chunk, its refused line kept apart when known."""
        lines = chunk.splitlines(keepends=True)
        if len(lines) == 1:
            self._refuse(chunk, e.reason)
            return []
        if e.line is not None and 1 <= e.line <= len(lines):
            self._refuse(lines[e.line - 1], e.reason)
            return [b"".join(lines[:e.line - 1] + lines[e.line:])]
        half = len(lines) // 2
        return [b"".join(lines[:half]), b"".join(lines[half:])]

    def _refuse(self, lines: bytes, reason: str) -> None:
        n = lines.count(b"\n")
        self.spool.refuse(lines, reason)
        self.counters["refused"] += n
        if reason not in self.refusals_logged:
            self.refusals_logged.add(reason)
            measurement = lines.split(b",", 1)[0].split(b" ", 1)[0].decode(errors="replace")
            logger.error("InfluxDB refused %d point%s of %s: %s; kept with the reason in %s (`locust-fleet spool "
                         "list` shows them, `spool replay` writes them once the cause is fixed)", n,
                         "" if n == 1 else "s", measurement, reason, self.spool.refused.dir)

    def _outage(self, e: Exception, n: int, replay: bool) -> None:
        if not replay and isinstance(e, RetryableError):
            self.counters["retried"] += n
        if not self.outage_errors:
            if isinstance(e, RetryableError):
                logger.warning("%s; points go to the spool in %s and are replayed when it is back", e, self.spool.dir)
            else:  # refused credentials, a missing database: the server is there but will not take them
                logger.error("%s; points wait in the spool in %s until it accepts them", e, self.spool.dir)
        elif str(e) not in self.outage_errors:  # the outage changed its nature (slow, then 500s)
            logger.warning("%s; still spooling", e)
        if str(e) not in self.outage_errors:
            self.outage_errors.append(str(e))

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
