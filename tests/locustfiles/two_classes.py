"""A master locustfile with a Python user class beside the Go workers' one, as a team writes it
for a mixed fleet or to pick classes in the web UI (--class-picker). Locust hands every worker a
share of every class; a Go worker runs GoWorkerUser's share only."""

from locust import FastHttpUser, User, task
from locust.exception import StopUser

import locust_fleet.plugin  # noqa: F401  (registers the plugin's options and listeners)


class GoWorkerUser(User):
    """The class the Go workers stand in for, as in master/locustfile.py."""

    @task
    def runs_on_go_workers(self) -> None:
        raise StopUser()


class BrowserUser(FastHttpUser):
    """A Python class no Go worker has."""

    @task
    def home(self) -> None:
        self.client.get("/", name="python home")
