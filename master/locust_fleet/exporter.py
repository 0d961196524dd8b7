"""Follows the master through a test run and hands points to the writer: one interval of merged
figures every --influxdb-interval seconds, the run record at start and stop, and events.

An interval's points are written rates.SETTLE_S after its end, once the reports with its last
seconds are in (rates.py), and at once when the run stops. Reports that come after the stop (see
take_late_reports) are the stopped run's too.

Everything here runs on the gevent loop and only computes and appends; the writer does the I/O
in its own greenlet, so a slow or absent InfluxDB never delays the master.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, MasterRunner

from .intervals import Interval, IntervalAccumulator, RunFigures
from .lineproto import Point
from .options import ExporterConfig
from .points import (WorkerSnapshot, error_points, event_point, request_points, run_point, user_points,
                     worker_points)
from .rates import SETTLE_S, SecondBins
from .run_record import Run, new_run_id, redact_url
from .stats_reset import ANSWER_WITHIN_S

logger = logging.getLogger(__name__)


# Workers may stamp their last request in whole seconds, rounded either way.
CLOCK_TOLERANCE_S = 1.0
# Events kept for the next run while none runs (a long-lived master whose workers come and go for
# days between tests): the newest are kept.
PENDING_EVENTS_KEPT = 1000


def ns(seconds: float) -> int:
    return int(seconds * 1e9)


@dataclass
class Flushed:
    """An interval whose reports are in, waiting for its seconds to settle (see rates.py)."""

    interval: Interval
    start: int  # its seconds: [start, end)
    end: int
    at: float  # the flush time, the points' timestamp
    elapsed_s: float
    workers: dict[str, WorkerSnapshot]
    users: dict[str, int]


@dataclass
class BeforeReset:
    """The figures before a stats reset, written once the workers cut at it have reported what they
    sent before it (stats_reset.py), or at `due`."""

    workers: set[str]
    flushed: list[Flushed]  # its last one takes the workers' late reports
    bins: SecondBins
    due: float


class Exporter:
    def __init__(self, runner: MasterRunner, config: ExporterConfig, submit: Callable[[list[Point]], None],
                 now: Callable[[], float] = time.time) -> None:
        self.runner = runner
        self.config = config
        self.submit = submit
        self.now = now
        self.accumulator = IntervalAccumulator()
        self.bins = SecondBins(now())
        self.flushed: list[Flushed] = []
        self.seconds_from = int(now())  # the first second of the next interval's counts
        self.run: Run | None = None
        self.stopped_run: Run | None = None  # the last run that stopped, until the next one starts
        self.run_figures = RunFigures()
        self.last_flush = now()
        self.last_run_id = ""
        self.known_workers: set[str] = set()
        self.missing_workers: set[str] = set()
        # Events while no run is under way (before the first, between two): the next run's.
        self.pending_events: deque[tuple[str, str, float, str]] = deque(maxlen=PENDING_EVENTS_KEPT)
        self.asked_users = 0  # the user count the run was last given (at its start or an edit)
        self.before_resets: dict[int, BeforeReset] = {}  # by reset number, until written

    # -- Locust events -------------------------------------------------------------------------
    def on_test_start(self, environment, **_kw: Any) -> None:
        self.take_late_reports()
        self.stopped_run = None
        started = self.now()
        self.flush_interval(started)  # what came before the run belongs to no run
        options = environment.parsed_options
        # The web UI's start form sets it per run: emptied there, the run has none, not the command line's.
        description = getattr(options, "run_description", self.config.description)
        self.run = Run(
            run_id=new_run_id(started), started=started,
            users=int(self.runner.target_user_count or 0), spawn_rate=float(self.runner.spawn_rate or 0),
            host=redact_url(environment.host or ""), locustfile=str(getattr(options, "locustfile", "") or ""),
            description=description, tags=self.config.run_tags,
        )
        self.last_run_id = self.run.run_id
        self.asked_users = self.run.users
        self.run_figures = RunFigures()
        self.bins = SecondBins(started)
        self.flushed = []
        self.seconds_from = int(started)
        logger.info("Run %s started; exporting to %s database %s", self.run.run_id, self.config.url,
                    self.config.database)
        events = [event_point(self.run.run_id, kind, text, ns(at), worker)
                  for kind, text, at, worker in self.pending_events]
        self.pending_events.clear()
        self.submit([run_point(self.run, None), *events,
                     event_point(self.run.run_id, "start",
                                 f"Test started: {self.run.users} users at {self.run.spawn_rate:g}/s",
                                 ns(started), users=self.run.users)])

    def on_new_user_count(self, user_count: int, spawn_rate: float) -> None:
        """The running test given a new user count or spawn rate (the web UI's Edit form, a shape's
        next stage; see follow_new_user_counts). The record's spawn_rate is the last rate given, as
        its users are what the run ended with; each change is an event, so the rates in order are
        the start event's and these."""
        if self.run is None or (user_count, spawn_rate) == (self.asked_users, self.run.spawn_rate):
            return  # a rebalance (Locust starts again with the same figures)
        self.asked_users, self.run.spawn_rate = user_count, float(spawn_rate)
        self.submit([run_point(self.run, None)])
        self.event("users_changed", f"Users changed: {user_count} users at {spawn_rate:g}/s", users=user_count)

    def reported_users(self) -> int:
        """The users the workers say they run (their spawning_complete messages and reports)."""
        return int(sum(self.runner.reported_user_classes_count.values()))

    def on_spawning_complete(self, user_count: int, **_kw: Any) -> None:
        """Locust's count is the one it dispatched: a worker that died since it last beat (not yet
        marked missing) was given its share and never ran it, and Locust still fired "9 users"
        for the 6 that ran. The record's users and peak are the users the workers report."""
        if self.run is None:
            return
        running = self.reported_users()
        self.run.users = running
        self.run.peak_users = max(self.run.peak_users, running)
        text = (f"All {user_count} users spawned" if running == user_count
                else f"Spawning of {user_count} users complete; the workers report {running}")
        self.event("spawning_complete", text, users=running)

    def on_test_stopping(self, **_kw: Any) -> None:
        """Runs before the drain sends every worker to zero users (plugin.py): the run ends with
        the users the workers run now. A run stopped while still spawning (a run time shorter than
        the ramp-up, Stop during a ramp) never completed a spawn, and the record showed the count
        it was heading for as its end (100 for a run that reached 20); one whose last spawn was
        answered late, or not by every worker, showed Locust's dispatched count."""
        if self.run is not None:
            self.run.users = self.reported_users()
            self.run.peak_users = max(self.run.peak_users, self.run.users)

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        self.accumulator.add_report(client_id, data)
        self.bins.add_report(client_id, data, self.now())

    def on_test_stop(self, **_kw: Any) -> None:
        if self.run is None:
            return
        for number in list(self.before_resets):
            self.write_before_reset(number)
        stopped = self.now()
        self.flush_interval(stopped)
        self.emit_settled(None)  # after the drain every report is in
        self.run.stopped = stopped
        self.note_active_time()
        total = self.run_figures.total
        self.submit([run_point(self.run, self.run_figures),
                     event_point(self.run.run_id, "stop",
                                 f"Test stopped: {total.requests} requests, {total.failures} failures",
                                 ns(stopped))])
        logger.info("Run %s stopped: %d requests, %d failures", self.run.run_id, total.requests, total.failures)
        self.stopped_run, self.run = self.run, None

    def note_active_time(self) -> None:
        """Locust's span from the start of its statistics to the last request, when it can be true.
        Locust keeps the latest last-request time any worker names, by the worker's clock: a worker
        whose clock is ahead made a run of seconds seem to last hours (and its requests/s tiny),
        one behind made it last less than nothing; then the run's own duration is taken instead."""
        assert self.run is not None
        stats = self.runner.stats
        if not (stats.last_request_timestamp and stats.start_time):
            return
        active = stats.last_request_timestamp - stats.start_time
        lasted = self.now() - self.run.started
        self.run.active_s = active if 0 < active <= lasted + CLOCK_TOLERANCE_S else None

    def take_late_reports(self) -> None:
        """Reports that came after the run stopped: a Locust Python worker sends the last requests
        of its users after it answered the stop when no drain waited for them (--drain-timeout 0,
        or a drain that timed out). Locust merges them into the statistics it shows and writes
        until the next test starts, so they are the stopped run's too: written as its last interval,
        with its record written again (same time and tags: InfluxDB keeps the new figures)."""
        late = self.accumulator.current
        if self.run is not None or self.stopped_run is None or not (late.total.requests or late.errors):
            return
        self.run = self.stopped_run
        try:
            self.flush_interval(self.now())
            self.emit_settled(None)
            self.note_active_time()
            self.submit([run_point(self.run, self.run_figures)])
            logger.info("Run %s: %d requests reported after its stop are added to it; now %d requests, %d failures",
                        self.run.run_id, late.total.requests, self.run_figures.total.requests,
                        self.run_figures.total.failures)
        finally:
            self.run = None

    # -- stats resets (a follower of stats_reset.StatsReset) --------------------------------------
    def on_reset(self, number: int, workers: frozenset[str]) -> None:
        """Stats reset NUMBER: the run's figures start again, as Locust's do (the run record's totals
        and percentiles are those after the last reset, and so are the interval points after its
        event). What came before it is written once WORKERS, cut at it, have sent what they
        measured before it (their last reports, and the requests in flight at the reset)."""
        if self.run is None:
            return
        now = self.now()
        self.flush_interval(now)
        before = BeforeReset(set(workers), self.flushed, self.bins, now + ANSWER_WITHIN_S)
        self.flushed = []
        self.run_figures = RunFigures()
        self.bins = SecondBins(now)
        # A microsecond after the figures before it, which are stamped with the reset's time.
        self.event("stats_reset", "Statistics reset", at=now + 1e-6)
        self.before_resets[number] = before
        if not before.workers:
            self.write_before_reset(number)

    def on_report_before_reset(self, client_id: str, number: int, data: dict[str, Any]) -> None:
        before = self.before_resets.get(number)
        if before is not None and client_id in before.workers and before.flushed:
            before.flushed[-1].interval.add_report(client_id, data)
            before.bins.add_report(client_id, data, self.now())

    def on_cut_over(self, client_id: str, number: int) -> None:
        before = self.before_resets.get(number)
        if before is not None:
            before.workers.discard(client_id)
            if not before.workers:
                self.write_before_reset(number)

    def write_before_reset(self, number: int) -> None:
        """Writes the figures before stats reset NUMBER (stamped before its event)."""
        before = self.before_resets.pop(number)
        if self.run is not None:
            self.write_intervals(before.flushed, before.bins, None)

    def on_message(self, client_id: str, msg_type: str) -> None:
        """Called for every inbound worker message (see inbound.py)."""
        if msg_type == "client_ready" and client_id not in self.known_workers:
            self.known_workers.add(client_id)
            self.event("worker_joined", f"Worker {client_id} joined", worker=client_id)
        elif msg_type == "quit" and client_id in self.known_workers:
            self.known_workers.discard(client_id)
            self.event("worker_quit", f"Worker {client_id} quit", worker=client_id)

    # -- ticks ---------------------------------------------------------------------------------
    def tick(self) -> None:
        """Called about once a second: notices missing workers, flushes when an interval is due."""
        self.take_late_reports()
        for worker in self.runner.clients.all:
            if worker.state == STATE_MISSING and worker.id not in self.missing_workers:
                self.missing_workers.add(worker.id)
                self.event("worker_missing", f"Worker {worker.id} missed its heartbeats", worker=worker.id)
            elif worker.state != STATE_MISSING:
                self.missing_workers.discard(worker.id)
        if self.run is not None:  # users that never completed a spawn (a shape stepping on) count too
            self.run.peak_users = max(self.run.peak_users, self.reported_users())
        now = self.now()
        for number in [n for n, before in self.before_resets.items() if now >= before.due]:
            self.write_before_reset(number)  # a worker cut at it that never answered
        if now - self.last_flush >= self.config.interval:
            self.flush_interval(now)
        self.emit_settled(now - SETTLE_S)

    def event(self, kind: str, text: str, worker: str = "", users: int = 0, at: float | None = None) -> None:
        """An event of the run under way (at AT, default now); one between runs (a worker joining
        after a stop) is the next run's, written when it starts with its own time: it belongs to no
        stopped run."""
        at = self.now() if at is None else at
        if self.run is None:
            self.pending_events.append((kind, text, at, worker))
            return
        self.submit([event_point(self.run.run_id, kind, text, ns(at), worker, users)])

    def flush_interval(self, now: float) -> None:
        interval = self.accumulator.swap()
        self.last_flush = now
        if self.run is None:
            return
        self.run_figures.add(interval)
        # whole seconds, at least one (an --influxdb-interval below 1 s gets one second per interval)
        start, end = self.seconds_from, max(int(now), self.seconds_from + 1)
        self.seconds_from = end
        workers = {w.id: WorkerSnapshot(w.state, w.cpu_usage, w.memory_usage, w.user_count)
                   for w in self.runner.clients.all}
        self.flushed.append(Flushed(interval, start, end, now, float(now - self.run.started),
                                    workers, dict(self.runner.reported_user_classes_count)))

    def emit_settled(self, ended_by: float | None) -> None:
        """Writes the flushed intervals that ended by `ended_by` (all when None) with their seconds."""
        self.write_intervals(self.flushed, self.bins, ended_by)

    def write_intervals(self, flushed: list[Flushed], bins: SecondBins, ended_by: float | None) -> None:
        """Writes the intervals of FLUSHED that ended by `ended_by` (all when None), their counts
        taken from BINS."""
        while flushed and self.run is not None and (ended_by is None or flushed[0].at <= ended_by):
            done = flushed.pop(0)
            last = ended_by is None and not flushed
            counts = bins.take(None if last else done.end)
            seconds = float(done.end - done.start)
            at = ns(done.at)
            run_id = self.run.run_id
            self.submit([
                *request_points(run_id, done.interval, counts, seconds, at, done.elapsed_s),
                *user_points(run_id, done.users, at),
                *worker_points(run_id, done.interval, counts, done.workers, seconds, at),
                *error_points(run_id, done.interval, at),
            ])


def follow_new_user_counts(runner: MasterRunner, exporter: Exporter) -> None:
    """Locust fires no event when the running test gets a new user count or spawn rate: its start is
    called again (the web UI's Edit form, a shape's next stage, and its own rebalances with the
    same figures). Install before run_phases.install, so that only the starts that reach Locust's
    are seen (not one that waits for a stop, which is a new test)."""
    start = runner.start

    def start_and_tell(user_count: int, spawn_rate: float, *args: Any, **kwargs: Any) -> None:
        # As Locust's start: a new count for the test under way, dropped when no worker is ready.
        clients = runner.clients
        if runner.state in (STATE_SPAWNING, STATE_RUNNING) and (clients.ready or clients.running or clients.spawning):
            exporter.on_new_user_count(user_count, spawn_rate)
        start(user_count, spawn_rate, *args, **kwargs)

    runner.start = start_and_tell  # type: ignore[method-assign]
