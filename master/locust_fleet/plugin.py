"""Wires the plugin into Locust: its command-line options and event listeners.

Importing this module registers everything; master/locustfile.py does that.
"""

import logging

from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner

from . import inbound
from .drain import Drainer

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


@events.init.add_listener
def on_init(environment: Environment, **_kw) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    inbound.install(runner)
    timeout = environment.parsed_options.drain_timeout if environment.parsed_options else 30.0
    if timeout < 0:
        raise SystemExit(f"--drain-timeout: got {timeout:g}; expected 0 (off) or a number of seconds")
    if timeout > 0:
        drainer = Drainer(runner, timeout)
        environment.events.worker_report.add_listener(drainer.on_worker_report)
        environment.events.test_stopping.add_listener(drainer.drain)
