"""Plays one seeded sequence (py_bridge/sequences.py) against a fresh real master and checks the
invariant after it: the master still answers (a new peer is acked and its heartbeat answered, the
web UI responds), a real Go worker can join, and the next run's counts equal what the target
served; no traceback in the master's log. A fresh master per sequence, so that a seed that fails
fails again on its own (tests/test_e2e_sequences.py records such seeds)."""

from __future__ import annotations

import json
import random
import signal
from dataclasses import dataclass, field
from pathlib import Path

from py_bridge.sequences import PEER_PREFIX, Played, Player, plan, probe

from .parts import Master, Target, start_worker, workers_of
from .procs import Procs, get_json, wait_until

# A Go worker's idle report comes within two of boomer's 3 s report intervals, a few seconds more
# on a loaded machine; fakes that never send one go missing (3 s) or hold the drain this long.
DRAIN_TIMEOUT = "10"
# The Go worker's users pause between requests: the run after a sequence needs a few hundred
# requests, not the tens of thousands a closed loop without waits sends on a shared machine.
SCENARIO = "wait: {constant: 20ms}\ntasks:\n  - {name: home, path: /}\n"
STOP_WITHIN = 75.0  # Locust waits up to 60 s for workers that claim users to stop


@dataclass
class Outcome:
    """What one sequence did: the plan as played, the master states it met, the figures of the
    run after it, and what broke the invariant (empty: it held)."""

    played: Played | None = None
    broken: list[str] = field(default_factory=list)
    served: int = 0
    counted: int = 0

    def report(self) -> str:
        steps = self.played.plan.describe() if self.played else ""
        return f"{steps}\nstates met: {self.played.states if self.played else []}\nbroken: {self.broken}"


def run_sequence(procs: Procs, go_bin: dict[str, Path], target: Target, seed: int, mode: str,
                 workdir: Path) -> Outcome:
    p = plan(seed, mode)
    scenario = workdir / "sequence-worker.yaml"
    scenario.write_text(SCENARIO)
    worker = lambda name: start_worker(procs, go_bin["worker"], master_port[0], "--target", target.url,  # noqa: E731
                                       "--scenario", str(scenario), name=name)
    master_port: list[int] = []
    if mode == "web":
        return _web(procs, worker, master_port, target, p)
    return _headless(procs, worker, master_port, target, p, workdir)


def _web(procs: Procs, start_go, master_port: list[int], target: Target, p) -> Outcome:
    outcome = Outcome()
    master = Master(procs, "--drain-timeout", DRAIN_TIMEOUT, "-H", target.url, name=f"master-web-{p.seed}")
    master_port.append(master.port)
    wait_until(lambda: _answers(master.web), 30, "the master's web UI")
    player = Player("127.0.0.1", master.port, master.web)
    worker = None
    try:
        outcome.played = player.play(p)
        rng = random.Random(p.seed)
        stop_error = player.finish([rng.random() < 0.5 for _ in player.peers], STOP_WITHIN)
        if stop_error:
            outcome.broken.append(stop_error)
        if problem := probe("127.0.0.1", master.port):
            outcome.broken.append(problem)
            return outcome
        if not _answers(master.web):
            outcome.broken.append("the web UI does not answer")
            return outcome
        if get_json(master.web + "/stats/requests").get("state") in ("spawning", "running"):
            master.stop()
        worker = start_go(f"go-{p.seed}")
        _check(outcome, lambda: _go_ready(master.web), 20, "a Go worker to join")
        _check(outcome, lambda: not _fakes_active(master.web), 30,
               "the fake peers to leave the active workers (they are silent or quit)")
        if outcome.broken:
            return outcome
        target.reset()
        master.swarm(3, target.url)
        _check(outcome, lambda: sum(target.counts().values()) > 0 and _counted(master) > 0, 30,
               "the next run to count requests")
        master.stop()
        # the web UI caches its statistics for 2 s: the figures of a response that says "stopped"
        final = wait_until(lambda: (stats := master.stats())["state"] == "stopped" and stats, 30,
                           "the web UI to show the stopped run")
        outcome.served = sum(target.counts().values())
        outcome.counted = sum(e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated")
        if outcome.served != outcome.counted or outcome.served == 0:
            outcome.broken.append(f"the next run counted {outcome.counted} requests; the target served "
                                  f"{outcome.served}")
        return outcome
    finally:
        player.close()
        if worker is not None:
            worker.signal(signal.SIGTERM)
            _exits(outcome, worker, "on SIGTERM")
        _traceback(outcome, master)
        master.proc.stop()


def _headless(procs: Procs, start_go, master_port: list[int], target: Target, p, workdir: Path) -> Outcome:
    outcome = Outcome()
    report = workdir / f"headless-{p.seed}"
    master = Master(procs, "--headless", "--expect-workers", "2", "-u", "4", "-r", "4", "-t", "4s",
                    "--drain-timeout", DRAIN_TIMEOUT, "--json-file", str(report), "-H", target.url,
                    name=f"master-headless-{p.seed}")
    master_port.append(master.port)
    wait_until(lambda: "Starting Locust" in master.proc.log(), 30, "the master to start")
    player = Player("127.0.0.1", master.port)
    workers = []
    try:
        outcome.played = player.play(p)
        player.finish([True] * len(player.peers), 5)
        target.reset()
        workers = [start_go(f"go-{p.seed}-{i}") for i in range(2)]
        try:
            code = master.proc.wait(60)
        except AssertionError:
            deaf = [w.name for w in workers if "Timeout waiting for ack" in w.log()]
            outcome.broken.append("the headless master did not end within 60 s" +
                                  (f"; it never acked {', '.join(deaf)}" if deaf else ""))
            return outcome
        if code != 0:
            outcome.broken.append(f"the headless master exited {code}")
            return outcome
        outcome.served = sum(target.counts().values())
        outcome.counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
        if outcome.served != outcome.counted or outcome.served == 0:
            outcome.broken.append(f"the run counted {outcome.counted} requests; the target served {outcome.served}")
        return outcome
    finally:
        player.close()
        for w in workers:
            _exits(outcome, w, "after its master quit")
        _traceback(outcome, master)
        master.proc.stop()


def _answers(web: str) -> bool:
    try:
        get_json(web + "/stats/requests")
        return True
    except OSError:
        return False


def _go_ready(web: str) -> bool:
    return any(w["state"] == "ready" and not w["id"].startswith(PEER_PREFIX) for w in workers_of(web))


def _fakes_active(web: str) -> list[str]:
    return [w["id"] for w in workers_of(web)
            if w["id"].startswith(PEER_PREFIX) and w["state"] in ("ready", "spawning", "running")]


def _counted(master: Master) -> int:
    return sum(e["num_requests"] for e in master.stats()["stats"] if e["name"] != "Aggregated")


def _check(outcome: Outcome, condition, timeout: float, what: str) -> None:
    if outcome.broken:
        return
    try:
        wait_until(condition, timeout, what)
    except AssertionError as e:
        outcome.broken.append(str(e))


def _exits(outcome: Outcome, worker, when: str) -> None:
    try:
        code = worker.wait(20)
    except AssertionError:
        outcome.broken.append(f"{worker.name} still running 20 s {when}")
        return
    if code != 0:
        outcome.broken.append(f"{worker.name} exited {code} {when}")


def _traceback(outcome: Outcome, master: Master) -> None:
    log = master.proc.log()
    if "Traceback" in log or "Unhandled exception" in log:
        outcome.broken.append("the master logged a traceback")
