"""A Locust Python worker that joins the project's master beside Go workers. Locust hands out users
by class name, so the class is named like the master's placeholder, GoWorkerUser; it sends the same
three requests as tests/scenarios/three_endpoints.yaml, under the same names. PYTHON_WORKER_WAIT_S
paces its users (default 0: no pause)."""

import os

from locust import FastHttpUser, constant, task


class GoWorkerUser(FastHttpUser):
    wait_time = constant(float(os.environ.get("PYTHON_WORKER_WAIT_S", "0")))

    @task(3)
    def home(self):
        with self.client.get("/", name="home", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"unexpected status {resp.status_code} (expected 200)")

    @task(2)
    def items(self):
        self.client.post("/items", name="items", data='{"n": 1}', headers={"Content-Type": "application/json"})

    @task(1)
    def broken(self):
        with self.client.get("/status/503", name="broken", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"unexpected status {resp.status_code} (expected 200)")
