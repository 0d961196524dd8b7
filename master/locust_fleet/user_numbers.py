"""Fleet-wide unique user numbers: the master hands Go workers blocks of user numbers so that no
two users of a test share one, whichever worker runs them (a scenario's user_id and its unique
data rows depend on it).

A worker asks with a ``fleet:user_numbers`` message ``{"count": n, "request": id}`` and gets back
``[id, s, n]``: the numbers s .. s+n-1 are its own. Numbers start at 0 with each test and are
never handed out twice in a test. The answer is a list, not a map: boomer takes any message whose
data is a map for one of Locust's own and never hands it to the worker's listeners.
"""

from __future__ import annotations

import logging
from typing import Any

from locust.env import Environment
from locust.runners import MasterRunner

MESSAGE_TYPE = "fleet:user_numbers"
# A worker asks for the users of one spawn message; far more than that is a broken worker.
MAX_COUNT = 1_000_000

logger = logging.getLogger(__name__)


class Allocator:
    """Hands out consecutive blocks of numbers from 0; reset() starts again for a new test."""

    def __init__(self) -> None:
        self._next = 0

    def reset(self) -> None:
        self._next = 0

    def answer(self, data: Any) -> list[int]:
        """The reply to a worker's request; ValueError names the field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a map with count and request, got {type(data).__name__}")
        count, request = data.get("count"), data.get("request")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= MAX_COUNT:
            raise ValueError(f"count: got {count!r}; expected an int from 1 to {MAX_COUNT}")
        if not isinstance(request, int) or isinstance(request, bool):
            raise ValueError(f"request: got {request!r}; expected an int")
        start = self._next
        self._next += count
        return [request, start, count]


def install(environment: Environment) -> Allocator:
    """Answer workers' requests on the master, starting from 0 at each test_start."""
    runner = environment.runner
    assert isinstance(runner, MasterRunner)
    allocator = Allocator()
    warned: set[str] = set()

    def on_request(msg: Any, **_kw: Any) -> None:
        try:
            reply = allocator.answer(msg.data)
        except ValueError as e:
            if msg.node_id not in warned:  # once per worker: a broken worker asks again and again
                warned.add(msg.node_id)
                logger.warning("%s from worker %s: %s", MESSAGE_TYPE, msg.node_id, e)
            return
        runner.send_message(MESSAGE_TYPE, reply, client_id=msg.node_id)

    runner.register_message(MESSAGE_TYPE, on_request)
    environment.events.test_start.add_listener(lambda **_kw: allocator.reset())
    return allocator
