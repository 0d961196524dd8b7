"""A master locustfile whose test is a LoadTestShape: the plugin and the placeholder class of
master/locustfile.py, and steps from SHAPE_STEPS, e.g. "4x3,12x3,2x2" (4 users for 3 s, then 12 for 3 s, then 2
for 2 s); after the last step tick() returns None and the shape ends the test."""

import os

from locust import LoadTestShape, User, task
from locust.exception import StopUser

import locust_fleet.plugin  # noqa: F401  (registers the plugin's options and listeners)


class GoWorkerUser(User):
    """The class the Go workers stand in for, as in master/locustfile.py."""

    @task
    def runs_on_go_workers(self) -> None:
        raise StopUser()


def steps() -> list[tuple[int, float]]:
    out = []
    for step in os.environ["SHAPE_STEPS"].split(","):
        users, seconds = step.split("x")
        out.append((int(users), float(seconds)))
    return out


class SteppedShape(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time()
        end = 0.0
        for users, seconds in steps():
            end += seconds
            if run_time < end:
                return users, 100
        return None
