"""A test's start and its stop never overlap, nor do two stops: a start asked for while a test stops
begins once the stop is done, a start still under way (a ramp-up) ends when a stop begins, and a
second stop waits for the first one instead of stopping again.

Locust's master fires test_stopping before it changes its state, and the drain (drain.py) waits in
that event for the workers' last reports, seconds. Meanwhile the state still says "running", so a
`POST /swarm` right after a stop (stop, then start at once with another count) only changed the user
count of the test that was stopping: the drain held its spawns back, the stop ended the test, the
web UI had answered "Swarming started" for a test that never ran, and the stopped run's record took
the swarm's user count for its own. A start arriving after the drain, while Locust waits for the
workers to stop, found the state "stopping" and fired test_start in the middle of the stop.

Here `runner.start` called while a stop is under way (from test_stopping to test_stop) waits for the
stop to end and then starts a new test (the web UI's swarm, a shape's tick), or is skipped when
Locust's own loops call it (a worker joining or leaving rebalances the users): the test is ending,
and those loops must keep handling the reports the drain waits for. A start still waiting when the
master quits starts nothing.

A ramp-up longer than the run (20 users at 4/s with a run time of 3 s, from the web UI or headless)
went on ramping through the drain: Locust's stop ends it only from the web UI's Stop button. It then
fired spawning_complete for all 20 users, which the run record took as the run's users and peak
(it had reached 12), and with --reset-stats reset the statistics in the middle of the drain. Here
the greenlet of a start under way is ended when the stop begins, as the Stop button ends it.

A second stop during the drain (SIGTERM or Ctrl+C while the Stop button's drain waits, the quit
that follows them, the last worker leaving) found Locust's state still "running" and stopped it again: the
workers were told to stop twice and test_stop fired twice, so the non-fatal checks were printed and
written to InfluxDB twice for the run (`locust_checks` holds one record per check and run) and the
thresholds judged twice. Here it waits for the stop under way (from Locust's loops it returns at
once: they must keep handling the reports the drain waits for) and does not stop again.

A rebalance under way in Locust's loops when a stop begins (a worker quit a moment before the Stop
button, the run time's end) is not ended: it runs in the message loop, which the stop needs. It
waited up to a second for the workers' reports and then fired spawning_complete in the middle of
the stop, whose listener in Locust sets the state back to "running": with --drain-timeout 0 the
master said "running" after the stop, for good, and the next start from the web UI was taken for
a new user count of that test (no test_start, no new run record, the statistics not cleared).
Here spawning_complete is not fired from the moment a stop begins until the next test starts.
(rebalances.py has since ended that wait; the window left is the rebalance's dispatch.)

Two starts from the web UI went wrong while a stop drained. A run time given with the start began
to count when Locust took the form, not when the test began: its stop came during the drain,
where it waits for the stop under way and stops nothing, and the test then ran without end (or
for the run time less the drain). Here the run time of a start that waits for a stop is counted
from that start. A shape's test (a master with a LoadTestShape) started during the drain was
dropped: Locust answered "Swarming started" and ignored it, its old shape still going; it now
begins once the stop is done, as a start of users does. The old shape's next stage during the
drain is not started (the stop ends that shape).

A new user count for the running test (the web UI's Edit form, which has no run time) cancelled
the test's run time: Locust disarms the timer on every swarm, and the test then ran without end.
The run time set at the start is kept; a swarm that gives a run time replaces it, as in Locust.

During a stop's drain the web UI said "running" with 0 users: Locust's state changes only after
test_stopping, where the drain waits. Its web UI asks for /stats/requests only while the state is
"spawning" or "running" (webui's shouldRunInterval), so a "stopping" there would leave the page
showing it, and the drain's counts, until reloaded. While a stop is under way (the drain, then
Locust's "stopping" until the workers answer) /stats/requests says "spawning": the workers are
being taken to 0 users, which Locust calls spawning when an edit does it, and the page follows the
stop to "stopped".
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from gevent.event import Event
from locust.env import Environment
from locust.runners import STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED, STATE_STOPPING, MasterRunner

from .swarm_form import is_start_form
from .web_tabs import on_stats_requests

logger = logging.getLogger(__name__)
# Locust's own bound on a stop after the drain: it waits up to stop_timeout + 60 s for the
# workers to report zero users.
LOCUST_STOP_WAIT_S = 60.0
WORKERS_ANSWER_STOP_S = 10.0


class RunPhases:
    def __init__(self, runner: MasterRunner, drain_timeout: float) -> None:
        self.runner = runner
        self.drain_timeout = drain_timeout
        self.stopped = Event()
        self.stopped.set()  # no stop under way
        self.quitting = False
        self.under_way: set[Any] = set()  # greenlets inside Locust's start
        self.stopper: Any = None  # the greenlet of the stop under way
        self.stop_began = 0.0  # time.monotonic() of the last stop's test_stopping
        # Locust's loops (worker messages, heartbeats) run in the runner's group from its start.
        self.loops = set(runner.greenlet)
        # The run time of a web UI start that waits for a stop, counted once that start begins.
        self.run_time_after_stop: float | None = None

    def on_test_stopping(self, **_kw: Any) -> None:
        self.stop_began = time.monotonic()
        self.stopped.clear()
        current = self.stopper = gevent.getcurrent()
        for starting in list(self.under_way):
            # Not Locust's loops (a rebalance in the message listener is short, and they must live)
            if starting is not current and starting not in self.loops and isinstance(starting, gevent.Greenlet):
                logger.info("The stop ends the start of %d users under way", self.runner.target_user_count or 0)
                starting.kill(block=False)

    def on_test_stop(self, **_kw: Any) -> None:
        self.stopped.set()

    def on_test_start(self, **_kw: Any) -> None:
        # Taken by the start that waited (before Locust's test_start); one whose start never came
        # (a Stop meanwhile) is no later test's.
        self.run_time_after_stop = None

    def stopping(self) -> bool:
        """Whether a stop is under way (from test_stopping, before the drain, to test_stop)."""
        return not self.stopped.is_set()

    def test_over(self) -> bool:
        """Whether the test is stopping or stopped: no spawn completes for it any more."""
        return self.stopping() or self.runner.state in (STATE_STOPPING, STATE_STOPPED)

    def on_quitting(self, **_kw: Any) -> None:
        """The quitting event, and runner.quit (a headless master quits without that event)."""
        self.quitting = True

    def bound(self) -> float:
        """The longest a stop can take: the drain, then Locust's wait for the workers to stop."""
        return self.drain_timeout + float(self.runner.environment.stop_timeout or 0) + LOCUST_STOP_WAIT_S + 5

    def may_stop(self) -> bool:
        """Whether runner.stop may go on: not while another greenlet's stop is under way, which a
        stop outside Locust's loops waits for."""
        current = gevent.getcurrent()
        if self.stopped.is_set() or current is self.stopper:
            return True
        if current not in self.loops:
            self.stopped.wait(self.bound())
        return False

    def may_start(self, what: str) -> bool:
        """Whether runner.start (WHAT: "A start of 8 users") may go on now; waits for a stop under
        way to end first."""
        if self.stopped.is_set():
            return not self.quitting
        current = gevent.getcurrent()
        if current in self.loops:
            logger.debug("%s from Locust's loops during a stop was skipped", what)
            return False
        if current is getattr(self.runner, "shape_greenlet", None):
            logger.info("%s (the shape's next stage) is not started: the stop ends the shape", what)
            return False
        bound = self.bound()
        logger.info("%s was asked for while the test stops; it begins once the stop is done", what)
        if not self.stopped.wait(bound):
            logger.error("%s was dropped: the stop under way did not end within %.0f s", what, bound)
            return False
        # The workers answer the stop (client_stopped, then client_ready) after test_stop; a worker
        # whose client_stopped came after the new test's spawn would be dropped from it by Locust.
        answered_by = time.monotonic() + WORKERS_ANSWER_STOP_S
        while self.runner.state == STATE_STOPPING and time.monotonic() < answered_by and not self.quitting:
            gevent.sleep(0.1)
        return not self.quitting


def install(environment: Environment, runner: MasterRunner, drain_timeout: float) -> RunPhases:
    """Call before the drain's listeners are added: the stop must be known before the drain waits.
    Its on_quitting must be added to the quitting event after every other listener (plugin.py):
    Locust fires that event in reverse order, and the export's listener stops the test first."""
    gate = RunPhases(runner, drain_timeout)
    environment.events.test_stopping.add_listener(gate.on_test_stopping)
    environment.events.test_stop.add_listener(gate.on_test_stop)
    environment.events.test_start.add_listener(gate.on_test_start)
    start, stop, quit_ = runner.start, runner.stop, runner.quit
    fire_spawning_complete = environment.events.spawning_complete.fire

    def start_after_stop(user_count: int, spawn_rate: float, *args: Any, **kwargs: Any) -> None:
        waited = gate.stopping()
        if not gate.may_start(f"A start of {user_count} users"):
            return
        if waited:
            count_run_time_from_now()
        starting = gevent.getcurrent()
        gate.under_way.add(starting)
        try:
            start(user_count, spawn_rate, *args, **kwargs)
        finally:
            gate.under_way.discard(starting)

    def count_run_time_from_now() -> None:
        run_time, gate.run_time_after_stop = gate.run_time_after_stop, None
        web_ui = environment.web_ui
        if run_time is not None and web_ui is not None:
            web_ui._cancel_run_time_timer()
            web_ui._run_time_greenlet = gevent.spawn_later(run_time, web_ui._stop_runners)

    start_shape = getattr(runner, "start_shape", None)

    def start_shape_after_stop() -> None:
        if not gate.stopping():
            start_shape()
            return
        # Locust's web UI calls it in the request, and answers when it returns.
        gevent.spawn(lambda: gate.may_start("A shape test") and start_shape())

    def stop_once(*args: Any, **kwargs: Any) -> None:
        if gate.may_stop():
            stop(*args, **kwargs)

    def spawning_complete_unless_over(**kwargs: Any) -> None:
        if gate.test_over():
            logger.info("A rebalance of %s users completed after the test began to stop; the test stays stopped",
                        kwargs.get("user_count"))
            return
        fire_spawning_complete(**kwargs)

    def quit_runner() -> None:
        gate.on_quitting()
        quit_()

    runner.start = start_after_stop  # type: ignore[method-assign]
    if start_shape is not None:
        runner.start_shape = start_shape_after_stop  # type: ignore[method-assign]
    if environment.web_ui is not None:
        defer_run_time_of_a_waiting_start(environment, gate)
        keep_run_time_across_edits(environment, gate)
        show_a_stop_as_spawning(environment, gate)
    runner.stop = stop_once  # type: ignore[method-assign]
    runner.quit = quit_runner  # type: ignore[method-assign]
    environment.events.spawning_complete.fire = spawning_complete_unless_over  # type: ignore[method-assign]
    return gate


def defer_run_time_of_a_waiting_start(environment: Environment, gate: RunPhases) -> None:
    """A web UI start with a run time, taken while a stop is under way: Locust has armed its run-time
    timer already; it is disarmed here and armed again when the start begins (start_after_stop)."""
    from flask import request  # Flask comes with Locust's web UI

    web_ui = environment.web_ui

    @web_ui.app.after_request
    def run_time_from_the_start(response):  # type: ignore[no-untyped-def]
        if not is_start_form(request) or not gate.stopping():
            return response
        answer = response.get_json(silent=True) or {}
        if answer.get("success"):  # a later start replaces the one that waits, with its run time or none
            gate.run_time_after_stop = answer.get("run_time")
            if gate.run_time_after_stop is not None:
                web_ui._cancel_run_time_timer()
                logger.info("The run time of %g s counts from the start, once the stop under way is done",
                            gate.run_time_after_stop)
        return response


def keep_run_time_across_edits(environment: Environment, gate: RunPhases) -> None:
    """A swarm without a run time while the test runs (not while it stops: that is a new test) is a
    new user count for it: the run-time timer is set aside before Locust's handler disarms it, and
    put back after."""
    from flask import g, request  # Flask comes with Locust's web UI

    web_ui = environment.web_ui

    @web_ui.app.before_request
    def set_the_timer_aside():  # type: ignore[no-untyped-def]
        timer = web_ui._run_time_greenlet
        if (is_start_form(request) and not request.form.get("run_time")
                and timer is not None and not timer.dead
                and environment.runner.state in (STATE_SPAWNING, STATE_RUNNING) and not gate.stopping()):
            g.run_time_timer, web_ui._run_time_greenlet = timer, None
        return None

    @web_ui.app.after_request
    def put_the_timer_back(response):  # type: ignore[no-untyped-def]
        timer = g.pop("run_time_timer", None)
        if timer is not None and web_ui._run_time_greenlet is None:
            web_ui._run_time_greenlet = timer
        return response


def show_a_stop_as_spawning(environment: Environment, gate: RunPhases) -> None:
    """/stats/requests, which the web UI polls only while the state is "spawning" or "running", says
    "spawning" while a stop is under way (see the module's text)."""
    runner = environment.runner

    def stop_as_spawning(data: dict) -> dict | None:
        # Set from the runner's state now, whichever it is: Locust memoizes the answer for a moment.
        shown = STATE_SPAWNING if gate.stopping() or runner.state == STATE_STOPPING else runner.state
        return {**data, "state": shown} if data.get("state") != shown else None

    on_stats_requests(environment, stop_as_spawning)
