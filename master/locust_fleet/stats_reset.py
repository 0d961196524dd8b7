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

What a worker cut at a reset reports until it answers was all sent before the reset: the
requests it had measured but not reported yet, and those in flight at the reset, which it waits
for before its markers. Locust's statistics, reset, never see them; the exporter gets them for
the figures before the reset (InfluxDB's points before the `stats_reset` event), the markers taken
out. So each request counts on exactly one side of the reset, on the side where the target counted
it (a request carries its reset number). A worker that joined after the reset (it was not cut
at it) sends requests it made before it learnt of the reset: dropped, as it is not of the run's
figures before the reset either.

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
# a worker's cut waits up to 5 s for its requests in flight and 10 s for boomer's report
ANSWER_WITHIN_S = 20.0
# The entry of the two requests (a success and a failure, 0 ms) a worker's cut feeds through its
# statistics (workers-go/lifecycle/resets.go, markerMethod and markerName).
MARKER = ("stats reset", "FLEET")

logger = logging.getLogger(__name__)


class StatsReset:
    def __init__(self, runner: MasterRunner, now=time.monotonic) -> None:
        self.runner = runner
        self.now = now
        self.number = 0
        self.taking_part: set[str] = set()
        # worker -> the resets it owes an answer for, oldest first, each with its deadline: a Go
        # worker cuts resets that come during a cut one after the other, answering each
        self.pending: dict[str, list[tuple[int, float]]] = {}
        self.dropped = 0
        self.cut_at: dict[int, set[str]] = {}  # reset -> the workers cut at it that still owe its answer
        # Told of each reset (on_reset(number, workers cut)), of the reports its workers sent before
        # it (on_report_before_reset(worker, number, data), the markers taken out), and of each of
        # those workers' cut being over (on_cut_over(worker, number): answered, given up, or the
        # worker quit): the exporter.
        self.followers: list = []

    def reset(self, **_kw: Any) -> None:
        """Locust's reset_stats event (fired before the master's statistics are reset) and, with
        --reset-stats, spawning_complete (after)."""
        self.number += 1
        self.taking_part &= set(self.runner.clients)  # forget the workers that left
        deadline = self.now() + ANSWER_WITHIN_S
        for worker in self.taking_part:
            self.pending.setdefault(worker, []).append((self.number, deadline))
        if self.taking_part:
            self.cut_at[self.number] = set(self.taking_part)
        for worker in self.taking_part:
            self.runner.server.send_to_client(Message(MESSAGE_TYPE, [self.number], worker))
        logger.info("Stats reset %d: %d worker(s) cut their statistics at it, %d reset as Locust resets them",
                    self.number, len(self.taking_part), len(self.runner.clients) - len(self.taking_part))
        for follower in self.followers:
            follower.on_reset(self.number, frozenset(self.taking_part))

    def settle(self, worker: str, answered: int | None = None) -> None:
        """The worker's cuts up to ANSWERED (all when None) are over."""
        owed = self.pending.get(worker, [])
        while owed and (answered is None or owed[0][0] <= answered):
            number, _ = owed.pop(0)
            cut = self.cut_at.get(number, set())
            if worker in cut:
                cut.discard(worker)
                if not cut:
                    del self.cut_at[number]
                for follower in self.followers:
                    follower.on_cut_over(worker, number)
        if not owed:
            self.pending.pop(worker, None)

    def on_answer(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        data = msg.data
        if not (isinstance(data, list) and len(data) == 1 and isinstance(data[0], int)
                and not isinstance(data[0], bool) and data[0] >= 0):
            logger.warning("Ignored a %s message from %s: got %r; expected [N], N >= 0", MESSAGE_TYPE,
                           msg.node_id, data)
            return
        worker, answered = msg.node_id, data[0]
        self.taking_part.add(worker)
        if worker in self.pending:
            self.settle(worker, answered)
        elif answered < self.number:
            # A worker that joined after a reset takes the current number, so its requests carry it.
            # It owes an answer like any worker cut at a reset: one already running users (Locust's
            # rebalance spawns them as it joins) cuts with marker requests, which its reports until
            # the answer carry and Locust would count as an endpoint of their own.
            self.pending[worker] = [(self.number, self.now() + ANSWER_WITHIN_S)]
            self.runner.server.send_to_client(Message(MESSAGE_TYPE, [self.number], worker))

    def drops(self, client_id: str, msg: Message) -> bool:
        """Whether a report predates its worker's cut (the reset wiped what it holds)."""
        if msg.type != "stats" or client_id not in self.pending:
            return False
        number, deadline = self.pending[client_id][0]
        if self.now() > deadline:
            logger.warning("Worker %s did not cut its statistics at stats reset %d within %.0f s; its reports "
                           "count again and may include requests from before the reset", client_id, number,
                           ANSWER_WITHIN_S)
            self.settle(client_id)
            return False
        self.dropped += 1
        if client_id in self.cut_at.get(number, ()) and isinstance(msg.data, dict):
            before = without_markers(msg.data)
            for follower in self.followers:
                follower.on_report_before_reset(client_id, number, before)
        return True


def without_markers(data: dict[str, Any]) -> dict[str, Any]:
    """A worker's report without its cut's marker requests: their entry, their error, and their
    share of the total (2 requests, 1 failure, 0 ms each)."""
    entries = data.get("stats") or []
    markers = [e for e in entries if isinstance(e, dict) and (e.get("name"), e.get("method")) == MARKER]
    if not markers:
        return data
    kept = [e for e in entries if not (isinstance(e, dict) and (e.get("name"), e.get("method")) == MARKER)]
    total = dict(data.get("stats_total") or {})
    for marker in markers:
        for field in ("num_requests", "num_failures", "num_none_requests", "total_response_time",
                      "total_content_length"):
            if field in total:
                total[field] = (total[field] or 0) - (marker.get(field) or 0)
        for field in ("num_reqs_per_sec", "num_fail_per_sec", "response_times"):
            total[field] = subtracted(total.get(field) or {}, marker.get(field) or {})
    # The markers' 0 ms were the total's smallest time: the smallest of the entries kept is.
    lows = [e["min_response_time"] for e in kept if isinstance(e, dict) and e.get("min_response_time") is not None]
    total["min_response_time"] = min(lows) if lows else None
    errors = {key: error for key, error in (data.get("errors") or {}).items()
              if not (isinstance(error, dict) and (error.get("name"), error.get("method")) == MARKER)}
    return {**data, "stats": kept, "stats_total": total, "errors": errors}


def subtracted(counts: dict, less: dict) -> dict:
    """counts less less, per key; keys left at 0 dropped."""
    out = dict(counts)
    for key, n in less.items():
        left = (out.get(key) or 0) - (n or 0)
        if left:
            out[key] = left
        else:
            out.pop(key, None)
    return out


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
        if msg.type == "quit":
            # A Go worker reports its last requests before it quits: its cuts are over, not 20 s later.
            resets.settle(client_id)
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
    return resets
