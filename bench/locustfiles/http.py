"""Locust's HttpUser (requests) sending GET / as fast as it can."""

from locust import HttpUser, constant, task


class Plain(HttpUser):
    wait_time = constant(0)

    @task
    def root(self):
        self.client.get("/")
