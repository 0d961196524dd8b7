"""Locust master for Go workers: `locust -f master/locustfile.py --master`.

Locust hands users out per user class of the master's locustfile, so this file declares the class
the Go workers stand in for. A Locust Python worker joining the same master needs a class of the
same name in its own locustfile.
"""

from locust import User, task
from locust.exception import StopUser

import locust_fleet.plugin  # noqa: F401  (registers the plugin's options and listeners)


class GoWorkerUser(User):
    """Placeholder for the users that Go workers run; the master never runs it itself."""

    @task
    def runs_on_go_workers(self) -> None:
        raise StopUser()
