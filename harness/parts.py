"""Starts the project's parts for end-to-end tests and benchmarks: the counting HTTP target, the
Locust master with master/locustfile.py, Go workers, the InfluxDB fault proxy, and `make` itself."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import requests

from .procs import REPO, VENV_BIN, Proc, Procs, free_port, get_json, listening_on


class Target:
    """The counting HTTP target (workers-go/cmd/target)."""

    def __init__(self, procs: Procs, binary: Path, cpu: str = ""):
        """cpu: pin it to that core, one Go thread (a benchmark's target beside a pinned generator)."""
        pinned = ["taskset", "-c", cpu] if cpu else []
        self.proc = procs.start("target", [*pinned, str(binary), "--listen", "127.0.0.1:0"],
                                env={"GOMAXPROCS": "1"} if cpu else None)
        self.url = listening_on(self.proc.log, "the target")

    def counts(self) -> dict[str, int]:
        return get_json(self.url + "/_counts")

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + "/_reset", method="POST"), timeout=5).read()

    def stall(self, seconds: float) -> None:
        """/stall stops answering for `seconds` from now."""
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_stall?seconds={seconds:g}", method="POST"),
                               timeout=5).read()

    def arrivals(self) -> dict[int, int]:
        """Requests that arrived at /stall, by unix second."""
        return {int(second): n for second, n in get_json(self.url + "/_arrivals").items()}


class HttpsTarget(Target):
    """The counting target over HTTPS with a fresh PKI (workers-go/cmd/certs) in `pki`: ca.pem,
    server.pem/key, client.pem/key of that CA and other-client.pem/key of another. With
    client_auth, it serves only clients with a certificate of ca.pem; the harness reads its counts
    with client.pem."""

    def __init__(self, procs: Procs, binaries: dict[str, Path], pki: Path, client_auth: bool = False):
        pki.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(binaries["certs"]), str(pki)], check=True, timeout=30)
        self.pki = pki
        args = ["--listen", "127.0.0.1:0", "--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key")]
        if client_auth:
            args += ["--tls-client-ca", str(pki / "ca.pem")]
        self.proc = procs.start("https-target", [str(binaries["target"]), *args])
        self.url = listening_on(self.proc.log, "the https target")
        self.context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        self.context.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/_counts", timeout=5, context=self.context) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + "/_reset", method="POST"), timeout=5,
                               context=self.context).read()


# How Locust's master says a ramp-up ended: every worker reported its users ("All users spawned"),
# or not within its wait for their reports (1 s unless LOCUST_WAIT_FOR_WORKERS_REPORT_AFTER_RAMP_UP
# says), which a loaded machine can miss though the users run.
RAMP_UP_END = re.compile(r"All users spawned: .*|Spawning is complete and report waittime is expired.*")


class Master:
    """A real Locust master running master/locustfile.py on free loopback ports."""

    def __init__(self, procs: Procs, *extra: str, name: str = "master", port: int | None = None,
                 env: dict[str, str] | None = None):
        self.port = port or free_port()
        self.web_port = free_port()
        self.web = f"http://127.0.0.1:{self.web_port}"
        args = [str(VENV_BIN / "locust"), "-f", str(REPO / "master" / "locustfile.py"), "--master",
                "--master-bind-host", "127.0.0.1", "--master-bind-port", str(self.port),
                "--web-host", "127.0.0.1", "--web-port", str(self.web_port), *extra]
        self.proc: Proc = procs.start(name, args, env)

    def stats(self) -> dict:
        return get_json(self.web + "/stats/requests")

    def ramp_up_end(self) -> re.Match | None:
        """Locust's line that ended the last ramp-up so far (RAMP_UP_END), or None before one ended."""
        last = None
        for last in RAMP_UP_END.finditer(self.proc.log()):
            pass
        return last

    def workers(self) -> list[dict]:
        return workers_of(self.web)

    def swarm(self, users: int, host: str, spawn_rate: float = 100, run_time: str = "") -> None:
        """Start a test from the web UI, or change the running one's user count, as its form does."""
        form = urllib.parse.urlencode({"user_count": users, "spawn_rate": spawn_rate, "host": host,
                                       "run_time": run_time}).encode()
        urllib.request.urlopen(self.web + "/swarm", data=form, timeout=10).read()

    def stop(self) -> None:
        """The web UI's stop button (it returns once the drain and Locust's stop are done)."""
        urllib.request.urlopen(urllib.request.Request(self.web + "/stop", method="POST"), timeout=60).read()


def workers_of(web: str) -> list:
    """The workers a master's web UI lists; none while it is not listening yet."""
    try:
        return get_json(web + "/stats/requests").get("workers", [])
    except OSError:
        return []


def start_worker(procs: Procs, binary: Path, master_port: int, *args: str, name: str = "worker") -> Proc:
    return procs.start(name, [str(binary), "--master-host", "127.0.0.1", "--master-port", str(master_port), *args])


class FaultProxy:
    """harness/faultproxy.py in front of an InfluxDB, as its own process."""

    def __init__(self, procs: Procs, upstream: str):
        self.proc = procs.start("faultproxy", [sys.executable, "-m", "harness.faultproxy", upstream])
        self.url = listening_on(self.proc.log, "the fault proxy")

    def mode(self, mode: str) -> dict:
        return requests.post(f"{self.url}/_fault/{mode}", timeout=5).json()


def make(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """`make ARGS` in the repository as a user runs it, with env added to the environment."""
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)
