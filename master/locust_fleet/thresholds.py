"""Wires thresholds (`--threshold`, docs/thresholds.md) into a running master: the figures the judge
reads, an abort through the normal stop, the results after the drain, the exit code, the summary,
the JUnit file, the web UI's Thresholds tab and the run record.

- Whole-run figures are Locust's own merged statistics, with the non-fatal checks' counts of
  checks.py beside them; windows are filled from the worker reports as they arrive
  (threshold_judge.SlidingWindow).
- With an abort threshold, a report schedules a check right after it is handled (reports arriving
  together make one check, and checks are at least CHECK_GAP_S apart, so that hundreds of workers
  do not make hundreds of checks a second); a 1 s tick checks too, so windows move on and the web
  UI's states stay current while no report arrives. An abort threshold that is
  breached after its grace time stops the test in its own greenlet, as Locust's run time does: a
  headless master quits, a web UI master stops. Either way the stop passes through the drain
  (drain.py), so the last requests count, then the export and Locust's tables.
- Results are given at `test_stop`, after the drain, before the exporter writes the run record.
- The exit code is set at `quitting`, before Locust decides its own (threshold_judge.exit_code).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust import log as locust_log
from locust.env import Environment
from locust.runners import STATE_INIT, STATE_STOPPED, STATE_STOPPING, MasterRunner

from . import interrupt
from .checks import CheckTable
from .exporter import Exporter
from .run_phases import RunPhases
from .run_record import redact_url
from .threshold_judge import (EXIT_INTERRUPTED, NOT_STARTED_METHOD, Figures, Judge, Result, Sample, SlidingWindow,
                              exit_code, matches, select)
from .threshold_report import (BROKE, INTERRUPTED, LIVE_TABLE, CutShort, failure_message, junit_xml, live_rows,
                               record_text, summary_lines)
from .threshold_syntax import Endpoint, Threshold, format_limit, format_value
from .web_tabs import add_tab

logger = logging.getLogger(__name__)
console = logging.getLogger("locust.stats_logger")  # where Locust prints its tables
TAB = "thresholds"
CHECK_GAP_S = 0.25


def write_atomically(path: str, text: str) -> None:
    """Never leaves a half-written file for CI to read."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)


class ThresholdWatch:
    def __init__(self, environment: Environment, phases: RunPhases, thresholds: tuple[Threshold, ...],
                 junit_path: str = "", checks: CheckTable | None = None) -> None:
        self.environment = environment
        self.phases = phases  # when a stop began, whether one is under way
        self.checks = checks  # the test's non-fatal checks, for `checks`
        self.runner: MasterRunner = environment.runner  # type: ignore[assignment]
        self.thresholds = thresholds
        self.junit_path = junit_path
        self.judge: Judge | None = None  # while a test runs
        self.windows: dict[float, SlidingWindow] = {}
        self.started = 0.0  # epoch seconds of the test's start
        self.started_mono = 0.0
        self.peak_users = 0
        self.last_busy_at = 0.0  # arrival of the last report that carried requests
        self.check_pending = False
        self.last_check = 0.0  # monotonic
        self.aborts = any(t.abort for t in thresholds)
        self.stopping = False
        self.results: list[Result] | None = None  # of the last test that ended
        self.cut_short: CutShort | None = None  # how the last test did not end as planned, if it did not
        # e.g. the run record: the results, and how the test was cut short if it was
        self.on_results: list[Callable[[list[Result], CutShort | None], None]] = []
        self.properties: Callable[[], list[tuple[str, str]]] = lambda: []

    # -- set-up ------------------------------------------------------------------------------------
    def install(self) -> None:
        events = self.environment.events
        events.test_start.add_listener(self.on_test_start)
        events.worker_report.add_listener(self.on_worker_report)
        events.spawning_complete.add_listener(self.on_spawning_complete)
        events.reset_stats.add_listener(self.on_reset_stats)
        events.test_stop.add_listener(self.on_test_stop)
        events.quitting.add_listener(self.on_quitting)
        events.quit.add_listener(self.on_quit)
        if self.environment.web_ui is not None:
            self.add_web_tab()
        gevent.spawn(self._tick_loop)

    def add_web_tab(self) -> None:
        add_tab(self.environment, TAB, "Thresholds", LIVE_TABLE, self.rows)

    def rows(self) -> list[dict]:
        if self.judge is not None:
            return live_rows(self.judge.live(), None)
        if self.results is not None:
            return live_rows([], self.results)
        return live_rows(Judge(self.thresholds).live(), None)

    # -- a test's life -----------------------------------------------------------------------------
    def on_test_start(self, **_kw: Any) -> None:
        self.judge = Judge(self.thresholds)
        self.started, self.started_mono = time.time(), time.monotonic()
        self.peak_users = 0
        self.last_busy_at = 0.0
        self.stopping = False
        self.results = None
        self.cut_short = None
        self.windows = self.new_windows()

    def new_windows(self) -> dict[float, SlidingWindow]:
        wanted: dict[float, set[Endpoint | None]] = {}
        for t in self.thresholds:
            if t.window_s is not None:
                wanted.setdefault(t.window_s, set()).add(t.endpoint)
        return {seconds: SlidingWindow(seconds, endpoints) for seconds, endpoints in wanted.items()}

    def on_reset_stats(self, **_kw: Any) -> None:
        """The web UI's reset: the figures start again, and so do the windows and results."""
        if self.judge is not None:
            self.judge = Judge(self.thresholds)
            self.windows = self.new_windows()

    def on_spawning_complete(self, user_count: int, **_kw: Any) -> None:
        self.note_users(int(user_count))

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        if self.judge is None:
            return
        at = time.time()
        total = data.get("stats_total") or {}
        if total.get("num_requests"):
            self.last_busy_at = at
        if self.windows:
            entries = [(e["name"], e["method"], Figures.of_report_entry(e)) for e in data.get("stats") or []]
            whole = Figures.of_report_entry(total)
            whole.not_started = sum(f.not_started for _, _, f in entries)
            for window in self.windows.values():
                window.add_report(at, entries, whole)
        self.note_users(self.runner.user_count)
        if self.aborts and not self.check_pending:  # the reports of one moment make one check
            self.check_pending = True
            gevent.spawn_later(max(0.0, self.last_check + CHECK_GAP_S - time.monotonic()), self.check)

    def note_users(self, users: int) -> None:
        self.peak_users = max(self.peak_users, users)
        at = time.time()
        for window in self.windows.values():
            window.note_users(at, users)

    def _tick_loop(self) -> None:
        while True:
            gevent.sleep(1.0)
            if self.judge is not None:
                self.note_users(self.runner.user_count)
                self.check()

    def check(self) -> None:
        self.check_pending = False
        self.last_check = time.monotonic()
        if self.judge is None or self.stopping:
            return
        now = time.time()
        elapsed = self.last_check - self.started_mono
        whole: dict[Endpoint | None, Sample] = {}  # one copy of Locust's figures per endpoint and check

        def sample(t: Threshold) -> Sample | None:
            if t.window_s is not None:
                return self.sample(t, now)
            if t.endpoint not in whole:
                whole[t.endpoint] = self.whole_run(t)
            return whole[t.endpoint]

        stop = self.judge.observe(elapsed, sample)
        if stop is not None:
            self.abort(stop, elapsed)

    # -- samples -----------------------------------------------------------------------------------
    def whole_run(self, threshold: Threshold) -> Sample:
        stats = self.runner.stats
        seconds = 0.0
        if stats.last_request_timestamp and stats.start_time:  # Locust's requests/s is over this time
            seconds = stats.last_request_timestamp - stats.start_time
        endpoint = threshold.endpoint
        entries = {} if endpoint is None else {
            key: Figures.of_entry(e) for key, e in list(stats.entries.items()) if matches(endpoint, *key)}
        total = Figures()
        if endpoint is None:
            total = Figures.of_entry(stats.total)
            total.not_started = sum(e.num_failures for (_, method), e in list(stats.entries.items())
                                    if method == NOT_STARTED_METHOD)
        figures = select(endpoint, entries, total)
        if figures is not None and self.checks is not None:
            figures.check_passes, figures.check_fails = self.checks.counts(
                lambda name, method: matches(endpoint, name, method))
        return Sample(figures, seconds, self.peak_users)

    def sample(self, threshold: Threshold, now: float) -> Sample | None:
        if threshold.window_s is None:
            return self.whole_run(threshold)
        if now - self.started < threshold.window_s:
            return None  # the window is not full yet
        return self.windows[threshold.window_s].sample(threshold.endpoint, now)

    def last_sample(self, threshold: Threshold) -> Sample | None:
        """At the end: windows end with the last report that carried requests, so the drain's
        idle seconds do not count."""
        if threshold.window_s is None:
            return self.whole_run(threshold)
        if self.last_busy_at - self.started < threshold.window_s:
            return None
        return self.windows[threshold.window_s].sample(threshold.endpoint, self.last_busy_at)

    # -- abort -------------------------------------------------------------------------------------
    def abort(self, threshold: Threshold, elapsed: float) -> None:
        self.stopping = True
        live = next(l for l in self.judge.live() if l.threshold is threshold)
        logger.warning("Threshold %r breached after %.1f s: measured %s, limit %s; stopping the test", threshold.text,
                       elapsed, format_value(threshold.metric, live.value), format_limit(threshold))
        gevent.spawn(self.stop_test)

    def stop_test(self) -> None:
        """As Locust ends a test whose run time is over: a headless master quits (its tables,
        report and exit follow), a web UI master stops and waits for the next test."""
        options = self.environment.parsed_options
        if options is not None and options.headless:
            self.runner.quit()
            return
        self.runner.stop()
        if options is not None and options.autostart and options.autoquit != -1:
            gevent.sleep(options.autoquit)
            self.runner.quit()
            if self.environment.web_ui is not None:
                self.environment.web_ui.stop()

    # -- the end -----------------------------------------------------------------------------------
    def note_interruption(self, at: float) -> None:
        """A signal stopped the test at `at` (time.monotonic()), before anything else began its stop:
        if it had a planned end, it was cut short."""
        end = planned_end(self.environment)
        if self.judge is None or self.stopping or self.cut_short or not end:
            return
        self.cut_short = CutShort(INTERRUPTED, f"was interrupted at {at - self.started_mono:.1f} s, before {end}",
                                  EXIT_INTERRUPTED)
        logger.warning("The test %s; it is judged on what ran and does not pass (exit code %d)", self.cut_short.what,
                       EXIT_INTERRUPTED)

    def on_test_stop(self, **_kw: Any) -> None:
        # Locust ends a shape's test on Ctrl+C as if the shape had ended: the signal tells.
        began = self.phases.stop_began
        if interrupt.stop_signal_between(self.started_mono, began):
            self.note_interruption(began)
        judge, self.judge = self.judge, None
        if judge is None:
            return
        elapsed = time.monotonic() - self.started_mono
        code = self.environment.process_exit_code
        if code and not self.cut_short:
            # The run broke, and another part set its code by now (every worker went missing: 1,
            # leaving.py, whose test_stop listener runs first): the JUnit file and the summary said
            # every threshold passed beside the exit code 1, and CI reporters showed a pass.
            self.cut_short = CutShort(BROKE, f"ended at {elapsed:.1f} s with exit code {code} (the log says why)", code)
        self.results = judge.finish(elapsed, self.last_sample, self.whole_run)
        failed = [r for r in self.results if not r.passed]
        if failed:
            logger.warning("Thresholds: %d of %d failed: %s", len(failed), len(self.results),
                           "; ".join(failure_message(r) for r in failed))
        else:
            logger.info("Thresholds: all %d passed", len(self.results))
        if self.junit_path:
            props = [("host", redact_url(self.environment.host or "")), *self.properties()]
            write_atomically(self.junit_path, junit_xml(self.results, time.time() - self.started, self.started,
                                                        socket.gethostname(), props, self.cut_short))
            logger.info("Wrote the thresholds' results to %s (JUnit XML)", os.path.abspath(self.junit_path))
        for listener in self.on_results:
            listener(self.results, self.cut_short)

    def on_quit_begins(self, **_kw: Any) -> None:
        """The first of the quitting listeners (plugin.py adds it after the others, and Locust fires
        them in reverse), before any of them stops the test (the export's does): a test still
        running now was cut short by a signal (SIGTERM, Ctrl+C); its run time and an abort stop it
        before Locust quits. Locust still says "running" while a stop drains: a signal then (the
        run time was up) only hurries the end of a test that ran as planned."""
        if self.running() and not self.phases.stopping():
            self.note_interruption(time.monotonic())

    def running(self) -> bool:
        return self.runner.state not in (STATE_INIT, STATE_STOPPED, STATE_STOPPING)

    def on_quitting(self, environment: Environment, **_kw: Any) -> None:
        # A test still running (SIGTERM, Ctrl+C) ends here first, drained, so it is judged too.
        if self.running():
            self.runner.stop()
        options = environment.parsed_options
        code = exit_code(self.results, environment.process_exit_code, bool(locust_log.unhandled_greenlet_exception),
                         bool(self.cut_short), bool(self.runner.exceptions), getattr(options, "exit_code_on_error", 1))
        if code is not None:
            environment.process_exit_code = code

    def on_quit(self, **_kw: Any) -> None:
        if self.results is None:
            return
        for line in ["", *summary_lines(self.results, self.cut_short), ""]:
            console.info(line)


def planned_end(environment: Environment) -> str:
    """What a headless test was to end by: its run time or its load shape; "" when nothing but its
    operator ends it (a headless run without --run-time ends with Ctrl+C, as planned; a web UI
    master's tests are stopped by whoever runs them)."""
    options = environment.parsed_options
    if options is None or not options.headless:
        return ""
    if environment.shape_class is not None:
        return "its load shape's end"
    if options.run_time:
        return f"the end of its {options.run_time:g} s run time"
    return ""


def install(environment: Environment, phases: RunPhases, thresholds: tuple[Threshold, ...],
            junit_path: str, checks: CheckTable | None = None) -> ThresholdWatch:
    watch = ThresholdWatch(environment, phases, thresholds, junit_path, checks)
    watch.install()
    return watch


def keep_in_run_record(watch: ThresholdWatch, exporter: Exporter) -> None:
    """The results go into the run record the exporter completes at the same test_stop, and the
    JUnit file names the run."""

    def keep(results: list[Result], cut: CutShort | None) -> None:
        if exporter.run is not None:
            exporter.run.thresholds = record_text(results, cut)
            exporter.run.thresholds_failed = sum(not r.passed for r in results) + bool(cut)

    watch.on_results.append(keep)
    watch.properties = lambda: [("run_id", exporter.run.run_id)] if exporter.run is not None else []
