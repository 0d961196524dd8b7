"""Locust's FastHttpUser sending GET / as fast as it can: the Python reference of the load benchmark."""

from locust import FastHttpUser, constant, task


class Fast(FastHttpUser):
    wait_time = constant(0)

    @task
    def root(self):
        self.client.get("/")
