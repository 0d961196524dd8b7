"""Non-fatal checks, beside Locust's statistics rather than in them.

A scenario's check with ``fatal: false`` (k6's kind of check) never fails its request, so Locust's
request rows and their "Aggregated" total keep counting exactly what the target served. Go workers
count each such check's passes and fails per request (method, name) and check, and send what
changed after each stats report in a ``fleet:checks`` message: a list of
``[method, name, check, passes, fails]``. A worker sends it right after the stats report that holds
the requests it judged, so when the drain at stop has every worker's idle report, it has every
check too.

The master adds them up per test (from 0 at each test start, and at Locust's "reset stats"), prints
a summary when the test stops (k6's end-of-test checks, as a table like Locust's), shows them in a
"Checks" tab of the web UI and writes one ``locust_checks`` point per check at the run's stop when
the InfluxDB export is on (docs/data-model.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from locust.env import Environment
from locust.runners import MasterRunner

from .lineproto import Point
from .model import CHECK, CHECKS, METHOD, NAME, RUN_ID
from .web_tabs import add_tab

MESSAGE_TYPE = "fleet:checks"
TAB_KEY = "checks"

logger = logging.getLogger(__name__)
console = logging.getLogger("locust.stats_logger")  # Locust prints its own tables there


@dataclass(frozen=True)
class CheckCount:
    method: str
    name: str
    check: str
    passes: int
    fails: int

    @property
    def pass_ratio(self) -> float:
        total = self.passes + self.fails
        return self.passes / total if total else 0.0


def parse_rows(data: Any) -> list[CheckCount]:
    """A fleet:checks message's rows; ValueError names the first thing that is wrong."""
    if not isinstance(data, list):
        raise ValueError(f"expected a list of [method, name, check, passes, fails], got {type(data).__name__}")
    rows = []
    for i, row in enumerate(data):
        if not isinstance(row, list | tuple) or len(row) != 5:
            raise ValueError(f"row {i}: got {row!r}; expected [method, name, check, passes, fails]")
        method, name, check, passes, fails = row
        if not all(isinstance(s, str) and s for s in (method, name, check)):
            raise ValueError(f"row {i}: got {row!r}; expected method, name and check as non-empty strings")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (passes, fails)):
            raise ValueError(f"row {i}: got {row!r}; expected passes and fails as whole numbers >= 0")
        rows.append(CheckCount(method, name, check, passes, fails))
    return rows


class CheckTable:
    """The checks of one test, merged from every worker's counts."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, str], list[int]] = {}

    def reset(self) -> None:
        self._counts.clear()

    def add(self, rows: list[CheckCount]) -> None:
        for r in rows:
            counts = self._counts.setdefault((r.method, r.name, r.check), [0, 0])
            counts[0] += r.passes
            counts[1] += r.fails

    def rows(self) -> list[CheckCount]:
        """Sorted by name, method, then check, as Locust sorts its rows."""
        return [CheckCount(m, n, c, p, f) for (m, n, c), (p, f) in
                sorted(self._counts.items(), key=lambda item: (item[0][1], item[0][0], item[0][2]))]

    def counts(self, selected: Callable[[str, str], bool]) -> tuple[int, int]:
        """The passes and fails of the checks of the requests selected by (name, method)."""
        chosen = [counts for (method, name, _), counts in self._counts.items() if selected(name, method)]
        return sum(p for p, _ in chosen), sum(f for _, f in chosen)

    def total(self) -> CheckCount:
        passes = sum(p for p, _ in self._counts.values())
        fails = sum(f for _, f in self._counts.values())
        return CheckCount("", "Aggregated", "", passes, fails)


def summary(rows: list[CheckCount], total: CheckCount) -> list[str]:
    """The end-of-test table: a line per check, then the total, as Locust prints its tables."""
    name_width = max([len("Name"), len(total.name), *(len(r.name) for r in rows)]) + 1
    check_width = max([len("Check"), *(len(r.check) for r in rows)]) + 1
    head = f"{'Type':<8} {'Name':<{name_width}} {'Check':<{check_width}} {'# passes':>9} {'# fails':>9} {'pass %':>7}"
    rule = "-" * len(head)

    def line(r: CheckCount, method: str) -> str:
        return (f"{method:<8} {r.name:<{name_width}} {r.check:<{check_width}} {r.passes:>9} {r.fails:>9} "
                f"{100 * r.pass_ratio:>7.2f}")

    return ["Checks (non-fatal: counted here, never failing their requests)", head, rule,
            *(line(r, r.method) for r in rows), rule, line(total, ""), ""]


def points(rows: list[CheckCount], run_id: str, time_ns: int) -> list[Point]:
    """One locust_checks point per check of a run."""
    return [Point(CHECKS, {RUN_ID: run_id, METHOD: r.method, NAME: r.name, CHECK: r.check},
                  {"passes": r.passes, "fails": r.fails, "pass_ratio": float(r.pass_ratio)}, time_ns)
            for r in rows]


def web_rows(rows: list[CheckCount]) -> list[dict[str, Any]]:
    return [{"method": r.method, "name": r.name, "check": r.check, "passes": r.passes, "fails": r.fails,
             "pass_percent": round(100 * r.pass_ratio, 2)} for r in rows]


WEB_TABLE = [{"key": "method", "title": "Type"}, {"key": "name", "title": "Name"},
             {"key": "check", "title": "Check"}, {"key": "passes", "title": "# Passes"},
             {"key": "fails", "title": "# Fails"}, {"key": "pass_percent", "title": "Pass %"}]


def install(environment: Environment, submit: Callable[[list[Point]], None] | None = None,
            run_id: Callable[[], str] | None = None) -> CheckTable:
    """Merge the workers' check counts on the master; with submit and run_id (the InfluxDB export),
    write them at each run's stop."""
    runner = environment.runner
    assert isinstance(runner, MasterRunner)
    table = CheckTable()
    warned: set[str] = set()

    def on_checks(msg: Any, **_kw: Any) -> None:
        # Only registered workers' counts arrive here: inbound.py refuses other peers' messages.
        try:
            table.add(parse_rows(msg.data))
        except ValueError as e:
            if msg.node_id not in warned:  # once per peer: a broken worker sends again and again
                warned.add(msg.node_id)
                logger.warning("%s from %s: %s (its further bad messages are not logged)",
                               MESSAGE_TYPE, msg.node_id, e)

    def on_test_stop(**_kw: Any) -> None:
        rows = table.rows()
        if not rows:
            return
        for text in summary(rows, table.total()):
            console.info(text)
        if submit is not None and run_id is not None and run_id():
            submit(points(rows, run_id(), int(time.time() * 1e9)))

    runner.register_message(MESSAGE_TYPE, on_checks)
    environment.events.test_start.add_listener(lambda **_kw: table.reset())
    environment.events.reset_stats.add_listener(table.reset)
    environment.events.test_stop.add_listener(on_test_stop)
    if environment.web_ui is not None:
        show_in_web_ui(environment, table)
    return table


def show_in_web_ui(environment: Environment, table: CheckTable) -> None:
    """A "Checks" tab beside Locust's own."""
    add_tab(environment, TAB_KEY, "Checks", WEB_TABLE, lambda: web_rows(table.rows()))
