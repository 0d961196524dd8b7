"""Fault: thousands of malformed frames at the master's worker port, from an unknown peer and from
a peer that registered as a worker, while a real Go worker runs a test. Outcome: every malformed
frame is rejected and each kind logged once, the listener and the Go worker keep working, and
Locust's final count equals what the target served."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from harness.parts import Master, Target, start_worker
from harness.procs import VENV_BIN, wait_until
from py_bridge import fuzz as fuzz_frames
from py_bridge.verify import DEFAULT_USER_CLASS, verify_worker

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
FRAMES = 3000


def fuzz(port: int, *extra: str) -> dict:
    result = subprocess.run([str(VENV_BIN / "pybridge"), "fuzz-master", f"127.0.0.1:{port}", "--frames",
                             str(FRAMES), *extra], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_fuzzed_master_rejects_everything_and_counts_exactly(procs, go_bin, tmp_path, figure):
    target = Target(procs, go_bin["target"])
    report = tmp_path / "stats"
    master = Master(procs, "--headless", "-u", "6", "-r", "6", "-t", "15s", "--expect-workers", "1",
                    "--json-file", str(report), "-H", target.url)
    worker = start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic from the Go worker")

    stranger = fuzz(master.port, "--seed", "1")
    registered = fuzz(master.port, "--seed", "2", "--register")
    assert stranger["frames"] == registered["frames"] == FRAMES
    kinds = set(stranger["sent"]) | set(registered["sent"])

    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    assert worker.wait(15) == 0  # the master told it to quit: it was never lost
    log = master.proc.log()
    assert "Traceback" not in log and "Unhandled exception" not in log
    rejected = re.findall(r"Rejected a message from \S+: (.*) \(further messages", log)
    assert rejected, "nothing was rejected"
    assert len(rejected) == len(set(rejected)), "a kind was logged twice"
    assert len(rejected) <= len(kinds) * 2, (len(rejected), len(kinds))  # once per kind (and per peer)
    missing = re.findall(r"Worker (\S+) failed to send heartbeat", log)
    assert all(node.startswith("pybridge-fuzz") for node in missing), missing  # never the Go worker
    served = sum(target.counts().values())
    counted = sum(e["num_requests"] for e in json.loads(report.with_suffix(".json").read_text()))
    assert served > 0 and counted == served
    figure("malformed frames sent (2 peers) / kinds", f"{2 * FRAMES} / {len(kinds)}")
    figure("rejection log lines (once per kind)", len(rejected))
    figure("requests served = counted", served)


def test_go_worker_survives_a_fuzzing_master(go_bin, figure):
    """A fake master sends the Go worker 3,000 malformed frames (8 MiB payloads among them) between
    the steps of a whole worker life; the worker must still pass every contract check, including
    counts equal to what the target served and exit code 0 on quit."""
    worker_cmd = (f"{go_bin['worker']} --master-host {{host}} --master-port {{port}} --target {{target}}")
    result = subprocess.run([str(VENV_BIN / "pybridge"), "verify-protocol", "--json", "--fuzz", "3000",
                             "--worker-cmd", worker_cmd], capture_output=True, text=True, timeout=180)
    verdict = json.loads(result.stdout)
    failed = [r for r in verdict["results"] if r["status"] == "fail"]
    assert result.returncode == 0 and verdict["ok"] and not failed, failed or result.stderr
    figure("malformed frames to the Go worker / contract checks passed",
           f"3000 / {sum(r['status'] != 'fail' for r in verdict['results'])}")


def test_a_fake_master_busy_making_a_burst_still_hears_heartbeats_when_they_come(go_bin, monkeypatch):
    """Making a burst of malformed frames takes the fake master a fraction of a second, and seconds
    on a loaded machine. Heartbeats the worker sends meanwhile must be stamped when they come, not
    once the burst is made: a master that stopped listening while it made one saw an on-time worker
    miss a heartbeat by 3.8 s. Here the second burst (the first comes before any heartbeat) takes
    3.5 s to make; Locust calls a worker missing after 3 s."""
    make_frames = fuzz_frames.frames
    slow = iter([0, 3.5])

    def slowly_made(*args, **kwargs):
        time.sleep(next(slow, 0))
        yield from make_frames(*args, **kwargs)

    monkeypatch.setattr(fuzz_frames, "frames", slowly_made)
    worker_cmd = f"{go_bin['worker']} --master-host {{host}} --master-port {{port}} --target {{target}}"
    results, output = verify_worker(worker_cmd, DEFAULT_USER_CLASS, observe=1.0, fuzz_frames=60)
    assert next(slow, None) is None, "the slow burst was never made"
    # observe=1.0 keeps the test short; the spawn-accounting row needs whole report intervals
    cadence = [r for r in results if r.invariant == "heartbeat cadence" or r.invariant.startswith("step:")]
    assert len(cadence) == 7 and all(r.status == "pass" for r in cadence), (cadence, output[-2000:])
