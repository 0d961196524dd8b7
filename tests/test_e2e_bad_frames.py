"""Malformed messages at the master's worker port are rejected and logged once per kind; the
master keeps listening, real workers keep working, and the final numbers stay exact."""

from __future__ import annotations

import json

import pytest
import zmq

from py_bridge.codec import encode
from harness.parts import Master, Target, start_worker
from harness.procs import wait_until

pytestmark = pytest.mark.e2e

# Each of these raises inside Locust's own listener greenlet without the plugin.
MALFORMED = [
    ("client_ready", 3, "client_ready: expected a version string, or -1 (any version), got int 3"),
    ("heartbeat", {"state": "running"}, "heartbeat: current_cpu_usage: expected a value"),
    ("exception", {"msg": "boom"}, "exception: traceback: expected a value"),
    ("stats", {"stats": [], "stats_total": {}, "errors": {}, "user_count": 1, "user_classes_count": {}},
     "stats: stats_total.name: expected a value"),
    ("spawning_complete", {"count": 1}, "spawning_complete: user_classes_count: expected a value"),
]


def test_malformed_frames_are_rejected_and_the_run_stays_exact(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", "6", "-r", "6", "-t", "8s", "--expect-workers", "1",
                    "--json-file", str(report), "-H", target.url)
    start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic from the Go worker")

    context = zmq.Context()
    try:
        for identity in (b"stranger", b"registered"):
            sock = context.socket(zmq.DEALER)
            sock.setsockopt(zmq.IDENTITY, identity)
            # Closing keeps the frames not yet sent for up to 10 s (context.term() waits for them):
            # with no linger and a fixed pause, a loaded machine could drop some unsent.
            sock.setsockopt(zmq.LINGER, 10_000)
            sock.connect(f"tcp://127.0.0.1:{master.port}")
            node = identity.decode()
            if identity == b"registered":
                sock.send(encode("client_ready", -1, node))
                sock.send(encode("quit", None, node))  # leave again, so no users are sent its way
            for _ in range(3):
                for msg_type, data, _ in MALFORMED:
                    sock.send(encode(msg_type, data, node))
                sock.send(b"\x93\xa5stats")  # truncated msgpack
            sock.close()
    finally:
        context.term()

    assert master.proc.wait(60) == 0, master.proc.log()[-3000:]
    log = master.proc.log()
    for _, _, message in MALFORMED:
        assert message in log, message
        assert log.count(message) == 1, f"logged more than once: {message}"
    assert log.count("undecodable frame: not a msgpack value: Unpack failed: incomplete input") == 1
    assert "Unhandled exception in greenlet" not in log
    served = sum(target.counts().values())
    counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
    assert counted == served


# Well-formed, but each disagrees with itself (py_bridge/consistency.py) or with the master.
INCONSISTENT = [
    ("spawning_complete", {"user_classes_count": {"GoWorkerUser": 2}, "user_count": 3},
     "spawning_complete: user_count 3 but user_classes_count adds up to 2 (the master counts users from the classes)"),
    ("spawning_complete", {"user_classes_count": {"Intruder": 2}, "user_count": 2},
     "spawning_complete: user_classes_count names 'Intruder'; the master's user classes are 'GoWorkerUser'"),
    ("stats", {"stats": [], "stats_total": {"name": "Aggregated", "method": None, "last_request_timestamp": None,
                                            "start_time": 1.0, "num_requests": 5, "num_none_requests": 0,
                                            "num_failures": 0, "total_response_time": 0, "max_response_time": 0,
                                            "min_response_time": None, "total_content_length": 0,
                                            "response_times": {}, "num_reqs_per_sec": {}, "num_fail_per_sec": {}},
               "errors": {}, "user_count": 0, "user_classes_count": {}},
     "stats, 'Aggregated': response_times add up to 0, num_requests is 5"),
    ("heartbeat", {"state": "missing", "current_cpu_usage": 1.0},
     "heartbeat: state: got 'missing'; only the master marks a worker missing"),
    ("logs", {"worker_id": "someone-else", "logs": ["x"]}, "logs: worker_id 'someone-else' is not the sender"),
]


def test_a_worker_whose_messages_disagree_with_themselves_changes_nothing(procs):
    master = Master(procs)
    wait_until(lambda: master.workers() == [] and "Starting web interface" in master.proc.log(), 30, "the web UI")
    context = zmq.Context()
    try:
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, b"inconsistent")
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(f"tcp://127.0.0.1:{master.port}")
        sock.send(encode("client_ready", -1, "inconsistent"))
        sock.send(encode("spawning_complete", {"user_classes_count": {"GoWorkerUser": 1}, "user_count": 1},
                         "inconsistent"))  # consistent: the master counts 1 user
        for msg_type, data, _ in INCONSISTENT:
            sock.send(encode(msg_type, data, "inconsistent"))
            sock.send(encode("heartbeat", {"state": "running", "current_cpu_usage": 1.0}, "inconsistent"))
        wait_until(lambda: all(m in master.proc.log() for _, _, m in INCONSISTENT), 20, "every rejection logged")
        (worker,) = wait_until(lambda: master.workers(), 30, "the worker in the web UI")
        assert (worker["state"], worker["user_count"]) == ("running", 1), worker  # neither 3 users nor "missing"
        assert master.stats()["stats"][-1]["num_requests"] == 0  # the report's 5 requests are not merged
    finally:
        context.destroy(linger=0)
