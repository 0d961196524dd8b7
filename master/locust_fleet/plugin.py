"""Wires the plugin into Locust: its command-line options and event listeners.

Importing this module registers everything; master/locustfile.py does that.
"""

import logging
import sys

from locust import __version__ as locust_version
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner

import gevent

from . import inbound, options, user_numbers
from .drain import Drainer
from .export_service import ExportService
from .looplag import LoopLag

logger = logging.getLogger(__name__)


@events.init_command_line_parser.add_listener
def add_options(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("Go workers", "Options of the Go worker integration (locust_fleet).")
    group.add_argument(
        "--drain-timeout",
        type=float,
        default=30.0,
        env_var="LOCUST_DRAIN_TIMEOUT",
        help="At stop, wait up to this many seconds for every worker's last report after sending it "
        "to zero users, so the final seconds of a test are counted. 0 turns draining off. Default 30.",
    )
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
    try:
        config = options.from_options(parsed) if parsed else None
    except options.ConfigError as e:
        logger.error("%s", e)
        sys.exit(2)
    timeout = parsed.drain_timeout if parsed else 30.0
    if timeout < 0:
        logger.error("--drain-timeout: got %g; expected 0 (off) or a number of seconds", timeout)
        sys.exit(2)

    lag = LoopLag(per_interval=config is not None)
    gevent.spawn(lag.probe)
    environment.events.test_start.add_listener(lag.on_test_start)
    environment.events.test_stop.add_listener(lag.on_test_stop)
    observers = []
    if config is not None:
        service = ExportService(environment, config, lag)
        service.check_server()
        observers.append(service.exporter.on_message)
    inbound.install(runner, observers)
    user_numbers.install(environment)
    if timeout > 0:
        drainer = Drainer(runner, timeout)
        environment.events.worker_report.add_listener(drainer.on_worker_report)
        environment.events.test_stopping.add_listener(drainer.drain)
    if config is not None:
        # After the drainer, so the final interval is flushed once the last reports are in.
        service.start()
