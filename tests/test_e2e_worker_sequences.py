"""The Go worker under sequences of master messages sent back to back, where only a precisely timed
master gets (the fake master, py_bridge/fake_master.py): what it answers, in which order, what its
heartbeats say it is, and that a drain afterwards counts exactly what the target served."""

from __future__ import annotations

import time

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import wait_until
from py_bridge.fake_master import FakeMaster
from py_bridge.reports import is_idle_report
from py_bridge.verify import DEFAULT_USER_CLASS, SCENARIO

pytestmark = pytest.mark.e2e


@pytest.fixture
def driven(procs, go_bin, request):
    """A fake master with a Go worker registered (acknowledged) and the counting target; the
    worker's extra flags come from the test's `worker_flags` mark."""
    flags = request.node.get_closest_marker("worker_flags")
    target = Target(procs, go_bin["target"])
    master = FakeMaster(DEFAULT_USER_CLASS)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", target.url, "--scenario", str(SCENARIO),
                          *(flags.args if flags else ()))
    master.wait_for("client_ready", lambda f: f.type == "client_ready", 20)
    master.send("ack", {"index": 0})
    yield master, worker, target
    master.close()


def spawn(master: FakeMaster, target: Target, users: int) -> None:
    master.send("spawn", {"timestamp": time.time(), "user_classes_count": {DEFAULT_USER_CLASS: users},
                          "host": target.url, "stop_timeout": 3.0, "parsed_options": {}})


def received(master: FakeMaster, since: float = 0.0) -> list:
    return [e.frame for e in master.log.events if e.direction == "in" and e.frame and e.at >= since]


def test_a_stop_right_after_a_spawn_leaves_the_worker_ready_and_showing_no_users(driven):
    master, worker, target = driven
    spawn(master, target, 3)
    master.send("stop", None)
    master.wait_for("client_ready after the stop", lambda f: f.type == "client_ready", 10)
    master.send("ack", {"index": 0})
    settled = time.time()
    master.observe(4.5)  # heartbeats each second, and a report's 3 s

    answers = [f.type for f in received(master) if f.type in ("spawning", "spawning_complete", "client_stopped")]
    # boomer sent spawning_complete from a goroutine of its own, after the stop's answers: Locust's
    # master then counted the stopped worker's 3 users again, as did every report after it.
    assert answers == ["spawning", "spawning_complete", "client_stopped"]
    after = received(master, settled)
    states = {f.data["state"] for f in after if f.type == "heartbeat"}
    assert states == {"ready"}, states
    assert not [f for f in after if f.type == "stats"], "a stopped worker reports"
    master.quit()
    assert worker.wait(10) == 0


def test_a_stop_while_users_are_in_a_slow_on_start_counts_what_they_finish(procs, go_bin, tmp_path):
    """The real master's stop drains: a spawn of zero users, then the worker's first report of no
    users that measured nothing. The worker's reports named the users the master asked for (0 at
    once) while retired users still finished their request in hand (here a 7 s login): the master
    took the next report as idle and stopped, and the logins and the users' OnStop requests were
    served but never counted. A task's slow request was lost the same way."""
    target = Target(procs, go_bin["target"])
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("on_start:\n  - {name: login, path: /delay/7000}\n"
                        "wait: {constant: 1s}\ntasks:\n  - {name: home, path: /}\n"
                        "on_stop:\n  - {name: bye, path: /bye}\n")
    master = Master(procs, "-H", target.url)
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url)
    wait_until(lambda: [w["state"] for w in master.workers()] == ["ready"], 30, "the worker")
    master.swarm(2, target.url)
    wait_until(lambda: master.stats()["user_count"] == 2, 30, "both users")
    time.sleep(0.5)  # in their login
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped run")
    counted = {e["name"]: e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated"}
    wait_until(lambda: target.counts() == {"GET /delay/7000": 2, "GET /bye": 2}, 15, "the logins and OnStops served")
    assert counted == {"login": 2, "bye": 2}, counted


def test_up_down_up_back_to_back_reaches_the_last_count_and_counts_exactly(driven):
    master, worker, target = driven
    for users in (3, 0, 2):
        spawn(master, target, users)
    master.observe(3.5)
    completes = [f.data for f in received(master) if f.type == "spawning_complete"]
    assert [c["count"] for c in completes] == [3, 0, 2]
    assert [c["user_classes_count"] for c in completes] == [{DEFAULT_USER_CLASS: n} for n in (3, 0, 2)]
    spawn(master, target, 0)
    master.wait_for("an idle report", lambda f: f.type == "stats" and is_idle_report(f.data), 15)
    counted = sum(f.data["stats_total"]["num_requests"] for f in received(master) if f.type == "stats")
    served = sum(target.counts().values())
    assert served > 0 and counted == served
    master.quit()
    assert worker.wait(10) == 0


SILENCE_TOLERATED = 5  # seconds: --master-heartbeat-timeout of the test below (default 60)


@pytest.mark.faults
@pytest.mark.worker_flags("--master-heartbeat-timeout", f"{SILENCE_TOLERATED}s")
def test_a_worker_whose_master_stops_answering_heartbeats_exits_1_and_stops_its_users(driven):
    """boomer gives up on a master silent for --master-heartbeat-timeout (a frozen master: its
    sockets stay open, so the lifeline sees nothing) and shut down without quitting: the process
    stayed, its users sending requests no report carried, and it never exited, not even when the
    master answered again and said quit. The default, 60 s, is checked by the worker's unit tests."""
    master, worker, target = driven
    spawn(master, target, 1)
    master.wait_for("spawning_complete", lambda f: f.type == "spawning_complete", 10)
    master.observe(2.5)  # heartbeats answered: boomer times its master's silence from the last one
    last_answer = master.log.sent_at("heartbeat")[-1]
    deadline = time.monotonic() + SILENCE_TOLERATED + 15
    while worker.alive() and time.monotonic() < deadline:  # reads what the worker sends, answers nothing
        if master.socket.poll(200):
            master.socket.recv_multipart()
    assert not worker.alive(), f"the worker stayed after its master was silent for {SILENCE_TOLERATED + 15} s"
    gave_up_after = time.time() - last_answer
    assert worker.wait(1) == 1
    assert f"sent no heartbeat for {SILENCE_TOLERATED}s (--master-heartbeat-timeout)" in worker.log()
    assert gave_up_after >= SILENCE_TOLERATED, f"the worker gave up after {gave_up_after:.1f} s of silence"
    served = sum(target.counts().values())
    time.sleep(1)
    assert sum(target.counts().values()) == served  # its users ended with it
