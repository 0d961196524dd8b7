"""Reset Stats, exact for the project's Go workers.

Locust resets the master's statistics (the web UI's button, `POST /stats/reset`, `--reset-stats`
once spawning completes) but not the workers': up to one report interval (3 s) of requests made
before the reset arrives afterwards and is counted. Here every reset is also a cut on the workers:
the master sends each worker `fleet:stats_reset` [N] (its Nth reset) and drops the reports of a
worker that takes part until it answers [N]; the worker answers once everything it measured
before the reset has been reported, and from then on reports only requests it sent after it
learnt of the reset (workers-go/lifecycle/resets.go). A worker takes part once it has said so
([0] when it connects); others (Locust's Python workers, boomer-style tasks) are reset as Locust
resets them. A worker that does not answer within ANSWER_WITHIN_S is counted again, with a
warning.

The message's data is a list, not a map: boomer takes any message whose data is a map for one of
Locust's own and never hands it to the worker's listeners.

--reset-stats resets once a ramp-up the test asked for completes: the start, a new user count from
the web UI, a shape's next stage. Locust resets at every spawning_complete, and it fires one after
each of its own rebalances too, which its message and heartbeat loops run when a worker joins,
quits, goes missing or comes back: a worker quitting mid-test wiped the statistics of every minute
before it (and one quitting just before the run time's end left the summary at 0 requests, the
target having served 1230). Here the reset of --reset-stats is the plugin's, and skipped when the
completed spawn is such a rebalance.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from locust.env import Environment
from locust.rpc import Message
from locust.runners import MasterRunner

MESSAGE_TYPE = "fleet:stats_reset"
ANSWER_WITHIN_S = 20.0  # a worker's cut waits up to 10 s for boomer's report

logger = logging.getLogger(__name__)


class StatsReset:
    def __init__(self, runner: MasterRunner, now=time.monotonic) -> None:
        self.runner = runner
        self.now = now
        self.number = 0
        self.taking_part: set[str] = set()
        self.pending: dict[str, tuple[int, float]] = {}  # worker -> (reset it owes an answer for, deadline)
        self.dropped = 0
        self.listeners: list = []  # called after each reset's cut went out (the exporter's)

    def reset(self, **_kw: Any) -> None:
        """Locust's reset_stats event (fired before the master's statistics are reset) and, with
        --reset-stats, spawning_complete (after)."""
        self.number += 1
        self.taking_part &= set(self.runner.clients)  # forget the workers that left
        deadline = self.now() + ANSWER_WITHIN_S
        for worker in self.taking_part:
            self.pending[worker] = (self.number, deadline)
        for worker in self.taking_part:
            self.runner.server.send_to_client(Message(MESSAGE_TYPE, [self.number], worker))
        logger.info("Stats reset %d: %d worker(s) cut their statistics at it, %d reset as Locust resets them",
                    self.number, len(self.pending), len(self.runner.clients) - len(self.pending))
        for listener in self.listeners:
            listener()

    def on_answer(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        data = msg.data
        if not (isinstance(data, list) and len(data) == 1 and isinstance(data[0], int)
                and not isinstance(data[0], bool) and data[0] >= 0):
            logger.warning("Ignored a %s message from %s: got %r; expected [N], N >= 0", MESSAGE_TYPE,
                           msg.node_id, data)
            return
        worker, answered = msg.node_id, data[0]
        self.taking_part.add(worker)
        owed = self.pending.get(worker)
        if owed is not None and answered >= owed[0]:
            del self.pending[worker]
        elif owed is None and answered < self.number:
            # A worker that joined after a reset takes the current number, so its requests carry it.
            # It owes an answer like any worker cut at a reset: one already running users (Locust's
            # rebalance spawns them as it joins) cuts with marker requests, which its reports until
            # the answer carry and Locust would count as an endpoint of their own.
            self.pending[worker] = (self.number, self.now() + ANSWER_WITHIN_S)
            self.runner.server.send_to_client(Message(MESSAGE_TYPE, [self.number], worker))

    def drops(self, client_id: str, msg: Message) -> bool:
        """Whether a report predates its worker's cut (the reset wiped what it holds)."""
        if msg.type != "stats" or client_id not in self.pending:
            return False
        number, deadline = self.pending[client_id]
        if self.now() > deadline:
            del self.pending[client_id]
            logger.warning("Worker %s did not cut its statistics at stats reset %d within %.0f s; its reports "
                           "count again and may include requests from before the reset", client_id, number,
                           ANSWER_WITHIN_S)
            return False
        self.dropped += 1
        return True


def install(environment: Environment, runner: MasterRunner) -> StatsReset:
    resets = StatsReset(runner)
    runner.register_message(MESSAGE_TYPE, resets.on_answer)
    environment.events.reset_stats.add_listener(resets.reset)
    if environment.reset_stats:
        environment.reset_stats = False  # Locust's own listener resets at every spawning_complete
        # Locust's loops (worker messages, heartbeats) run in the runner's group from its start; a
        # spawn completed in one of them is a rebalance, never a ramp-up the test asked for.
        loops = set(runner.greenlet)

        def reset_after_ramp_up(user_count: int, **_kw: Any) -> None:
            if gevent.getcurrent() in loops:
                logger.info("Statistics kept (--reset-stats): the %d users were shared out again among the "
                            "workers after one joined or left; no ramp-up completed", user_count)
                return
            logger.info("Resetting stats (--reset-stats): the ramp-up to %d users completed", user_count)
            runner.stats.reset_all()
            resets.reset()

        environment.events.spawning_complete.add_listener(reset_after_ramp_up)
    handle = runner.handle_message

    def handle_message(client_id: str, msg: Message) -> Any:
        if resets.drops(client_id, msg):
            return None
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
    return resets
