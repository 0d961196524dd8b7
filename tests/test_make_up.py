"""`make up` / `make down` as a user runs them: the stack starts, the workers join, and nothing is
left running afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.parts import Master, make, workers_of
from harness.procs import free_port, wait_until

pytestmark = pytest.mark.e2e


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def stack_env(tmp_path):
    env = {"RUN_DIR": str(tmp_path / "run"), "MASTER_PORT": str(free_port()), "WEB_PORT": str(free_port()),
           "TARGET_PORT": str(free_port()), "WORKERS": "2"}
    yield env
    make("down", env=env)  # whatever the test did, stop the stack


def test_up_starts_the_stack_and_down_stops_all_of_it(stack_env):
    up = make("up", env=stack_env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"http://127.0.0.1:{stack_env['WEB_PORT']}" in up.stdout
    run = Path(stack_env["RUN_DIR"])
    pgids = {p.stem: int(p.read_text()) for p in run.glob("*.pid")}
    assert set(pgids) == {"master", "target", "worker1", "worker2"}

    web = f"http://127.0.0.1:{stack_env['WEB_PORT']}"
    wait_until(lambda: len(workers_of(web)) == 2, 30,
               "both Go workers in the master's list")
    again = make("up", env=stack_env)
    assert again.returncode == 2 and "already up" in again.stderr

    down = make("down", env=stack_env)
    assert down.returncode == 0, down.stderr
    assert not [name for name, pgid in pgids.items() if group_alive(pgid)]
    assert not list(run.glob("*.pid"))


def test_up_headless_runs_to_the_end_and_prints_the_summary(stack_env):
    env = {**stack_env, "HEADLESS": "1", "USERS": "4", "SPAWN_RATE": "4", "RUN_TIME": "4s"}
    up = make("up", env=env)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr
    assert "Aggregated" in up.stdout and "Response time percentiles" in up.stdout
    run = Path(stack_env["RUN_DIR"])
    assert not list(run.glob("*.pid")), "headless up left processes behind"


def test_workers_rejoin_a_restarted_master_within_30_s(stack_env, procs):
    up = make("up", env=stack_env)
    assert up.returncode == 0, up.stdout + up.stderr
    web = f"http://127.0.0.1:{stack_env['WEB_PORT']}"
    wait_until(lambda: len(workers_of(web)) == 2, 30, "both Go workers in the first master's list")
    run = Path(stack_env["RUN_DIR"])
    os.killpg(int((run / "master.pid").read_text()), 9)

    second = Master(procs, port=int(stack_env["MASTER_PORT"]), name="second-master")
    wait_until(lambda: len(second.workers()) == 2, 30, "both Go workers in the restarted master's list")
    logs = (run / "worker1.log").read_text()
    assert "lost the master at" in logs and "starting a fresh one" in logs
