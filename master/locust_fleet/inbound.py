"""The one place every worker message passes before Locust's master handles it."""

from typing import Any

from locust.rpc import Message
from locust.runners import MasterRunner

from .normalise import normalise_report


def install(runner: MasterRunner) -> None:
    """Wrap the runner's message handler so reports are normalised before Locust merges them
    (Locust's merge listener is registered before any locustfile listener, so a worker_report
    listener would see the reports too late)."""
    handle = runner.handle_message

    def handle_message(client_id: str, msg: Message) -> Any:
        if msg.type == "stats" and isinstance(msg.data, dict):
            normalise_report(msg.data)
        return handle(client_id, msg)

    runner.handle_message = handle_message  # type: ignore[method-assign]
