"""The one place every worker message passes before Locust's master handles it."""

from collections.abc import Callable, Iterable
from typing import Any

from locust.rpc import Message
from locust.runners import MasterRunner

from .normalise import normalise_report


def install(runner: MasterRunner, observers: Iterable[Callable[[str, str], None]] = ()) -> None:
    """Wrap the runner's message handler so reports are normalised before Locust merges them
    (Locust's merge listener is registered before any locustfile listener, so a worker_report
    listener would see the reports too late); observers learn each message's sender and type."""
    handle = runner.handle_message
    observers = list(observers)

    def handle_message(client_id: str, msg: Message) -> Any:
        if msg.type == "stats" and isinstance(msg.data, dict):
            normalise_report(msg.data)
        for observe in observers:
            observe(client_id, msg.type)
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
