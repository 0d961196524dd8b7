"""Reset Stats is exact for Go workers (master/locust_fleet/stats_reset.py, workers-go/lifecycle/
resets.go): after a reset during a run (the web UI's button is `POST /stats/reset`), Locust's counts
and InfluxDB's equal what the target served after it, and InfluxDB's before it what the target
served before it. How the test knows: the workers send each request with the number of resets they
had seen (--reset-header), and the target counts requests per that number (GET /_counts/resets);
without the cut, the up to 3 s of requests each worker measured before the reset would be counted
after it too, and the requests in flight at the reset counted on neither side."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from harness.exported import influx_args
from harness.influxd import rows
from harness.parts import Master, Target, start_worker
from harness.procs import get_json, wait_until

pytestmark = pytest.mark.e2e
HEADER = "X-Locust-Fleet-Reset"
SCENARIO = """wait: {constant: 5ms}
tasks:
  - {name: home, path: /, weight: 3}
  - {name: broken, path: /status/503, expect_status: 200}
"""


# With a slow request: users are in the middle of one at each reset.
SLOW_SCENARIO = SCENARIO + "  - {name: slow, path: /delay/700}\n"


def reset(master: Master) -> None:
    urllib.request.urlopen(urllib.request.Request(master.web + "/stats/reset", method="POST"), timeout=10).read()


def after(target: Target, number: int) -> dict[str, int]:
    return get_json(target.url + "/_counts/resets").get(str(number), {})


def recorded(influx) -> tuple[dict, int, int]:
    """The stopped run's record, its number of stats_reset events and InfluxDB's sum of its requests
    after the last one. The exporter writes in the background: the record's stop comes last."""
    (run,) = wait_until(lambda: (r := rows(influx.query("SELECT * FROM locust_runs"))) and r[0]["state"] == "stopped"
                        and r, 30, "the run record's stop in InfluxDB")
    resets = rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run['run_id']}' "
                               "AND \"event\" = 'stats_reset'"))
    since = rows(influx.query(f"SELECT sum(requests) FROM locust_requests WHERE run_id = '{run['run_id']}' AND "
                              f"\"name\" = 'Aggregated' AND time >= {resets[-1]['time']}"))
    return run, len(resets), since[0]["sum"]


def influx_per_name(influx, run_id: str, since: int, until: int) -> dict[str, int]:
    """InfluxDB's requests of a run per request name, written in [since, until)."""
    found = rows(influx.query(f"SELECT sum(requests) FROM locust_requests WHERE run_id = '{run_id}' AND "
                              f"\"name\" != 'Aggregated' AND time >= {since} AND time < {until} GROUP BY \"name\""))
    return {r["name"]: r["sum"] for r in found if r["sum"]}


def slow_fleet(procs, go_bin, influx, tmp_path) -> tuple[Target, Master]:
    """A master exporting to INFLUX, two Go workers running SLOW_SCENARIO, 6 users started."""
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url, *influx_args(influx, tmp_path))
    scenario = tmp_path / "reset.yaml"
    scenario.write_text(SLOW_SCENARIO)
    for i in range(2):
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     "--reset-header", HEADER, name=f"worker-{i}")
    wait_until(lambda: len([w for w in master.workers() if w["state"] == "ready"]) == 2, 30, "two workers")
    master.swarm(6, target.url)
    return target, master


def test_after_a_reset_locust_and_influxdb_count_exactly_what_was_sent_after_it(procs, go_bin, influx, tmp_path,
                                                                                  figure):
    target, master = slow_fleet(procs, go_bin, influx, tmp_path)
    wait_until(lambda: sum(after(target, 0).values()) > 500, 30, "traffic before the first reset")
    for number in (1, 2):  # a reset as after a warm-up, then another one
        reset(master)
        wait_until(lambda: sum(after(target, number).values()) > 500, 30, f"traffic after reset {number}")
        wait_until(lambda: f"Stats reset {number}: 2 worker(s) cut their statistics" in master.proc.log(), 30,
                   "the master to cut both workers")
    before = sum(after(target, 1).values())
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped run")

    sent = after(target, 2)
    counted = {e["name"]: e for e in final["stats"] if e["name"] != "Aggregated"}
    assert counted["home"]["num_requests"] == sent["GET /"] > 0
    assert counted["broken"]["num_requests"] == counted["broken"]["num_failures"] == sent["GET /status/503"] > 0
    assert counted["slow"]["num_requests"] == sent["GET /delay/700"] > 0
    assert "did not cut its statistics" not in master.proc.log()

    run, resets, since = recorded(influx)
    assert run["requests"] == sum(sent.values()) and run["failures"] == sent["GET /status/503"]
    assert (resets, since) == (2, sum(sent.values()))
    # Before each reset InfluxDB holds what the target served before it: the requests each worker
    # had not reported yet, and those in flight (a slow one each user was likely waiting for).
    events = rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run['run_id']}' "
                               "AND \"event\" = 'stats_reset'"))
    edges = [0, *(e["time"] for e in events), 2**62]
    names = {"GET /": "home", "GET /status/503": "broken", "GET /delay/700": "slow"}
    for number in (0, 1, 2):
        served = {names[k]: n for k, n in after(target, number).items()}
        assert influx_per_name(influx, run["run_id"], edges[number], edges[number + 1]) == served, number
    for worker in (p for p in procs.started if p.name.startswith("worker")):
        assert "counted in neither half" not in worker.log()
    figure("requests sent after the last reset = counted by Locust = in InfluxDB", sum(sent.values()))
    figure("requests between the two resets (wiped by the second) = in InfluxDB between them", before)


def test_a_reset_between_runs_leaves_the_next_run_exact(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url)
    scenario = tmp_path / "reset.yaml"
    scenario.write_text(SCENARIO)
    start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                 "--reset-header", HEADER)
    wait_until(lambda: len(master.workers()) == 1, 30, "the worker")
    reset(master)  # before any run: the worker answers at once
    wait_until(lambda: "Stats reset 1: 1 worker(s) cut" in master.proc.log(), 30, "the cut")
    master.swarm(3, target.url)
    wait_until(lambda: sum(after(target, 1).values()) > 200, 30, "traffic")
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped run")
    sent = target.counts()
    assert sum(after(target, 1).values()) == sum(sent.values())  # every request carried the reset's number
    counted = {e["name"]: e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated"}
    assert counted == {"home": sent["GET /"], "broken": sent["GET /status/503"]}


def test_a_worker_joining_after_a_reset_counts_only_requests_sent_after_it(procs, go_bin, influx, tmp_path):
    # A worker joining a running test after a reset learns of it once Locust has given it users, and
    # cuts: the reports before its answer held the cut's marker requests, counted by Locust as an
    # endpoint "stats reset" with 2 requests and 1 failure, in the run record and InfluxDB too.
    target = Target(procs, go_bin["target"])
    master = Master(procs, "-H", target.url, *influx_args(influx, tmp_path))
    scenario = tmp_path / "reset.yaml"
    scenario.write_text(SCENARIO)

    def worker(name: str) -> None:
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     "--reset-header", HEADER, name=name)

    worker("worker-0")
    wait_until(lambda: len(master.workers()) == 1, 30, "the first worker")
    master.swarm(4, target.url)
    wait_until(lambda: sum(after(target, 0).values()) > 200, 30, "traffic before the reset")
    reset(master)
    wait_until(lambda: "Stats reset 1: 1 worker(s) cut" in master.proc.log(), 30, "the cut")
    worker("worker-1")  # Locust shares the 4 users out again, 2 each
    wait_until(lambda: [w["user_count"] for w in master.workers()] == [2, 2], 30, "2 users on each worker")
    time.sleep(4)  # the joining worker's reports from before its answer and after it
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped run")

    sent = after(target, 1)
    counted = {e["name"]: e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated"}
    assert counted == {"home": sent["GET /"], "broken": sent["GET /status/503"]}
    run, resets, since = recorded(influx)
    assert (run["requests"], run["failures"]) == (sum(sent.values()), sent["GET /status/503"])
    assert (resets, since) == (1, sum(sent.values()))


def test_reset_stats_resets_once_the_ramp_up_completes_not_when_a_worker_joins(procs, go_bin, influx, tmp_path):
    # Locust resets at every spawning_complete, the one of its rebalance when a worker joins or
    # quits included: the test's statistics until then were wiped, and the summary counted only
    # what came after (a worker quitting just before the run time's end left it at 0 requests).
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    scenario = tmp_path / "reset.yaml"
    scenario.write_text(SCENARIO)
    master = Master(procs, "--headless", "-u", "6", "-r", "100", "-t", "10s", "--expect-workers", "2",
                    "--reset-stats", "--json-file", str(report), "-H", target.url, *influx_args(influx, tmp_path))

    def worker(name: str) -> None:
        start_worker(procs, go_bin["worker"], master.port, "--scenario", str(scenario), "--target", target.url,
                     "--reset-header", HEADER, name=name)

    worker("worker-0")
    worker("worker-1")
    wait_until(lambda: "Stats reset 1: 2 worker(s) cut" in master.proc.log(), 30, "the reset at the ramp-up's end")
    wait_until(lambda: sum(after(target, 1).values()) > 100, 30, "traffic after the reset")
    worker("worker-2")  # Locust shares the 6 users out again, 2 each
    wait_until(lambda: "Statistics kept (--reset-stats)" in master.proc.log()
               or "Stats reset 2" in master.proc.log(), 30, "Locust's rebalance for the third worker")
    assert master.proc.wait(60) in (0, 1), master.proc.log()[-3000:]  # 1: the scenario's /status/503

    sent = after(target, 1)
    assert after(target, 2) == {}, "the workers were told of a second reset"
    counted = {e["name"]: e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text())}
    assert counted == {"home": sent["GET /"], "broken": sent["GET /status/503"]}
    run, resets, since = recorded(influx)
    assert run["requests"] == sum(sent.values())
    assert (resets, since) == (1, sum(sent.values()))


def test_two_resets_a_second_apart_each_count_what_was_sent_before_them(procs, go_bin, influx, tmp_path):
    # A double click on Reset Stats: the second reset came during the first one's cut, and what the
    # workers had not yet reported of before the first was counted between the two.
    target, master = slow_fleet(procs, go_bin, influx, tmp_path)
    wait_until(lambda: sum(after(target, 0).values()) > 300, 30, "traffic before the resets")
    reset(master)
    time.sleep(1)
    reset(master)
    wait_until(lambda: sum(after(target, 2).values()) > 300, 30, "traffic after the resets")
    master.stop()
    final = wait_until(lambda: (s := master.stats())["state"] == "stopped" and s, 30, "the stopped run")

    names = {"GET /": "home", "GET /status/503": "broken", "GET /delay/700": "slow"}
    counted = {e["name"]: e["num_requests"] for e in final["stats"] if e["name"] != "Aggregated"}
    assert counted == {names[k]: n for k, n in after(target, 2).items()}
    run, resets, _ = recorded(influx)
    events = rows(influx.query(f"SELECT * FROM locust_events WHERE run_id = '{run['run_id']}' "
                               "AND \"event\" = 'stats_reset'"))
    edges = [0, *(e["time"] for e in events), 2**62]
    for number in (0, 1, 2):
        served = {names[k]: n for k, n in after(target, number).items()}
        assert influx_per_name(influx, run["run_id"], edges[number], edges[number + 1]) == served, number
