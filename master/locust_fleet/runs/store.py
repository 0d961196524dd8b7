"""Reads stored runs from InfluxDB: the run records, and one run's interval points. Only queries
by `run_id` (an indexed tag), so reading a run costs the same however many runs are stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..influx_client import InfluxClient
from ..threshold_report import read_record
from ..model import ALL_USERS, ERRORS, METHOD, NAME, REQUESTS, RUN_ID, RUNS, USER_CLASS, USERS, WORKER, WORKERS


class RunNotFound(LookupError):
    """No run with that id in the database; the message is meant for the user as is."""


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


def rows(series: list[dict]) -> list[dict]:
    """Flatten query series into dicts of column -> value, with the series' tags merged in."""
    return [{**s.get("tags", {}), **dict(zip(s["columns"], values))} for s in series for values in s.get("values", [])]


def quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class RunStore:
    def __init__(self, client: InfluxClient) -> None:
        self.client = client

    def list(self, limit: int = 20) -> list[RunRecord]:
        """The most recent runs first."""
        found = rows(self.client.query(f"SELECT * FROM {RUNS} ORDER BY time DESC LIMIT {int(limit)}"))
        return [RunRecord.from_row(r) for r in found]

    def record(self, run_id: str) -> RunRecord:
        found = rows(self.client.query(f"SELECT * FROM {RUNS} WHERE {RUN_ID} = '{quote(run_id)}'"))
        if not found:
            raise RunNotFound(f"RUN_ID: no run {run_id!r} in database {self.client.database!r} at "
                              f"{self.client.url}; `locust-fleet runs list` shows the stored runs")
        return RunRecord.from_row(found[-1])

    def load(self, run_id: str) -> RunData:
        record = self.record(run_id)
        where = f"WHERE {RUN_ID} = '{quote(run_id)}'"
        return RunData(
            record=record,
            requests=rows(self.client.query(f"SELECT * FROM {REQUESTS} {where}")),
            users=rows(self.client.query(f"SELECT \"users\" FROM {USERS} {where} AND {USER_CLASS} = '{ALL_USERS}'")),
            workers=rows(self.client.query(f"SELECT * FROM {WORKERS} {where} GROUP BY {WORKER}")),
            errors=rows(self.client.query(f"SELECT error, occurrences FROM {ERRORS} {where} "
                                          f"GROUP BY \"{METHOD}\", \"{NAME}\"")),
        )
