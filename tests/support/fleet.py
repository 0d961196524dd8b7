"""Starts the project's parts for end-to-end tests: the counting HTTP target, the Locust master
with master/locustfile.py, and Go workers."""

from __future__ import annotations

import re
from pathlib import Path

from .procs import REPO, VENV_BIN, Proc, Procs, free_port, get_json, wait_until


class Target:
    """The counting HTTP target (workers-go/cmd/target)."""

    def __init__(self, procs: Procs, binary: Path):
        self.proc = procs.start("target", [str(binary), "--listen", "127.0.0.1:0"])
        found = wait_until(lambda: re.search(r"listening on (http://\S+)", self.proc.log()), 10, "the target to listen")
        self.url = found.group(1)

    def counts(self) -> dict[str, int]:
        return get_json(self.url + "/_counts")

    def reset(self) -> None:
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(self.url + "/_reset", method="POST"), timeout=5).read()


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

    def workers(self) -> list[dict]:
        try:
            return self.stats().get("workers", [])
        except OSError:
            return []


def start_worker(procs: Procs, binary: Path, master_port: int, *args: str, name: str = "worker") -> Proc:
    return procs.start(name, [str(binary), "--master-host", "127.0.0.1", "--master-port", str(master_port), *args])
