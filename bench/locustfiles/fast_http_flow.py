"""The acceptance flow of docs/scenario.md written as Locust's FastHttpUser: the Python reference of
the flow benchmark. Same requests, names, checks and waits as bench/flow.yaml; accounts come from
the same CSV, one row per user (a single process, so a counter makes them unique)."""

import csv
import itertools
import os

import gevent
from locust import FastHttpUser, between, task

with open(os.environ["FLOW_ACCOUNTS"], newline="") as f:
    ACCOUNTS = list(csv.DictReader(f))
NEXT_ROW = itertools.count()
WAIT = tuple(float(s) for s in os.environ.get("FLOW_WAIT", "0.1,0.3").split(","))
THINK = float(os.environ.get("FLOW_THINK", "0.05"))


class Flow(FastHttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        account = ACCOUNTS[next(NEXT_ROW)]
        with self.client.post("/login", json={"user": account["user"], "password": account["password"]},
                              name="login", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"unexpected status {resp.status_code} (expected 200)")
                raise RuntimeError("login failed")
            self.token = resp.json()["token"]

    @task(3)
    def browse(self):
        auth = {"Authorization": f"Bearer {self.token}"}
        with self.client.get("/items", headers=auth, name="items", catch_response=True) as resp:
            items = resp.json().get("items", []) if resp.status_code == 200 else []
            if len(items) < 2:
                resp.failure("check json $.items[1].id: not found")
                return
            item = items[0]["id"]
        if THINK:
            gevent.sleep(THINK)
        with self.client.get(f"/items/{item}", headers=auth, name="item", catch_response=True) as resp:
            if '"id"' not in resp.text:
                resp.failure('check body_contains "id": not found')
            elif str(resp.json().get("id")) != str(item):
                resp.failure('check json $.id equals "{{ item }}": got ' + str(resp.json().get("id")))

    @task(1)
    def home(self):
        self.client.get("/", name="/")
