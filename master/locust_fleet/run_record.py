"""What identifies and describes a test run: its id, and the record written when it starts and
completed when it stops. Pure: the caller passes times and figures in."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# scheme://USER:PASSWORD@ up to the last @ before the path: what is masked in a URL urlsplit refuses
# (an unclosed IPv6 bracket), which was shown whole.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#:@]*):[^/?#]*@")


def new_run_id(started: float) -> str:
    """Sortable by start time, unique across masters: 20261125-143002-7f3a."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(started)) + "-" + secrets.token_hex(2)


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***: the run record is shown in Grafana and reports, and
    the JUnit file of the thresholds names the host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\1:***@", url)
    if parts.password is None:
        return url
    # Only the password is replaced; the host and port are kept as written (parts.hostname would
    # drop an IPv6 address's brackets, and parts.port raises on a port out of range).
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{hostport}"))


@dataclass
class Run:
    run_id: str
    started: float  # epoch seconds
    users: int = 0  # at the last completed spawn, or at the stop of one under way: the count the run ended with
    peak_users: int = 0  # the most users the run had
    spawn_rate: float = 0.0
    host: str = ""
    locustfile: str = ""
    description: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    stopped: float | None = None
    # Seconds from the start of Locust's statistics to the last request: the time users ran, over
    # which Locust computes its requests/s (the run's duration also holds the drain at stop).
    active_s: float | None = None
    # The thresholds' results (threshold_report.record_text) and how many failed; "" when the run
    # was not judged (no --threshold).
    thresholds: str = ""
    thresholds_failed: int = 0

    @property
    def tags_text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.tags)
