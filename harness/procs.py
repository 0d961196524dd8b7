"""Real processes for end-to-end tests: free loopback ports, started in their own process group,
logs kept in files, and always stopped (the whole group) when the test ends, pass or fail."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
GO_BIN = REPO / "workers-go" / "bin"  # where `make go-build` and the benchmarks build the Go binaries
LISTENING = re.compile(r"listening on (https?://\S+)")


def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


_handed_out: set[int] = set()


def _slice_of_range(low: int, high: int) -> tuple[int, int]:
    """This pytest process's share of [low, high): pytest-xdist runs several processes that draw
    ports at the same moments, so each draws from its own slice and two never pick the same port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... or unset
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count <= 1:
        return low, high
    index = int(worker[2:]) % count
    width = (high - low) // count
    return low + index * width, low + (index + 1) * width


def free_port() -> int:
    """A loopback port free now, drawn below the kernel's ephemeral range: a port from that range
    can be taken by any outgoing connection (the load the tests send makes many) between this call
    and the server's bind. A port is handed out once per process, so two servers of one test never
    get the same port before either has bound it."""
    ephemeral_low = _ephemeral_range()[0]
    if ephemeral_low <= 11_000:
        low = high = 0
    else:
        low, high = _slice_of_range(10_000, ephemeral_low)
    for _ in range(200):
        port = random.randrange(low, high) if high > low else 0
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = s.getsockname()[1]
        _handed_out.add(port)
        return port
    raise OSError("no free loopback port below the ephemeral range")


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll check() until it returns something truthy; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def listening_on(read_log: Callable[[], str], what: str, timeout: float = 30.0) -> str:
    """The URL a process announced with `listening on URL` (the target, the fault proxy); fails
    naming `what` when it never does. 30 s: it returns as soon as the process says so, and a
    Python process (the fault proxy) on a machine loaded by the whole suite can take seconds."""
    return wait_until(lambda: LISTENING.search(read_log()), timeout, f"{what} to listen").group(1)


def get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


class Proc:
    """One started process; its output goes to a log file so it never blocks on a full pipe."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None):
        self.name = name
        self.args = args
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout:g} s; log:\n{self.log()[-3000:]}")

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after grace seconds."""
        self.terminate()
        self.reap(time.monotonic() + grace)

    def terminate(self) -> None:
        """SIGTERM the process group (the first half of stop)."""
        self._signal_group(signal.SIGTERM)

    def reap(self, deadline: float) -> None:
        """Wait for the terminated leader until deadline (time.monotonic()), then SIGKILL the group,
        children that outlived the leader included."""
        try:
            self.popen.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            try:
                self.popen.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)
        self._log.close()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:  # the whole group has exited
            pass


class Procs:
    """All processes of one test; `stop_all` runs in the fixture's teardown."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[Proc] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, args, self.log_dir, env)
        self.started.append(proc)
        return proc

    def stop_all(self, grace: float = 5.0) -> None:
        """SIGTERM every process at once, then SIGKILL what is left after grace seconds. One after
        the other, each took its own grace: a Go worker stopped mid-test reports its users' last
        requests first (about 3 s), so a master with three workers cost its test 13 s."""
        started = list(reversed(self.started))
        for proc in started:
            proc.terminate()
        deadline = time.monotonic() + grace
        for proc in started:
            proc.reap(deadline)

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.log()[-4000:]}" for p in self.started)
