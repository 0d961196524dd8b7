"""Reads stored runs from InfluxDB: the run records, and one run's interval points. Queries by
`run_id` (an indexed tag), and every query bounds its time range: InfluxDB 3 Core refuses a query
that would read more than --query-file-limit Parquet files (432 by default: one file per
measurement per 10 minutes written, influxdb3_write/src/write_buffer/mod.rs), so a run is read in
windows of at most a day, from its start (its id says when) to its stop, and runs are listed
newest first a week at a time. Reading a run costs the same however many runs are stored."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..influx_client import InfluxClient
from ..threshold_report import read_record
from ..model import ALL_USERS, CHECK, CHECKS, ERRORS, METHOD, NAME, REQUESTS, RUN_ID, RUNS, USER_CLASS, USERS, WORKER, WORKERS


class RunNotFound(LookupError):
    """No run with that id in the database; the message is meant for the user as is."""


DAY_S = 86_400
READ_WINDOW_S = DAY_S  # 144 files of one measurement at most, a third of Core's default limit
LIST_WINDOW_S = 7 * DAY_S  # run records: two per run, a file per 10 minutes that had a run start
AFTER_STOP_S = 120  # the last interval, exporter points and events land shortly after the stop


def run_started(run_id: str) -> int:
    """The second a run started, from its id (20261125-143002-7f3a, run_record.new_run_id)."""
    try:
        return calendar.timegm(time.strptime(run_id[:15], "%Y%m%d-%H%M%S"))
    except ValueError:
        raise RunNotFound(f"RUN_ID: got {run_id!r}; expected a run id such as 20261125-143002-7f3a "
                          "(`locust-fleet runs list` shows the stored runs)") from None


def windows(start_s: float, end_s: float, width_s: float) -> Iterator[str]:
    """InfluxQL time conditions covering [start_s, end_s) in windows of at most width_s."""
    lo = int(start_s * 1e9)
    end = int(end_s * 1e9)
    while lo < end:
        hi = min(lo + int(width_s * 1e9), end)
        yield f"time >= {lo} AND time < {hi}"
        lo = hi


@dataclass
class RunRecord:
    """One `locust_runs` record; figures are None while the run is still going."""

    run_id: str
    start_time: float
    state: str = "running"
    stop_time: float | None = None
    duration_s: float | None = None
    active_s: float | None = None  # the time users ran (Locust's rate is over it); None in older records
    users: int = 0  # at the end of the run
    peak_users: int | None = None  # None: a run recorded before the peak was
    host: str = ""
    description: str = ""
    tags: str = ""
    requests: int | None = None
    failures: int | None = None
    fail_ratio: float | None = None
    rps: float | None = None
    avg_ms: float | None = None
    p50_ms: int | None = None
    p95_ms: int | None = None
    p99_ms: int | None = None
    thresholds: str = ""  # the thresholds' results as JSON (threshold_report.record_text); "" when not judged
    thresholds_failed: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        known = {k: row[k] for k in cls.__dataclass_fields__ if row.get(k) is not None}
        return cls(**known)

    @property
    def rate_seconds(self) -> float:
        """The seconds Locust's requests/s is computed over: the time users ran."""
        return self.active_s or self.duration_s or 0.0

    @property
    def most_users(self) -> int:
        return self.users if self.peak_users is None else self.peak_users

    def as_dict(self) -> dict[str, Any]:
        """Every field; the thresholds as the list of their results."""
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields["thresholds"] = read_record(self.thresholds)
        return fields


@dataclass
class RunData:
    """Everything a report needs about one run: its record and its interval points as rows."""

    record: RunRecord
    requests: list[dict] = field(default_factory=list)  # locust_requests rows (name, method, fields, time)
    users: list[dict] = field(default_factory=list)     # locust_users rows for user_class 'all'
    workers: list[dict] = field(default_factory=list)   # locust_workers rows
    errors: list[dict] = field(default_factory=list)    # locust_errors rows
    checks: list[dict] = field(default_factory=list)    # locust_checks rows: one per non-fatal check, at the stop


def rows(series: list[dict]) -> list[dict]:
    """Flatten query series into dicts of column -> value, with the series' tags merged in."""
    return [{**s.get("tags", {}), **dict(zip(s["columns"], values))} for s in series for values in s.get("values", [])]


def quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class RunStore:
    def __init__(self, client: InfluxClient, now: Callable[[], float] = time.time) -> None:
        self.client = client
        self.now = now

    def _connect(self) -> None:
        """Learns what serves the URL (and so how to word its errors) before the first query."""
        if self.client.server is None:
            self.client.ping()

    def list(self, limit: int = 20, since_s: float = 90 * DAY_S) -> list[RunRecord]:
        """The most recent runs first, of those started in the last since_s seconds."""
        self._connect()
        found: list[dict] = []
        hi = self.now() + 60
        while len(found) < limit and hi > self.now() - since_s:
            lo = max(hi - LIST_WINDOW_S, self.now() - since_s)
            cond = next(windows(lo, hi, LIST_WINDOW_S))
            found += rows(self.client.query(f"SELECT * FROM {RUNS} WHERE {cond} ORDER BY time DESC "
                                            f"LIMIT {int(limit) - len(found)}"))
            hi = lo
        return [RunRecord.from_row(r) for r in found]

    def record(self, run_id: str) -> RunRecord:
        started = run_started(run_id)
        self._connect()
        found = rows(self.client.query(f"SELECT * FROM {RUNS} WHERE {RUN_ID} = '{quote(run_id)}' AND "
                                       f"{next(windows(started, started + 1, 1))}"))
        if not found:
            raise RunNotFound(f"RUN_ID: no run {run_id!r} in database {self.client.database!r} at "
                              f"{self.client.shown_url}; `locust-fleet runs list` shows the stored runs")
        return RunRecord.from_row(found[-1])

    def load(self, run_id: str) -> RunData:
        record = self.record(run_id)
        end = (record.stop_time if record.stop_time is not None else self.now()) + AFTER_STOP_S
        spans = list(windows(record.start_time, end, READ_WINDOW_S))

        def read(select: str, where: str = "", group_by: str = "") -> list[dict]:
            return [row for span in spans for row in rows(self.client.query(
                f"{select} WHERE {RUN_ID} = '{quote(run_id)}'{where} AND {span}{group_by}"))]

        return RunData(
            record=record,
            requests=read(f"SELECT * FROM {REQUESTS}"),
            users=read(f"SELECT \"users\" FROM {USERS}", f" AND {USER_CLASS} = '{ALL_USERS}'"),
            workers=read(f"SELECT * FROM {WORKERS}", group_by=f" GROUP BY {WORKER}"),
            errors=read(f"SELECT error, occurrences FROM {ERRORS}", group_by=f" GROUP BY \"{METHOD}\", \"{NAME}\""),
            checks=read(f"SELECT passes, fails FROM {CHECKS}",
                        group_by=f" GROUP BY \"{METHOD}\", \"{NAME}\", \"{CHECK}\""),
        )
