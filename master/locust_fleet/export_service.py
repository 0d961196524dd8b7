"""Starts and stops the InfluxDB export inside a running master: checks the server at start-up,
runs the two greenlets (a 1 s tick for the exporter, a flusher for the writer) and makes the final
flush at quit, bounded in time."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import gevent
from gevent.pool import Group
from locust.env import Environment
from locust.runners import STATE_INIT, STATE_STOPPED, MasterRunner

from . import spool
from .exporter import Exporter, ns
from .influx_client import (InfluxClient, MissingRetentionPolicy, NoHttpAnswer, PermanentError, RetryableError,
                            ServerInfo, WrongServer, kind_name)
from .looplag import LoopLag
from .options import ExporterConfig
from .points import exporter_point
from .writer import Writer

logger = logging.getLogger(__name__)

FINAL_FLUSH_TIMEOUT = 15.0


class ExportService:
    def __init__(self, environment: Environment, config: ExporterConfig, lag: LoopLag | None = None) -> None:
        self.environment = environment
        self.runner: MasterRunner = environment.runner  # type: ignore[assignment]
        self.config = config
        self.client = InfluxClient(config.url, config.database, config.username, config.password, config.token,
                                   config.ca_file, config.timeout, config.server)
        self.destination = spool.Destination.of(config.url, config.database, config.username, config.token)
        self.spool = spool.for_destination(config.spool_dir, self.destination)
        self.writer = Writer(self.client, self.spool)
        self.exporter = Exporter(self.runner, config, self.writer.submit)
        self.greenlets = Group()
        self.lag = lag
        self.counters_after_flush: dict[str, int] = {}

    def check_server(self) -> None:
        """Fail fast on what a retry cannot fix (credentials, database, a server that is not
        InfluxDB): raises PermanentError, whose message names the option. Only warns when the
        server is unreachable or does not answer."""
        try:
            server = self.client.ping()
            self._log_server(server)
            database = self.client.ensure_database()
            if database == "created":
                logger.info("Created InfluxDB database %r at %s", self.config.database, self.config.url)
            elif database == "first write":
                logger.info("Database %r does not exist yet on %s; the first write creates it",
                            self.config.database, server)
        except NoHttpAnswer as e:  # at start-up nothing is restarting: the server speaks another protocol
            raise WrongServer(str(e)) from None
        except MissingRetentionPolicy as e:  # no retry makes it; only an admin does
            raise PermanentError(str(e)) from None
        except RetryableError as e:
            logger.warning("%s; the test runs anyway and points are spooled in %s until it answers", e,
                           self.spool.dir.absolute())
        self.log_spool()

    def log_spool(self) -> None:
        """Says what waits in the spool: this destination's batches are replayed first, any other
        destination's are kept for a master of theirs (or `locust-fleet spool`)."""
        root = Path(self.config.spool_dir).absolute()
        for held in spool.held(root):
            if held.spool_id == self.destination.key:
                logger.info("The spool in %s holds %s from an earlier master; replaying them first", root,
                            held.describe())
            else:
                logger.warning("The spool in %s holds %s, not this master's %s; kept, not replayed here. "
                               "`locust-fleet spool list --spool-dir %s` lists them; `locust-fleet spool replay` "
                               "or `discard` acts on them", root, held.describe(), self.destination, root)

    def start(self) -> None:
        events = self.environment.events
        events.test_start.add_listener(self.exporter.on_test_start)
        events.spawning_complete.add_listener(self.exporter.on_spawning_complete)
        events.worker_report.add_listener(self.exporter.on_worker_report)
        events.test_stop.add_listener(self.exporter.on_test_stop)
        events.test_stop.add_listener(self._log_counters)
        events.quitting.add_listener(self.on_quitting)
        self.greenlets.spawn(self._tick_loop)
        self.greenlets.spawn(self._flush_loop)

    def _log_server(self, server: ServerInfo) -> None:
        """What answered (as /ping says) and, when --influxdb-server named a kind, what was asked: the two
        differ behind a proxy that answers /ping itself, or when the option is wrong."""
        asked = f"--influxdb-server {server.kind}"
        if self.config.server == "auto":
            logger.info("InfluxDB at %s is %s", self.config.url, server)
        elif server.answered == server.kind:
            logger.info("InfluxDB at %s is %s (%s)", self.config.url, server, asked)
        elif server.answered is None:
            logger.info("InfluxDB at %s is %s by its /ping, a version of no kind this client knows; used as %s (%s)",
                        self.config.url, server, kind_name(server.kind), asked)
        else:
            logger.warning("InfluxDB at %s is %s, used as %s (%s; auto goes by what /ping says)",
                           self.config.url, server, kind_name(server.kind), asked)

    def _tick_loop(self) -> None:
        while True:
            gevent.sleep(1.0)
            self.exporter.tick()

    def _flush_loop(self) -> None:
        while True:
            gevent.sleep(self.config.interval)
            self.flush()

    def flush(self) -> None:
        run_id = self.exporter.last_run_id
        health = self.lag.take_interval() if self.lag else {}
        # Between runs, only while the writer still moves points (the stopped run's last ones, a
        # spool replayed): an idle master wrote one every interval for hours, in the stopped run.
        if run_id and (self.exporter.run is not None or self.writer.counters != self.counters_after_flush):
            self.writer.submit([exporter_point(run_id, self.writer.counters, ns(time.time()), health)])
        started = time.monotonic()
        self.writer.flush()
        self.counters_after_flush = dict(self.writer.counters)
        took = time.monotonic() - started
        if took > self.config.interval:
            logger.warning("Writing to InfluxDB took %.1f s, longer than --influxdb-interval (%g s)", took,
                           self.config.interval)

    def _log_counters(self, **_kw) -> None:
        logger.info("InfluxDB export (points): %s", ", ".join(f"{k} {v}" for k, v in self.writer.counters.items()))

    def on_quitting(self, **_kw) -> None:
        # Locust quits listeners in reverse order, so this runs before the runner's own quit: stop
        # the test first (drain, final interval, run record), then write everything out.
        if self.runner.state not in (STATE_INIT, STATE_STOPPED):
            self.runner.stop()
        self.greenlets.kill(block=False)
        self.exporter.take_late_reports()
        with gevent.Timeout(FINAL_FLUSH_TIMEOUT, False):
            self.flush()
        self.writer.spool_rest()
        self._log_counters()
        if self.spool.pending():
            logger.warning("%d batches for %s wait in the spool %s; a master started with the same "
                           "--spool-dir and destination replays them", len(self.spool.pending()), self.destination,
                           self.spool.dir.absolute())
