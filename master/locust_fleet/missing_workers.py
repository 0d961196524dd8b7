"""How long the master keeps a worker that went missing (--missing-worker-timeout).

Locust marks a worker missing after 3 s without its heartbeat and keeps it, so that its heartbeat
can bring it back, for a fixed 60 s (`locust.runners.HEARTBEAT_DEAD_INTERNAL`, in ticks of its
one-second heartbeat loop); then it removes the worker, shares its users out to the others and asks
it to reconnect should it come back. Until then a killed worker's users are run by no one (unless
the test runs with --enable-rebalancing). A fleet whose workers are replaced by a scheduler (a pod
killed) wants them shared sooner; one whose network drops workers for longer than a minute wants
them kept longer. Locust's heartbeat loop reads the constant on every tick, so setting it is
enough.
"""

from __future__ import annotations

import locust.runners

DEFAULT_S = 60  # Locust's own: -locust.runners.HEARTBEAT_DEAD_INTERNAL as installed


def install(seconds: int) -> None:
    # A missing worker's heartbeat counter goes down by one each tick from -1; the loop removes it
    # once the counter reaches this value, `seconds` ticks after it was marked missing.
    locust.runners.HEARTBEAT_DEAD_INTERNAL = -seconds
