"""What an operator does through the web UI in quick succession, and how workers answer a stop,
against a real master with real workers and a real InfluxDB: after each sequence every run is
recorded once with its own figures, and the counts are exact (Locust's = what the target served =
the run records = InfluxDB's sums)."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import urllib.parse
import urllib.request

import pytest

from harness.exported import influx_args
from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from harness.procs import REPO, get_json, wait_until
from locust_fleet.model import AGGREGATED, CHECKS, EVENTS, EXPORTER, REQUESTS, RUNS

pytestmark = pytest.mark.e2e
# Users that pause between requests: a few hundred requests per run, not tens of thousands.
SCENARIO = "wait: {constant: 50ms}\ntasks:\n  - {name: home, path: /}\n"
SPAWNED = re.compile(r"total number of clients required is\s+(\d+)")


def web_master(procs, go_bin, tmp_path, influx, workers: int = 2, *extra: str):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "--drain-timeout", "10", "-H", target.url, *influx_args(influx, tmp_path), *extra)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    for i in range(workers):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == workers, 30, f"{workers} workers to join")
    return target, master


def aggregated(master: Master) -> dict:
    stats = get_json(master.web + "/stats/requests")
    total = next(e for e in stats["stats"] if e["name"] == AGGREGATED)
    return {"state": stats["state"], "users": stats["user_count"], "requests": total["num_requests"]}


def stopped_runs(influx, count: int) -> list[dict]:
    def all_stopped():
        runs = rows(influx.query(f"SELECT * FROM {RUNS}"))
        return runs if len(runs) == count and all(r["state"] == "stopped" for r in runs) else None
    return sorted(wait_until(all_stopped, 20, f"{count} stopped run records in InfluxDB"), key=lambda r: r["time"])


def influx_requests(influx, run_id: str) -> int:
    found = rows(influx.query(f"SELECT sum(requests) FROM {REQUESTS} WHERE run_id = '{run_id}' "
                              f"AND \"name\" = '{AGGREGATED}'"))
    return found[0]["sum"] if found else 0


def last_spawn(worker) -> int | None:
    """The user count of the last spawn a Go worker was sent (boomer logs each one's total): a stop's
    drain sends every running worker a spawn of zero users."""
    counts = SPAWNED.findall(worker.log())
    return int(counts[-1]) if counts else None


def drain_under_way(procs, holding) -> None:
    """Waits until the stop's drain is under way: its zero-user spawn reached a running worker other
    than HOLDING (a shape's end may have sent it already). A fixed 0.3 s after the stop was asked,
    a master slow to take the stop on a loaded machine was still running the test."""
    others = [p for p in procs.started if p.name.startswith("worker") and p is not holding and p.alive()]
    wait_until(lambda: any(last_spawn(p) == 0 for p in others), 30, "the stop's drain to be under way")


def during_a_held_stop(procs, master: Master, action, hold: float = 0.0) -> None:
    """Stop the test and do ACTION while the stop drains: worker0, frozen from before the stop until
    HOLD seconds after the action, holds the drain (it waits for that worker's last report; the
    workers' own reports, every 3 s, may end it at once). ACTION comes once the drain is under way."""
    holding = next(p for p in procs.started if p.name == "worker0")
    holding.signal(signal.SIGSTOP)
    stopping = threading.Thread(target=master.stop)
    try:
        stopping.start()
        drain_under_way(procs, holding)
        action()
        time.sleep(hold)
        assert stopping.is_alive(), "the stop was over before the action: the sequence was not played"
    finally:
        holding.signal(signal.SIGCONT)
    stopping.join(60)


def test_a_start_right_after_a_stop_is_a_new_test_once_the_stop_is_done(procs, go_bin, tmp_path, influx):
    # The stop's drain waits seconds for the workers' last reports, while Locust still says
    # "running": a swarm then only changed the count of the test that was stopping, so the stop
    # ended it, the web UI said "Swarming started" for a test that never ran, and the stopped run's
    # record said 6 users instead of its 4.
    target, master = web_master(procs, go_bin, tmp_path, influx)
    master.swarm(4, target.url)
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the first test's requests")
    during_a_held_stop(procs, master, lambda: master.swarm(6, target.url))
    wait_until(lambda: aggregated(master)["users"] == 6 and aggregated(master)["requests"] > 0, 30,
               "the second test with 6 users")
    master.stop()
    # Polled: the stop returns after the drain and Locust's stop, and the master says "spawning" (the
    # web UI's state while a stop is under way) until the workers have answered it, a moment later.
    second = wait_until(lambda: (now := aggregated(master))["state"] == "stopped" and now, 30,
                        "the second test to be stopped")

    first_run, second_run = stopped_runs(influx, 2)
    assert (first_run["users"], first_run["peak_users"]) == (4, 4), first_run
    assert (second_run["users"], second_run["peak_users"]) == (6, 6), second_run
    served = sum(target.counts().values())
    assert second_run["requests"] == second["requests"]
    assert first_run["requests"] + second_run["requests"] == served
    for run in (first_run, second_run):
        assert influx_requests(influx, run["run_id"]) == run["requests"] > 0, run
    assert "A start of 6 users was asked for while the test stops; it begins once the stop is done" \
        in master.proc.log()


def test_a_python_workers_report_after_it_answered_the_stop_counts_everywhere(procs, go_bin, tmp_path, influx):
    # Without a drain, a Locust Python worker answers the stop (client_stopped), waits
    # --stop-timeout, then says client_ready; the report of its users' last requests comes in
    # between. The master took it for a stranger's: rejected, the worker asked to reconnect, and
    # Locust counted fewer requests than the target served; the run record had stopped counting.
    target, master = web_master(procs, go_bin, tmp_path, influx, 0, "--drain-timeout", "0", "-s", "3")
    procs.start("python-worker", [str(REPO / ".venv" / "bin" / "locust"), "-f",
                                  str(REPO / "tests" / "locustfiles" / "python_worker.py"), "--worker",
                                  "--master-host", "127.0.0.1", "--master-port", str(master.port)],
                env={"PYTHON_WORKER_WAIT_S": "0.05"})
    wait_until(lambda: len(master.workers()) == 1, 30, "the Python worker to join")
    before = 0
    for runs, users in ((1, 4), (2, 3)):  # and the next run after it counts as exactly
        master.swarm(users, target.url)
        wait_until(lambda: aggregated(master)["requests"] > 0, 30, f"the run of {users} users")
        time.sleep(2)
        master.stop()
        wait_until(lambda: [w["state"] for w in master.workers()] == ["ready"], 20,
                   "the worker's client_ready after its stop timeout")
        served = sum(target.counts().values()) - before
        wait_until(lambda: aggregated(master)["requests"] == served, 30,
                   f"Locust to count the {served} requests the target served in the run")
        wait_until(lambda: stopped_runs(influx, runs)[-1]["requests"] == served, 30,
                   f"the run record to count the {served} requests")
        run = stopped_runs(influx, runs)[-1]
        assert influx_requests(influx, run["run_id"]) == served, run
        before += served
    log = master.proc.log()
    assert "Rejected" not in log and "asking it to reconnect" not in log, log[-3000:]


def test_a_python_workers_report_after_a_headless_run_time_counts_everywhere(procs, go_bin, tmp_path, influx):
    # At the run time's end the master stops, then tells the workers to quit; without a drain a
    # Python worker sends its users' last report then, and Locust's summary counts it.
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", "4", "-r", "100", "-t", "4s", "--expect-workers", "1",
                    "--drain-timeout", "0", "-s", "2", "--json-file", str(report), "-H", target.url,
                    *influx_args(influx, tmp_path))
    procs.start("python-worker", [str(REPO / ".venv" / "bin" / "locust"), "-f",
                                  str(REPO / "tests" / "locustfiles" / "python_worker.py"), "--worker",
                                  "--master-host", "127.0.0.1", "--master-port", str(master.port)],
                env={"PYTHON_WORKER_WAIT_S": "0.05"})
    assert master.proc.wait(60) in (0, 1), master.proc.log()[-3000:]  # 1: the scenario's /status/503
    served = sum(target.counts().values())
    counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
    (run,) = stopped_runs(influx, 1)
    assert served == counted == run["requests"] == influx_requests(influx, run["run_id"]) > 0, \
        (served, counted, run["requests"])


def test_a_run_time_shorter_than_the_ramp_up_ends_the_ramp_up_with_it(procs, go_bin, tmp_path, influx):
    # 20 users at 4/s for 3 s: the ramp-up went on through the stop's drain and completed there, so
    # --reset-stats reset the statistics in the middle of the drain (Locust's summary: 0 requests,
    # the target had served hundreds) and the run record said 20 users, the run had reached 12.
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    master = Master(procs, "--headless", "-u", "20", "-r", "4", "-t", "3s", "--expect-workers", "2", "--reset-stats",
                    "--json-file", str(report), "-H", target.url, *influx_args(influx, tmp_path))
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     name=f"worker{i}")
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    served = sum(target.counts().values())
    counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
    (run,) = stopped_runs(influx, 1)
    assert served == counted == run["requests"] == influx_requests(influx, run["run_id"]) > 0, \
        (served, counted, run["requests"])
    assert run["users"] == run["peak_users"] < 20, run
    events = [e["event"] for e in rows(influx.query(f"SELECT * FROM {EVENTS}"))]
    assert "spawning_complete" not in events and "stats_reset" not in events, events


def test_sigterm_during_the_stops_drain_stops_the_test_once(procs, go_bin, tmp_path, influx):
    # SIGTERM while the Stop button's drain waits: the quit's stop found Locust still "running" and
    # stopped the test a second time once the drain was over, so test_stop fired twice and the run's
    # non-fatal checks were written twice to InfluxDB (one record per check and run).
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    scenario = tmp_path / "checked.yaml"
    scenario.write_text("wait: {constant: 50ms}\ntasks:\n  - {name: home, path: /, check: "
                        "[{status: 200, fatal: false, name: status is 200}]}\n")
    master = Master(procs, "--drain-timeout", "10", "--json-file", str(report), "-H", target.url,
                    *influx_args(influx, tmp_path))
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 30, "2 workers to join")
    master.swarm(4, target.url)
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the test's requests")
    during_a_held_stop(procs, master, lambda: master.proc.signal(signal.SIGTERM))
    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    assert "Drained 2 worker(s)" in master.proc.log()
    served = sum(target.counts().values())
    counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
    (run,) = stopped_runs(influx, 1)
    assert served == counted == run["requests"] == influx_requests(influx, run["run_id"]) > 0
    checks = rows(influx.query(f"SELECT * FROM {CHECKS}"))
    assert [(c["check"], c["passes"], c["fails"]) for c in checks] == [("status is 200", served, 0)], checks


def test_a_stop_during_the_rebalance_after_a_worker_quit_leaves_the_master_stopped(procs, go_bin, tmp_path, influx):
    # Locust rebalances in its message loop when a worker quits, and waited there up to 1 s for the
    # workers' reports. A stop meanwhile (no drain: --drain-timeout 0) saw that rebalance complete
    # in the middle of the stop and set the state back to "running": the master said "running"
    # after the stop for good, and the next swarm was taken for a new count of the stopped test (no
    # second run record; its requests added to the first run's). Since the rebalance no longer
    # waits (rebalances.py) the stop rarely comes inside it; the sequence must end the same either way.
    target, master = web_master(procs, go_bin, tmp_path, influx, 2, "--drain-timeout", "0")
    master.swarm(4, target.url)
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the first test's requests")
    leaving = next(p for p in procs.started if p.name == "worker1")
    leaving.signal(signal.SIGTERM)  # it reports its last requests, then quits
    wait_until(lambda: "spawn rate to 1 ready workers" in master.proc.log(), 20, "Locust's rebalance", interval=0.02)
    master.stop()
    wait_until(lambda: aggregated(master)["state"] == "stopped", 15, "the first test to be stopped")

    master.swarm(2, target.url)
    wait_until(lambda: aggregated(master)["users"] == 2 and aggregated(master)["requests"] > 0, 30,
               "the second test with 2 users")
    master.stop()
    second = wait_until(lambda: (now := aggregated(master))["state"] == "stopped" and now, 30,
                        "the second test to be stopped")
    first_run, second_run = stopped_runs(influx, 2)
    # The first run ended with the 2 users of the worker that stayed, or the 4 of the rebalance when
    # it completed before the stop; 4 at its peak.
    assert first_run["users"] in (2, 4) and first_run["peak_users"] == 4, first_run
    assert (second_run["users"], second_run["peak_users"]) == (2, 2), second_run
    # Without a drain a Go worker's requests since its last report are lost at the stop, for Locust
    # and the run record alike (drain.py): the figures agree with each other, not with the target.
    assert second_run["requests"] == second["requests"] > 0
    for run in (first_run, second_run):
        assert influx_requests(influx, run["run_id"]) == run["requests"] > 0, run


def start_form(master: Master, users: int, host: str, **fields: str) -> dict:
    """The web UI's start form, and Locust's answer to it."""
    form = urllib.parse.urlencode({"user_count": users, "spawn_rate": 100, "host": host, **fields}).encode()
    return json.loads(urllib.request.urlopen(master.web + "/swarm", data=form, timeout=10).read())


def test_each_start_from_the_web_ui_records_what_the_workers_ran(procs, go_bin, tmp_path, influx):
    # Cases on one master, one after the other, each checked by its run records.
    target, master = web_master(procs, go_bin, tmp_path, influx, 3)

    # Another host in the start form: the Go workers send to the one they were started with, yet
    # Locust said "Swarming started" with it, and the web UI, the run record and the report named
    # it while every request went to the workers' host. Refused, and nothing starts.
    other = Target(procs, go_bin["target"])
    answer = start_form(master, 4, other.url)
    assert not answer["success"] and answer["message"].startswith(f"host: got '{other.url}'; the Go workers"), answer
    time.sleep(1)
    assert aggregated(master)["state"] == "ready" and other.counts() == {} and target.counts() == {}
    assert rows(influx.query(f"SELECT * FROM {RUNS}")) == []
    # The master's own host, written with a trailing /, starts.
    assert start_form(master, 3, target.url + "/")["success"]
    wait_until(lambda: aggregated(master)["users"] == 3 and aggregated(master)["requests"] > 0, 30,
               "the first test's requests")
    master.stop()
    wait_until(lambda: aggregated(master)["state"] == "stopped", 30, "the first test to be stopped")
    first_served = sum(target.counts().values())

    # A worker killed between two tests is not yet marked missing (3 s without heartbeats) when the
    # next test starts: Locust gives it its share of the 9 users, which it never runs. The run
    # record said 9 users at its peak and end, for the 6 the others ran.
    # Its description is emptied in the form: the record kept the command line's.
    next(p for p in procs.started if p.name == "worker2").signal(signal.SIGKILL)
    assert start_form(master, 9, target.url, run_description="")["success"]
    wait_until(lambda: [w["state"] for w in master.workers()].count("missing") == 1, 20, "the killed worker missing")
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the second test's requests")
    ran = aggregated(master)["users"]
    # A worker joins while the stop drains. With a worker missing, Locust's check that every worker
    # answered the stop never held: the master said "stopping" until it dropped the missing worker
    # a minute later. (Two workers answering the stop one after the other did the same.)
    def worker_joins() -> None:
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(tmp_path / "scenario.yaml"),
                     "--target", target.url, name="worker3")
        wait_until(lambda: len(master.workers()) == 4, 20, "worker3 to join during the stop")
    during_a_held_stop(procs, master, worker_joins)
    second = wait_until(lambda: (now := aggregated(master))["state"] == "stopped" and now, 15,
                        "the second test to be stopped")

    first_run, second_run = stopped_runs(influx, 2)
    assert first_run["host"] == target.url + "/" and other.counts() == {}
    assert (first_run["users"], first_run["peak_users"]) == (3, 3), first_run
    assert ran == 6 and (second_run["users"], second_run["peak_users"]) == (6, 6), second_run
    assert (first_run["description"], second_run.get("description", "")) == ("exact counts", ""), second_run
    assert first_run["requests"] == first_served
    assert second_run["requests"] == second["requests"] == sum(target.counts().values()) - first_served
    for run in (first_run, second_run):
        assert influx_requests(influx, run["run_id"]) == run["requests"] > 0, run
    assert "Traceback" not in master.proc.log()


def test_a_start_with_a_run_time_during_the_stop_runs_for_its_run_time(procs, go_bin, tmp_path, influx):
    # The run time began when Locust took the form: its stop came during the drain, where it waits
    # for the stop under way and stops nothing, and the next test ran without end.
    target, master = web_master(procs, go_bin, tmp_path, influx)
    master.swarm(4, target.url)
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the first test's requests")
    # The run time (1 s) is over before worker0 wakes (1.2 s): counted from the form, it ended in the drain.
    during_a_held_stop(procs, master, lambda: start_form(master, 2, target.url, run_time="1s"), hold=1.2)
    first_run, second_run = stopped_runs(influx, 2)
    assert second_run["duration_s"] >= 1 and second_run["users"] == 2, second_run
    second = wait_until(lambda: (now := aggregated(master))["state"] == "stopped" and now, 30, "the master stopped")
    assert second_run["requests"] == second["requests"] > 0
    assert first_run["requests"] + second_run["requests"] == sum(target.counts().values())
    for run in (first_run, second_run):
        assert influx_requests(influx, run["run_id"]) == run["requests"] > 0, run

    # A new user count for a test with a run time (the web UI's Edit form has no run time): Locust
    # disarmed the run time on every swarm, and the test ran without end.
    assert start_form(master, 2, target.url, run_time="3s")["success"]
    wait_until(lambda: aggregated(master)["state"] == "running", 20, "the third test to run")
    edited = urllib.parse.urlencode({"user_count": 4, "spawn_rate": 100}).encode()
    assert json.loads(urllib.request.urlopen(master.web + "/swarm", data=edited, timeout=10).read())["success"]
    third_run = stopped_runs(influx, 3)[-1]
    assert third_run["users"] == third_run["peak_users"] == 4 and third_run["duration_s"] < 15, third_run


def test_a_shapes_test_started_during_the_stop_runs_once_the_stop_is_done(procs, go_bin, tmp_path, influx):
    # Locust answered "Swarming started using shape class ..." and started nothing: the old test's
    # shape was still going during the drain.
    target = Target(procs, go_bin["target"])
    # The shape: 4 users for 2 s, then 6 for 2 s; then it ends the test.
    master = Master(procs, "-f", str(REPO / "tests" / "locustfiles" / "stepped_shape.py"), "--drain-timeout", "10",
                    "-H", target.url, *influx_args(influx, tmp_path), env={"SHAPE_STEPS": "4x2,6x2"})
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     name=f"worker{i}")
    wait_until(lambda: len(master.workers()) == 2, 30, "2 workers to join")
    assert start_form(master, 1, target.url)["success"]
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the first test's requests")
    answers = []
    during_a_held_stop(procs, master, lambda: answers.append(start_form(master, 1, target.url)), hold=1.2)
    assert answers[0]["success"] and "shape class" in answers[0]["message"], answers
    first_run, second_run = stopped_runs(influx, 2)
    assert second_run["peak_users"] == 6, second_run
    second = wait_until(lambda: (now := aggregated(master))["state"] == "stopped" and now, 30, "the master stopped")
    assert second_run["requests"] == second["requests"] > 0
    assert first_run["requests"] + second_run["requests"] == sum(target.counts().values())


def test_an_edit_is_in_the_run_record_and_a_worker_joining_between_runs_is_the_next_runs(procs, go_bin, tmp_path,
                                                                                           influx):
    # The record kept the start's spawn rate after the Edit form gave another, and a worker joining
    # after the stop was an event of the stopped run, which it never ran in.
    target, master = web_master(procs, go_bin, tmp_path, influx, 1)
    assert start_form(master, 2, target.url, spawn_rate="2")["success"]
    wait_until(lambda: aggregated(master)["users"] == 2, 30, "the first test's 2 users")
    edited = urllib.parse.urlencode({"user_count": 4, "spawn_rate": 50}).encode()
    assert json.loads(urllib.request.urlopen(master.web + "/swarm", data=edited, timeout=10).read())["success"]
    wait_until(lambda: aggregated(master)["users"] == 4, 30, "the edit's 4 users")
    master.stop()
    wait_until(lambda: aggregated(master)["state"] == "stopped", 30, "the first test to be stopped")
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(tmp_path / "scenario.yaml"),
                 "--target", target.url, name="worker1")
    wait_until(lambda: len(master.workers()) == 2, 30, "worker1 to join between the tests")
    time.sleep(5)  # the exporter's event for it, had it one for the stopped run; 5 intervals idle

    def newest_exporter_point() -> int:
        return max((r["time"] for r in rows(influx.query(f"SELECT * FROM {EXPORTER}"))), default=0)

    # The writer moves the stopped run's last points for as long as a loaded machine makes it; then an idle
    # master writes no figures of its own: 3 intervals without one (it wrote one each interval, for hours).
    wait_until(lambda: time.time_ns() - newest_exporter_point() > 3_000_000_000, 30,
               "the exporter to go quiet after the stopped run's last points")
    idle_since = newest_exporter_point() + 1
    assert start_form(master, 2, target.url)["success"]
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the second test's requests")
    master.stop()
    wait_until(lambda: aggregated(master)["state"] == "stopped", 30, "the second test to be stopped")

    first_run, second_run = stopped_runs(influx, 2)
    assert (first_run["spawn_rate"], first_run["users"]) == (50, 4), first_run
    assert (second_run["spawn_rate"], second_run["users"]) == (100, 2), second_run

    def events(run: dict) -> list[tuple[str, str, str]]:
        found = rows(influx.query(f"SELECT * FROM {EVENTS} WHERE run_id = '{run['run_id']}'"))
        return [(e["event"], e["text"], e["worker"]) for e in sorted(found, key=lambda e: e["time"])]
    first, second = events(first_run), events(second_run)
    assert [e[:2] for e in first if e[0] in ("start", "users_changed")] == [
        ("start", "Test started: 2 users at 2/s"), ("users_changed", "Users changed: 4 users at 50/s")], first
    assert first[-1][0] == "stop", first
    # The exporter's own figures: an idle master between runs wrote them every interval, in the
    # stopped run, for as long as no run started.
    idle = rows(influx.query(f"SELECT * FROM {EXPORTER} WHERE time >= {idle_since} AND time < {second_run['time']}"))
    assert idle == [], idle
    assert rows(influx.query(f"SELECT * FROM {EXPORTER} WHERE run_id = '{first_run['run_id']}'")), "none for the run"
    (joined,) = [e for e in second if e[0] == "worker_joined"]
    assert second.index(joined) < second.index(("start", "Test started: 2 users at 100/s", "")), second
    assert joined[2] not in [e[2] for e in first], (first, second)
    assert "Traceback" not in master.proc.log()


def test_the_web_ui_follows_a_stop_through_its_drain_to_stopped(procs, go_bin, tmp_path, influx):
    # Locust's state changes after test_stopping, where the drain waits: the web UI said "running"
    # with 0 users throughout the drain. Its page polls /stats/requests only while the state is
    # "spawning" or "running", so the stop is "spawning" (the workers taken to 0 users) until it is
    # "stopped"; "stopping" there would have left the page frozen on it.
    target, master = web_master(procs, go_bin, tmp_path, influx)
    master.swarm(4, target.url)
    wait_until(lambda: aggregated(master)["requests"] > 0, 30, "the test's requests")
    assert aggregated(master)["state"] == "running"
    seen = []

    def polled() -> bool:
        seen.append(aggregated(master)["state"])
        return seen[-1] == "stopped"
    holding = next(p for p in procs.started if p.name == "worker0")
    holding.signal(signal.SIGSTOP)  # holds the drain: it waits for worker0's last report
    stopping = threading.Thread(target=master.stop)
    try:
        stopping.start()
        drain_under_way(procs, holding)
        for _ in range(20):
            polled()
            time.sleep(0.05)
        assert stopping.is_alive(), "the drain was over before the polls: the sequence was not played"
    finally:
        holding.signal(signal.SIGCONT)
    wait_until(polled, 30, "the stop to end", interval=0.05)
    stopping.join(60)
    assert set(seen[:-1]) == {"spawning"} and seen[-1] == "stopped", seen
    assert (master.stats()["state"], master.stats()["user_count"]) == ("stopped", 0)
