"""Locust shares the users out again each time a worker joins, quits or comes back, not only the
first time.

Locust's master rebalances from its message loop only while its users dispatcher says no dispatch
is in progress. A rebalance at the target user count ends the dispatcher's generator without
clearing that flag (Locust 2.43 to 2.47, `UsersDispatcher._dispatcher`), so after the first worker
joined or quit in a test every later change was ignored: with 3 workers and 12 users, the first
worker quitting left 6 and 6, the second left 6 users for the rest of the test; workers joining
after the first stayed without users. Here, once a start has returned and the dispatcher's
generator is finished, the flag is cleared: nothing is being dispatched.

After dispatching, Locust's start waits up to a second for the workers' reports of their users.
A rebalance runs in the message loop, the one greenlet that takes those reports in: it waited the
whole second, deaf to every worker. Several workers quitting together (a deployment scaled down)
kept it deaf for a second each, and the workers that stayed, their heartbeats unread, were marked
missing (and with them all gone, Locust stops the test). A rebalance in Locust's loops does not
wait: spawning_complete follows its dispatch.

A worker missing for 60 s (--missing-worker-timeout) is removed by Locust's heartbeat loop, which then drops its users
dispatcher and starts again with a new one. A new dispatcher knows of no running user: it ramped
up from 0 at the spawn rate, so the workers that stayed were sent to 0 and 1 users and back up to
their share (8 users became 1, then 12 over 11 s at 1/s). Here the new dispatcher of a running test
starts from the users the workers run, and only the missing users are added at the spawn rate.
"""

from __future__ import annotations

from typing import Any

import gevent
from locust.dispatch import UsersDispatcher
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner


def clear_finished_dispatch(runner: MasterRunner) -> None:
    dispatcher = runner._users_dispatcher
    if dispatcher is None or not dispatcher.dispatch_in_progress:
        return
    generator = getattr(dispatcher, "_dispatcher_generator", None)
    # A finished generator has no frame; one another start is still iterating keeps its flag.
    if generator is not None and generator.gi_frame is None:
        dispatcher._dispatch_in_progress = False


def dispatcher_from_running_users(runner: MasterRunner) -> UsersDispatcher:
    """A users dispatcher for the live workers that starts from the users they run."""
    workers = runner.clients.ready + runner.clients.spawning + runner.clients.running
    dispatcher = runner.environment.dispatcher_class(worker_nodes=workers, user_classes=runner.user_classes)
    dispatcher._current_user_count = sum(sum(w.user_classes_count.values()) for w in workers)
    dispatcher._prepare_rebalance()  # those users shared out as Locust shares them
    return dispatcher


def install(runner: MasterRunner) -> None:
    start = runner.start
    wait_for_reports = runner._wait_for_workers_report_after_ramp_up
    # Locust's loops (worker messages, heartbeats) run in the runner's group from its start.
    loops = set(runner.greenlet)

    def wait_unless_in_loops() -> float:
        return 0.0 if gevent.getcurrent() in loops else wait_for_reports()

    def start_then_clear(*args: Any, **kwargs: Any) -> None:
        # No dispatcher during a test: Locust's heartbeat loop dropped it after removing a worker.
        if runner._users_dispatcher is None and runner.state in (STATE_RUNNING, STATE_SPAWNING) and runner.worker_count:
            runner._users_dispatcher = dispatcher_from_running_users(runner)
        start(*args, **kwargs)
        clear_finished_dispatch(runner)

    runner.start = start_then_clear  # type: ignore[method-assign]
    runner._wait_for_workers_report_after_ramp_up = wait_unless_in_loops  # type: ignore[method-assign]
