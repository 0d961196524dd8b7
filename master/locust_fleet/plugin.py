"""Wires the plugin into Locust: its command-line options and event listeners.

Importing this module registers everything; master/locustfile.py does that. The only place that
ends the master on a bad configuration (exit code 2, a message naming the option).
"""

import logging
import sys

from locust import __version__ as locust_version
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner

import gevent

from . import (checks, earlier_reports, inbound, interrupt, interrupted_wait, leaving, missing_workers, options,
               rebalances, rejoining, run_phases, runner_state, shape_signals, shown_host, stats_reset, swarm_form,
               thresholds, user_numbers)
from .drain import Drainer
from .export_service import ExportService
from .exporter import follow_new_user_counts
from .influx_client import PermanentError
from .looplag import LoopLag

logger = logging.getLogger(__name__)


@events.init_command_line_parser.add_listener
def add_options(parser: LocustArgumentParser) -> None:
    options.add_arguments(parser)


@events.init.add_listener
def on_init(environment: Environment, **_kw) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    if not hasattr(runner, "handle_message"):
        # Older 2.x masters handle messages inline, with no place to normalise or reject them.
        logger.error("locust_fleet needs Locust 2.43 or newer (this is %s)", locust_version)
        sys.exit(2)
    parsed = environment.parsed_options
    earlier_reports.remove(earlier_reports.report_paths(parsed))  # first: anything below may end the master
    try:
        config = options.from_options(parsed) if parsed else options.PluginConfig()
    except options.ConfigError as e:
        logger.error("%s", e)
        sys.exit(2)
    if parsed:
        options.forget_secrets(parsed)  # the spawn messages carry the parsed options to every worker

    lag = LoopLag(per_interval=config.export is not None)
    gevent.spawn(lag.probe)
    environment.events.test_start.add_listener(lag.on_test_start)
    environment.events.test_stop.add_listener(lag.on_test_stop)
    observers = []
    service = ExportService(environment, config.export, lag) if config.export is not None else None
    if service is not None:
        observers.append(service.exporter.on_message)
    # The message path is whole before anything waits on the network (InfluxDB below): workers
    # started before the master join as soon as it listens, and their first messages must meet it.
    runner_state.install(runner)
    missing_workers.install(config.missing_worker_timeout)
    if service is not None:  # inside run_phases' start: a start that waits for a stop is a new test
        follow_new_user_counts(runner, service.exporter)
    phases = run_phases.install(environment, runner, config.drain_timeout)
    rebalances.install(runner)
    answered_stop = leaving.install(runner)  # inside inbound's checks, which see every message first
    rejoining.install(runner)
    resets = stats_reset.install(environment, runner)
    if service is not None:
        resets.followers.append(service.exporter)
    inbound.install(runner, observers, answered_stop)
    user_numbers.install(environment)
    swarm_form.install(environment)
    shown_host.install(environment)
    if service is not None:  # non-fatal checks: summary, web UI tab, and InfluxDB at each run's stop
        check_table = checks.install(environment, service.writer.submit, lambda: service.exporter.last_run_id)
    else:
        check_table = checks.install(environment)
    # Before the InfluxDB check, which may wait --influxdb-timeout: a signal from here on ends a
    # headless master that has no test yet in one line (it was Locust's traceback).
    interrupt.install(environment, interrupted_wait.install(environment, runner))
    if service is not None:
        try:
            service.check_server()
        except PermanentError as e:
            logger.error("%s", e)
            sys.exit(2)
    if service is not None:
        # Before the drainer's listener: the users a run stopped mid-spawn had, before the drain zeroes them.
        environment.events.test_stopping.add_listener(service.exporter.on_test_stopping)
    if config.drain_timeout > 0:
        drainer = Drainer(runner, config.drain_timeout)
        environment.events.worker_report.add_listener(drainer.on_worker_report)
        environment.events.test_start.add_listener(drainer.on_test_start)
        environment.events.test_stopping.add_listener(drainer.drain)
    shape_signals.install(environment, runner)
    if config.thresholds:
        # Before the export starts: results are given at test_stop, before the run record is written.
        watch = thresholds.install(environment, phases, config.thresholds, config.junit_xml, check_table)
        if service is not None:
            thresholds.keep_in_run_record(watch, service.exporter)
    if service is not None:
        # After the drainer, so the final interval is flushed once the last reports are in.
        service.start()
    # Last, so that it runs first: Locust fires quitting in reverse order, and the export's
    # listener stops the test, after which a start waiting for that stop must not begin.
    environment.events.quitting.add_listener(phases.on_quitting)
    if config.thresholds:  # whether the test was cut short, seen before a listener above stops it
        environment.events.quitting.add_listener(watch.on_quit_begins)
    environment.events.quitting.add_listener(interrupt.on_quitting)  # after it, so before it: a Ctrl+C now hurries
