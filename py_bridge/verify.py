"""Runs one protocol verification: an HTTP target and the fake master on loopback, the worker
command with {host}, {port} and {target} filled in, the whole conversation, then the checks."""

from __future__ import annotations

import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

from .contract import Result, check
from .fake_master import OBSERVE, FakeMaster
from .target import CountingTarget

REPO = Path(__file__).resolve().parents[1]
SCENARIO = Path(__file__).resolve().parent / "data" / "verify_scenario.yaml"
# The placeholder user class of master/locustfile.py, which spawn messages name.
DEFAULT_USER_CLASS = "GoWorkerUser"
DEFAULT_WORKER_CMD = (f"{REPO / 'workers-go' / 'bin' / 'worker'} --master-host {{host}} --master-port {{port}} "
                      f"--target {{target}} --scenario {SCENARIO}")
EXIT_TIMEOUT = 10.0


def verify_worker(worker_cmd: str, user_class: str, observe: float = OBSERVE,
                  fuzz_frames: int = 0) -> tuple[list[Result], str]:
    """Results, and the worker's output (for diagnosis). fuzz_frames: malformed frames sent to the
    worker between the steps, which it must survive without any check failing."""
    master = FakeMaster(user_class, fuzz_frames=fuzz_frames)
    try:
        with CountingTarget() as target, tempfile.TemporaryFile() as out:
            cmd = worker_cmd.format(host=master.host, port=master.port, target=target.url)
            proc = subprocess.Popen(shlex.split(cmd), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            exit_code = None
            try:
                conv = master.drive(target.url, observe=observe)
                master.quit()
                try:
                    exit_code = proc.wait(timeout=EXIT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    exit_code = None
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
            out.seek(0)
            output = out.read().decode(errors="replace")
            return check(conv, target.total(), exit_code), output
    finally:
        master.close()
