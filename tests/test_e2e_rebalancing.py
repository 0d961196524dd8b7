"""Workers joining and leaving a running test, as an autoscaler adds and removes pods: with
Locust's --enable-rebalancing (on in the Helm chart) a worker that joins takes a share of the
users, a worker that is stopped (SIGTERM, as Kubernetes stops a pod) reports its users' last
requests and the master hands its users to the others; what the target served is what Locust
counted, end to end with the real master, real workers and the counting target."""

from __future__ import annotations

import signal
import time

import pytest

from harness.exported import influx_args
from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from harness.procs import wait_until
from locust_fleet.model import AGGREGATED, RUNS
from py_bridge.fake_worker import FakeWorker

pytestmark = pytest.mark.e2e
USERS = 6


def users_by_worker(master: Master) -> list[int]:
    return sorted(w["user_count"] for w in master.workers() if w["state"] != "missing")


class PacedFleet:
    """The counting target, a master on it and Go workers whose users pause 50 ms between requests,
    started on demand."""

    def __init__(self, procs, go_bin, tmp_path, *master_args: str):
        self.procs, self.go_bin = procs, go_bin
        self.target = Target(procs, go_bin["target"])
        self.scenario = tmp_path / "paced.yaml"
        self.scenario.write_text("wait: {constant: 50ms}\ntasks:\n  - {name: home, path: /}\n")
        self.master = Master(procs, "-H", self.target.url, *master_args)

    def worker(self, name: str):
        return start_worker(self.procs, self.go_bin["worker"], self.master.port, "--scenario", str(self.scenario),
                            "--target", self.target.url, name=name)

    def workers(self, count: int) -> list:
        started = [self.worker(f"worker{i}") for i in range(count)]
        wait_until(lambda: len(self.master.workers()) == count, 30, f"{count} workers to join")
        return started


def test_workers_join_and_leave_a_running_test_and_the_counts_stay_exact(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "paced.yaml"
    scenario.write_text("wait: {constant: 10ms}\ntasks:\n  - {name: home, path: /}\n")
    master = Master(procs, "--enable-rebalancing", "-H", target.url)
    first = start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                         name="first")
    wait_until(lambda: len(master.workers()) == 1, 20, "the first worker to join")
    master.swarm(USERS, target.url, spawn_rate=USERS)
    wait_until(lambda: users_by_worker(master) == [USERS], 20, f"the first worker to run {USERS} users")

    second = start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                          name="second")
    wait_until(lambda: users_by_worker(master) == [USERS // 2, USERS // 2], 30,
               "the users to be shared by both workers after the second joined")

    first.signal(signal.SIGTERM)
    assert first.wait(20) == 0, first.log()[-2000:]
    wait_until(lambda: users_by_worker(master) == [USERS], 30, "the second worker to take all the users")
    wait_until(lambda: target.counts().get("GET /", 0) > 0, 30, "traffic")

    master.stop()
    wait_until(lambda: master.stats()["state"] == "stopped", 30, "the test to stop")
    home = next(e for e in master.stats()["stats"] if e["name"] == "home")
    assert (home["num_requests"], home["num_failures"]) == (target.counts()["GET /"], 0)
    assert "worker: interrupted; the users' last requests are reported" in first.log()
    assert second.alive()


def test_a_worker_that_says_client_ready_again_keeps_one_share_of_the_users(procs, go_bin, tmp_path):
    # A worker that retries its handshake (a slow ack) says client_ready twice: Locust added it to
    # its dispatcher a second time, which then gave it two shares for the rest of the test (7 and 3).
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "paced.yaml"
    scenario.write_text("wait: {constant: 50ms}\ntasks:\n  - {name: home, path: /}\n")
    master = Master(procs, "-H", target.url)
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url)
    fake = FakeWorker("127.0.0.1", master.port)
    try:
        fake.send("client_ready", -1)
        fake.pump(10, until=lambda: fake.first("ack") is not None)
        wait_until(lambda: len(master.workers()) == 2, 20, "the Go worker and the fake worker to join")
        master.swarm(10, target.url, spawn_rate=100)
        fake.pump(20, until=lambda: users_by_worker(master) == [5, 5])
        assert users_by_worker(master) == [5, 5]
        fake.send("client_ready", -1)  # again, while the test runs
        fake.pump(3)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and users_by_worker(master) != [5, 5]:
            fake.pump(0.5)
        spawns = [f.data["user_classes_count"] for _, f in fake.received if f.type == "spawn"]
        assert users_by_worker(master) == [5, 5] and fake.users == 5, (users_by_worker(master), spawns)
    finally:
        fake.close()


def test_a_worker_frozen_during_the_ramp_up_comes_back_with_its_share_of_the_users(procs, go_bin, tmp_path, influx):
    # Frozen long enough to be marked missing during a ramp-up, then woken: it first handled the
    # spawns that had waited for it, whose answers (spawning, spawning_complete) set its state to
    # running, so its heartbeat no longer healed it: Locust's dispatcher had dropped it and never
    # took it back. It kept its 6 users for the rest of the test beside the 16 the other one was
    # given: 22 users where 16 were asked for.
    fleet = PacedFleet(procs, go_bin, tmp_path, *influx_args(influx, tmp_path))
    target, master, workers = fleet.target, fleet.master, fleet.workers(2)
    master.swarm(16, target.url, spawn_rate=2)
    wait_until(lambda: sum(users_by_worker(master)) >= 4, 20, "the ramp-up under way")
    workers[0].signal(signal.SIGSTOP)
    try:
        wait_until(lambda: any(w["state"] == "missing" for w in master.workers()), 20, "the frozen worker missing")
    finally:
        workers[0].signal(signal.SIGCONT)
    wait_until(master.ramp_up_end, 30, "the ramp-up's end")
    wait_until(lambda: users_by_worker(master) == [8, 8], 20, "8 users on each worker")
    time.sleep(4)  # and they stay so
    assert users_by_worker(master) == [8, 8]
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped test")
    served = sum(target.counts().values())
    counted = next(e["num_requests"] for e in final["stats"] if e["name"] == AGGREGATED)
    (run,) = wait_until(lambda: (r := rows(influx.query(f"SELECT * FROM {RUNS}"))) and r[0]["state"] == "stopped"
                        and r, 30, "the run record's stop")
    assert served == counted == run["requests"] > 0
    assert run["users"] == 16, run


def test_every_worker_that_joins_a_running_test_gets_a_share_not_only_the_first(procs, go_bin, tmp_path):
    # Locust's dispatcher kept saying "dispatch in progress" after its first rebalance at the target
    # count, and its message loop rebalances only when none is: the second worker to join got a
    # share, the third none (6, 6 and 0 users); a second worker quitting left its users unrun.
    fleet = PacedFleet(procs, go_bin, tmp_path)
    target, master = fleet.target, fleet.master
    fleet.workers(1)
    master.swarm(12, target.url, spawn_rate=12)
    wait_until(lambda: users_by_worker(master) == [12], 20, "the first worker to run 12 users")
    fleet.worker("second")
    wait_until(lambda: users_by_worker(master) == [6, 6], 30, "6 users on each of two workers")
    fleet.worker("third")
    wait_until(lambda: users_by_worker(master) == [4, 4, 4], 30, "4 users on each of three workers")
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped test")
    counted = next(e["num_requests"] for e in final["stats"] if e["name"] == AGGREGATED)
    assert counted == sum(target.counts().values()) > 0


def test_workers_quitting_together_leave_the_master_listening_to_the_others(procs, go_bin, tmp_path):
    # Locust rebalances in its message loop and waited there a second for reports only that loop
    # takes in: 6 workers quitting together kept it deaf for 6 s, and the workers that stayed,
    # their heartbeats unread for 5 s, were marked missing.
    fleet = PacedFleet(procs, go_bin, tmp_path)
    target, master, workers = fleet.target, fleet.master, fleet.workers(8)
    master.swarm(16, target.url, spawn_rate=16)
    wait_until(lambda: users_by_worker(master) == [2] * 8, 20, "2 users on each worker")
    for leaving in workers[2:]:
        leaving.signal(signal.SIGTERM)
    for leaving in workers[2:]:
        assert leaving.wait(20) == 0
    wait_until(lambda: users_by_worker(master) == [8, 8], 20, "8 users on each of the two that stayed")
    time.sleep(4)  # a missing mark comes 3 s after the last heartbeat read
    assert "failed to send heartbeat" not in master.proc.log(), master.proc.log()[-3000:]
    assert [w["state"] for w in master.workers()] == ["running", "running"]


MISSING_KEPT = 5  # seconds: the master's --missing-worker-timeout below (default 60, as Locust)


def test_a_dead_workers_removal_adds_its_users_without_cutting_the_others(procs, go_bin, tmp_path):
    # --missing-worker-timeout after a worker went missing Locust removes it and starts again with a
    # new dispatcher, which knew of no running user: it ramped up from 0, and the workers that
    # stayed were sent from 4 users each down to 1 and 0, then back up over seconds.
    fleet = PacedFleet(procs, go_bin, tmp_path, "--missing-worker-timeout", str(MISSING_KEPT))
    target, master, workers = fleet.target, fleet.master, fleet.workers(3)
    master.swarm(12, target.url, spawn_rate=2)
    wait_until(lambda: users_by_worker(master) == [4, 4, 4], 30, "4 users on each worker")
    workers[2].signal(signal.SIGKILL)
    wait_until(lambda: any(w["state"] == "missing" for w in master.workers()), 20, "the killed worker missing")
    seen_missing = time.monotonic()
    fewest, removed_after = 4, None
    deadline = seen_missing + MISSING_KEPT + 30  # with Locust's 60 s it would still be there

    def shared_by_the_two_left() -> bool:
        nonlocal fewest, removed_after
        users = users_by_worker(master)
        if len(master.workers()) == 2:
            fewest = min([fewest, *users])
            removed_after = removed_after or time.monotonic() - seen_missing
        return users == [6, 6]

    while not shared_by_the_two_left():
        assert time.monotonic() < deadline, f"the users were not shared by the two left: {master.workers()}"
        time.sleep(0.2)
    assert fewest >= 4, f"a worker that stayed was sent down to {fewest} users"
    # kept for its heartbeat to bring it back (seen missing up to a polling round after it was marked)
    assert removed_after >= MISSING_KEPT - 2, f"the missing worker was removed {removed_after:.1f} s after"
