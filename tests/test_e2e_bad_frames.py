"""Malformed messages at the master's worker port are rejected and logged once per kind; the
master keeps listening, real workers keep working, and the final numbers stay exact."""

from __future__ import annotations

import json
import time

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
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(f"tcp://127.0.0.1:{master.port}")
            node = identity.decode()
            if identity == b"registered":
                sock.send(encode("client_ready", -1, node))
                sock.send(encode("quit", None, node))  # leave again, so no users are sent its way
            for _ in range(3):
                for msg_type, data, _ in MALFORMED:
                    sock.send(encode(msg_type, data, node))
                sock.send(b"\x93\xa5stats")  # truncated msgpack
            time.sleep(0.5)
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
