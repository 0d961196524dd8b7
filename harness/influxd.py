"""A real InfluxDB 1.x server (Debian's influxd) for tests: free loopback ports, a temporary data
directory, optional authentication, and stop/start on the same ports for outage tests."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import requests

from locust_fleet.runs.store import rows  # noqa: F401  (the tests read query results as `locust-fleet runs` does)

from .procs import free_port, wait_until

CONFIG = """
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
[coordinator]
[retention]
  enabled = false
[shard-precreation]
  enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = {auth}
  log-enabled = false
  https-enabled = {https}
  https-certificate = "{cert}"
  https-private-key = "{key}"
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
"""


class InfluxServer:
    def __init__(self, workdir: Path, auth: bool = False, tls: bool = False):
        """tls: serve https with a self-signed certificate for 127.0.0.1, kept in self.cert."""
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.cert = self.dir / "cert.pem"
        key = self.dir / "key.pem"
        if tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", str(key), "-out", str(self.cert)], check=True, capture_output=True)
        self.config = self.dir / "influxdb.conf"
        self.config.write_text(CONFIG.format(dir=self.dir, port=self.port, rpc_port=free_port(),
                                             auth="true" if auth else "false", https="true" if tls else "false",
                                             cert=self.cert, key=key))
        self.proc: subprocess.Popen | None = None
        self.log = open(self.dir / "influxd.log", "ab")

    def start(self) -> InfluxServer:
        self.proc = subprocess.Popen(["influxd", "-config", str(self.config)], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, 30, f"influxd on {self.url}")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"influxd exited: {(self.dir / 'influxd.log').read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/ping", timeout=1, verify=str(self.cert)).status_code == 204
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it; start() brings it back on the same ports."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def query(self, q: str, db: str = "locust", auth: tuple[str, str] | None = None) -> list[dict]:
        resp = requests.post(self.url + "/query", params={"db": db, "epoch": "ns"}, data={"q": q}, auth=auth,
                             timeout=10, verify=str(self.cert))
        resp.raise_for_status()
        result = resp.json()["results"][0]
        assert "error" not in result, result
        return result.get("series", [])

    def close(self) -> None:
        self.stop()
        self.log.close()

    def __enter__(self) -> InfluxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()




class InfluxDatabase:
    """One database of a shared InfluxServer: what end-to-end tests that only write and read their
    own database get (tests/conftest.py `influx`), so a session starts one influxd per process
    instead of one per test. Same reading interface as the server; `database` goes to the master's
    --influxdb-database (harness/exported.py influx_args)."""

    def __init__(self, server: InfluxServer, database: str):
        self.server, self.database, self.url, self.cert = server, database, server.url, server.cert

    def query(self, q: str, db: str | None = None, auth: tuple[str, str] | None = None) -> list[dict]:
        return self.server.query(q, self.database if db is None else db, auth)
