"""The plugin's options: registered on Locust's parser like its own (one group each for the Go
workers and the InfluxDB export, each option with a LOCUST_... env var), validated once into one
frozen PluginConfig. Error messages name the option, the value and what was expected; secrets never
appear in them, nor in the config's repr. Raises ConfigError; exiting is plugin.py's business."""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from locust.argument_parser import LocustArgumentParser

from . import missing_workers
from .influx_client import (SERVER_KINDS, CredentialsError, ca_file_problem, database_name_problem, has_credentials,
                            read_credentials, url_problem)
from .model import FIELDS, RESERVED_TAGS, RUNS, TIME
from .threshold_syntax import Threshold, parse_all

# The most users a test may have: spawn messages carry the count as a msgpack integer, the Go worker
# reads it as an int64 and the run record stores it as an InfluxDB integer (int64 too). Above it,
# Locust failed to encode every spawn message and retried it after the test was stopped, so a
# worker started users that no stop reached (swarm_form.py checks the web UI's form).
MAX_USERS = 2**63 - 1
TAG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A bad option value; the message is meant for the user as is."""


@dataclass(frozen=True)
class ExporterConfig:
    url: str
    database: str
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    ca_file: str = ""
    server: str = "auto"  # --influxdb-server: auto, 1, 2 or 3
    interval: float = 5.0
    timeout: float = 10.0
    run_tags: tuple[tuple[str, str], ...] = ()
    description: str = ""
    spool_dir: str = ".locust_fleet/spool"


@dataclass(frozen=True)
class PluginConfig:
    """Everything the plugin was configured with, validated."""

    drain_timeout: float = 30.0  # seconds; 0: the master stops without draining
    missing_worker_timeout: int = missing_workers.DEFAULT_S  # seconds a missing worker is kept
    export: ExporterConfig | None = None  # None: no --influxdb-url, no export
    thresholds: tuple[Threshold, ...] = ()  # none: the test is not judged (Locust's exit codes)
    junit_xml: str = ""  # where the thresholds' results go as JUnit XML; empty: nowhere


def add_arguments(parser: LocustArgumentParser) -> None:
    workers = parser.add_argument_group("Go workers", "Options of the Go worker integration (locust_fleet).")
    workers.add_argument(
        "--drain-timeout", type=float, default=30.0, env_var="LOCUST_DRAIN_TIMEOUT",
        help="At stop, wait up to this many seconds (plus --stop-timeout) for every worker's last report "
        "after sending it to zero users, so the final seconds of a test are counted. 0 turns draining off. "
        "Default 30.")
    workers.add_argument(
        "--missing-worker-timeout", type=float, default=missing_workers.DEFAULT_S, env_var="LOCUST_MISSING_WORKER_TIMEOUT",
        help="Seconds a worker marked missing (no heartbeat for 3 s: killed, frozen, cut off) is kept, to come back "
        "through its heartbeat, before the master removes it and shares its users out to the others (until then "
        f"they run nowhere, unless --enable-rebalancing). A whole number >= 1. Default {missing_workers.DEFAULT_S}, "
        "as Locust.")
    group = parser.add_argument_group("InfluxDB export", "Ship the master's merged stats to InfluxDB (locust_fleet).")
    group.add_argument("--influxdb-url", default="", env_var="LOCUST_INFLUXDB_URL",
                       help="InfluxDB base URL, http:// or https://, e.g. http://127.0.0.1:8086. "
                            "Empty (default): no export, the master runs as plain Locust.")
    group.add_argument("--influxdb-database", default="locust", env_var="LOCUST_INFLUXDB_DATABASE",
                       help="Database to write to: on 1.x created when missing and the credentials allow it; on "
                            "2.x a bucket of that name (or one mapped to it); on 3 created by the first write. "
                            "Default locust.")
    group.add_argument("--influxdb-username", default="", env_var="LOCUST_INFLUXDB_USERNAME",
                       help="InfluxDB 1.x user name (with --influxdb-password); also a 2.x v1 user.")
    group.add_argument("--influxdb-password", default="", env_var="LOCUST_INFLUXDB_PASSWORD",
                       help="InfluxDB 1.x password. Never logged, shown in the web UI nor sent to the workers; prefer the "
                            "env var.")
    group.add_argument("--influxdb-token", default="", env_var="LOCUST_INFLUXDB_TOKEN",
                       help="InfluxDB 2.x or 3 token (sent as Authorization: Token), through their 1.x-compatible "
                            "API. Never logged nor sent to the workers; prefer the env var.")
    group.add_argument("--influxdb-server", default="auto", choices=SERVER_KINDS, env_var="LOCUST_INFLUXDB_SERVER",
                       help="Which InfluxDB serves the URL: 1, 2 or 3; auto (default) reads it from /ping. Name it "
                            "when a proxy hides InfluxDB's own answer.")
    group.add_argument("--influxdb-ca-file", default="", env_var="LOCUST_INFLUXDB_CA_FILE",
                       help="CA bundle to verify an https InfluxDB with; certificates are always verified.")
    group.add_argument("--influxdb-interval", type=float, default=5.0, env_var="LOCUST_INFLUXDB_INTERVAL",
                       help="Seconds between writes (at least 1); each interval is one point per endpoint. Default 5.")
    group.add_argument("--influxdb-timeout", type=float, default=10.0, env_var="LOCUST_INFLUXDB_TIMEOUT",
                       help="Seconds an InfluxDB request may take before it counts as failed. Default 10.")
    group.add_argument("--run-tag", action="append", default=[], env_var="LOCUST_RUN_TAG", metavar="KEY=VALUE",
                       help="Tag this run (repeatable), e.g. --run-tag build=1.4.2 --run-tag env=staging.")
    description = group.add_argument("--run-description", default="", env_var="LOCUST_RUN_DESCRIPTION",
                                     help="Free text stored with the run record; editable in the web UI.")
    # Arguments of a group are left out of Locust's web UI (it lists only actions marked for it):
    # the secrets and server settings stay out, the run's description goes in.
    description.include_in_web_ui = True
    description.is_secret = False
    description.is_required = False
    description.is_multiple = False
    group.add_argument("--spool-dir", default=".locust_fleet/spool", env_var="LOCUST_SPOOL_DIR",
                       help="Where points wait on disk while InfluxDB is unreachable, per destination (URL, "
                            "database, credentials identity); replayed in order, also by the next master started "
                            "with the same directory and destination (`locust-fleet spool` lists, replays, "
                            "discards). Default .locust_fleet/spool.")


    judged = parser.add_argument_group(
        "Thresholds", "Pass or fail the test on the master's merged statistics (locust_fleet; docs/thresholds.md).")
    judged.add_argument(
        "--threshold", action="append", default=[], env_var="LOCUST_THRESHOLDS", metavar="EXPR",
        help="Repeatable; the env var holds several separated by ';'. [[METHOD] NAME:] METRIC[[WINDOW]] OP "
        "LIMIT [abort [after DURATION]], e.g. 'fail_ratio<1%%', 'p95<500ms', 'rps>=1000', 'POST /login: p99<1s', "
        "'p95[1m]<800ms' (every 1-minute window), 'fail_ratio<10%% abort after 10s'. Metrics: fail_ratio, failures, "
        "requests, rps, avg, min, max, med, pN (any percentile), users (peak). Judged after the drain; exit code 3 "
        "when one fails, 0 when all hold.")
    judged.add_argument(
        "--junit-xml", default="", env_var="LOCUST_JUNIT_XML", metavar="PATH",
        help="Write the thresholds' results to PATH as JUnit XML (one test case per threshold) when a test ends.")


def parse_run_tags(values: list[str]) -> tuple[tuple[str, str], ...]:
    """The run tags, every bad one said at once."""
    tags: dict[str, str] = {}
    problems = []
    for value in values:
        key, sep, tag_value = value.partition("=")
        if not sep or not TAG_KEY.match(key) or not tag_value:
            problems.append(f"got {value!r}; expected KEY=VALUE with KEY made of letters, digits and _")
        elif key in RESERVED_TAGS:
            problems.append(f"{key!r} is used by the data model; choose another key than "
                            f"{', '.join(sorted(RESERVED_TAGS))}")
        elif key in FIELDS[RUNS] or key == TIME:
            # InfluxDB 3 refuses a tag and a field of one name in a measurement, and the run record
            # would be refused with it; 1.x and 2.x would store it and then read the field instead.
            what = "InfluxDB's time column" if key == TIME else f"a field of {RUNS}"
            problems.append(f"{key!r} is {what}, and InfluxDB 3 refuses a tag of the same name (the run record "
                            f"would not be stored); choose another key than {', '.join(sorted((*FIELDS[RUNS], TIME)))}")
        else:
            tags[key] = tag_value
    if problems:
        raise ConfigError("\n".join(f"--run-tag: {p}" for p in problems))
    return tuple(sorted(tags.items()))


def check_url(url: str) -> str:
    """The InfluxDB base URL (influx_client.url_problem), without credentials: the master refuses
    them in the URL, which process listings and pod specs show. Returns it without a trailing slash."""
    if problem := url_problem(url):
        raise ConfigError(problem)
    if has_credentials(url):
        raise ConfigError("--influxdb-url: credentials in the URL are not accepted; use "
                          "--influxdb-username/--influxdb-password or --influxdb-token")
    return url.rstrip("/")


def check_spool_dir(path: str) -> None:
    """The spool must be creatable and writable now, not when InfluxDB first fails mid-test."""
    if not path:
        raise ConfigError("--spool-dir: empty; expected a directory")
    existing = Path(path).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--spool-dir: got {path!r}; {str(existing)!r} is not a directory")
    try:  # os.access says yes to root even on read-only file systems; trying tells the truth
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as e:
        raise ConfigError(f"--spool-dir: got {path!r}; {str(existing)!r} is not writable ({e.strerror})") from None


def users_problem(option: str, value: object) -> str:
    """Why VALUE is not a user count, or "" when it is one."""
    try:
        users = int(str(value).strip())
    except ValueError:
        users = -1
    if 0 <= users <= MAX_USERS:
        return ""
    shown = repr(value) if isinstance(value, str) else value  # the web form's text is quoted
    return f"{option}: got {shown}; expected a whole number of users from 0 to {MAX_USERS}"


def from_options(options: argparse.Namespace) -> PluginConfig:
    """The validated configuration of the whole plugin."""
    if getattr(options, "num_users", None) is not None and (problem := users_problem("-u/--users", options.num_users)):
        raise ConfigError(problem)
    export = export_config(options)
    if not (math.isfinite(options.drain_timeout) and options.drain_timeout >= 0):
        raise ConfigError(f"--drain-timeout: got {options.drain_timeout:g}; expected 0 (off) or a number of seconds")
    missing = options.missing_worker_timeout
    if not (math.isfinite(missing) and missing >= 1 and missing == int(missing)):
        raise ConfigError(f"--missing-worker-timeout: got {missing:g}; expected a whole number of seconds >= 1 "
                          "(the master checks its workers' heartbeats once a second)")
    thresholds, errors = parse_all(options.threshold or [])
    if errors:
        raise ConfigError("\n".join(errors))
    junit_xml = (options.junit_xml or "").strip()
    if junit_xml:
        check_junit_xml(junit_xml, bool(thresholds))
    return PluginConfig(drain_timeout=options.drain_timeout, missing_worker_timeout=int(missing), export=export,
                        thresholds=thresholds, junit_xml=junit_xml)


# Options whose values are secrets: read once into the PluginConfig, then left out of Locust's parsed
# options, which Locust sends whole to every worker in each spawn message (vars(parsed_options)),
# to anyone who registers on the unauthenticated worker port. No worker needs them.
SECRET_OPTIONS = ("influxdb_password", "influxdb_token")


def forget_secrets(options: argparse.Namespace) -> None:
    """Blank the secret options once from_options has read them."""
    for name in SECRET_OPTIONS:
        if getattr(options, name, None):
            setattr(options, name, "")


def check_junit_xml(path: str, judged: bool) -> None:
    """The JUnit file must be writable now, not when the test has ended."""
    if not judged:
        raise ConfigError(f"--junit-xml: got {path!r} but no --threshold; the file would hold no test case")
    target = Path(path).absolute()
    if target.is_dir():
        raise ConfigError(f"--junit-xml: got {path!r}; it is a directory, expected a file path such as "
                          "reports/thresholds.xml")
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--junit-xml: got {path!r}; {str(existing)!r} is not a directory")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as e:
        raise ConfigError(f"--junit-xml: got {path!r}; {str(existing)!r} is not writable ({e.strerror})") from None


# What InfluxDB 2.x users reach for, which the 1.x API the master writes through has no setting for.
NOT_AN_INFLUXDB_SETTING = {
    "LOCUST_INFLUXDB_BUCKET": "a 2.x bucket is written as the database of its name (or the one mapped to it): "
                              "set LOCUST_INFLUXDB_DATABASE",
    "LOCUST_INFLUXDB_ORG": "the 1.x API the master writes through has no organization; the token says which: "
                           "set LOCUST_INFLUXDB_TOKEN",
}


def check_influxdb_environment(options: argparse.Namespace, environ) -> None:
    """A LOCUST_INFLUXDB_* variable that is no option's (a 2.x bucket or org, a typo) was ignored
    without a word, and the run went to the default database: each option's variable is LOCUST_ and
    its name, so the options say which exist."""
    known = sorted(f"LOCUST_{name.upper()}" for name in vars(options) if name.startswith("influxdb_"))
    unknown = sorted(name for name in environ if name.startswith("LOCUST_INFLUXDB_") and name not in known)
    if unknown:
        raise ConfigError("; ".join(
            f"{name}: not a setting of the master; "
            + NOT_AN_INFLUXDB_SETTING.get(name, "expected one of " + ", ".join(known)) for name in unknown))


def export_config(options: argparse.Namespace) -> ExporterConfig | None:
    """The validated export config, or None when export is off (no --influxdb-url)."""
    url = (options.influxdb_url or "").strip()
    if not url:
        return None
    url = check_url(url)
    check_influxdb_environment(options, os.environ)
    if not options.influxdb_database:
        raise ConfigError("--influxdb-database: empty; expected a database name")
    server = getattr(options, "influxdb_server", "auto") or "auto"
    if problem := database_name_problem(server, options.influxdb_database):
        raise ConfigError(problem)  # named, the server is known before it answers
    try:  # the line end a Secret made from a file keeps is dropped (influx_client.read_credentials)
        credentials = read_credentials(options.influxdb_username or "", options.influxdb_password or "",
                                       options.influxdb_token or "")
    except CredentialsError as e:
        raise ConfigError(str(e)) from None
    if not (math.isfinite(options.influxdb_interval) and options.influxdb_interval >= 1):
        # requests are counted by the second they happened in (rates.py)
        raise ConfigError(f"--influxdb-interval: got {options.influxdb_interval:g}; expected a number of seconds >= 1")
    if not (math.isfinite(options.influxdb_timeout) and options.influxdb_timeout > 0):
        raise ConfigError(f"--influxdb-timeout: got {options.influxdb_timeout:g}; expected a number of seconds > 0")
    if problem := ca_file_problem(url, options.influxdb_ca_file):
        raise ConfigError(problem)
    check_spool_dir(options.spool_dir)
    return ExporterConfig(
        url=url,
        database=options.influxdb_database,
        username=credentials.username,
        password=credentials.password,
        token=credentials.token,
        ca_file=options.influxdb_ca_file,
        server=server,
        interval=options.influxdb_interval,
        timeout=options.influxdb_timeout,
        run_tags=parse_run_tags(options.run_tag or []),
        description=options.run_description,
        spool_dir=options.spool_dir,
    )
