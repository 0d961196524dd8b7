"""InfluxDB servers for tests, each on free loopback ports with a temporary data directory,
optional authentication, and stop/start on the same ports for outage tests:

- InfluxServer: a real InfluxDB 1.x, Debian's influxd (1.6) or another 1.x binary (the current 1.x
  that `make influxdb-servers` builds into .tools/influxdb/);
- InfluxDB3Double: the double of InfluxDB 3's 1.x-compatible API (harness/influxdb3_double.py) in
  front of a real InfluxDB 1.x that stores and queries.

All answer query(q, db) as the tests read results, with the credentials they were started with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import requests

from locust_fleet.runs.store import rows  # noqa: F401  (the tests read query results as `locust-fleet runs` does)

from .procs import REPO, free_port, wait_until

# What `make influxdb-servers` builds (Makefile INFLUXDB1_VERSION, INFLUXDB2_VERSION), where it puts it.
INFLUXDB1_CURRENT = REPO / ".tools" / "influxdb" / "influxd-1"
INFLUXDB2_CURRENT = REPO / ".tools" / "influxdb" / "influxd-2"

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


def series_of(resp: requests.Response) -> list[dict]:
    """The series of a 1.x-API query answer; fails the test on an error."""
    resp.raise_for_status()
    result = resp.json()["results"][0]
    assert "error" not in result, result
    return result.get("series", [])


class _Server:
    """What every server here shares: a process in its own group, a log file, and use as a context
    manager (started on entry, stopped and its log closed on exit)."""

    proc: subprocess.Popen | None
    log: IO[bytes]

    def _end(self, sig: int, wait_s: float = 20) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=wait_s)
            self.proc = None

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


class InfluxServer(_Server):
    kind = "1"

    def __init__(self, workdir: Path, auth: bool = False, tls: bool = False, binary: str = "influxd"):
        """tls: serve https with a self-signed certificate for 127.0.0.1, kept in self.cert;
        binary: the influxd to run (Debian's 1.6 on the PATH by default)."""
        self.binary = binary
        self.auth: tuple[str, str] | None = None  # the admin made by create_admin, used by query()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.auth_enabled = auth
        self.cert = self.dir / "cert.pem"
        self.key = self.dir / "key.pem"
        if tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", str(self.key), "-out", str(self.cert)], check=True, capture_output=True)
        self.config = self.dir / "influxdb.conf"
        self._choose_ports()
        self.proc: subprocess.Popen | None = None
        self._started = False
        self.log = open(self.dir / "influxd.log", "ab")

    def _choose_ports(self) -> None:
        self.port = free_port()
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        self.config.write_text(CONFIG.format(dir=self.dir, port=self.port, rpc_port=free_port(),
                                             auth="true" if self.auth_enabled else "false",
                                             https="true" if self.tls else "false", cert=self.cert, key=self.key))

    def start(self) -> InfluxServer:
        # Another process may bind a port between free_port() and influxd's bind; on the first
        # start the ports can still change, so a clash is retried on fresh ones. A restart
        # (outage tests) keeps its ports, as a restarted server does.
        for attempt in range(3):
            self.proc = subprocess.Popen([self.binary, "-config", str(self.config)], stdout=self.log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            try:
                wait_until(self._ready, 30, f"influxd on {self.url}")
            except AssertionError as exc:
                if self._started or attempt == 2 or "address already in use" not in str(exc):
                    raise
                self._choose_ports()
                continue
            self._started = True
            return self
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

    @property
    def credentials(self) -> list[str]:
        """The master's and `locust-fleet`'s options for this server's credentials."""
        return ["--influxdb-username", self.auth[0], "--influxdb-password", self.auth[1]] if self.auth else []

    def create_admin(self, user: str = "admin", password: str = "right") -> None:
        """The first user of an InfluxDB started with auth (1.x lets it be made without credentials)."""
        requests.post(self.url + "/query", data={"q": f"CREATE USER {user} WITH PASSWORD '{password}' WITH ALL "
                                                      "PRIVILEGES"}, timeout=10, verify=str(self.cert)).raise_for_status()
        self.auth = (user, password)

    def query(self, q: str, db: str = "locust", auth: tuple[str, str] | None = None) -> list[dict]:
        return series_of(requests.post(self.url + "/query", params={"db": db, "epoch": "ns"}, data={"q": q},
                                       auth=auth or self.auth, timeout=10, verify=str(self.cert)))


class InfluxDatabase:
    """One database of a shared InfluxServer: what end-to-end tests that only write and read their
    own database get (tests/conftest.py `influx`), so a session starts one influxd per process
    instead of one per test. Same reading interface as the server; `database` goes to the master's
    --influxdb-database (harness/exported.py influx_args)."""

    def __init__(self, server: InfluxServer, database: str):
        self.server, self.database, self.url, self.cert = server, database, server.url, server.cert

    def query(self, q: str, db: str | None = None, auth: tuple[str, str] | None = None) -> list[dict]:
        return self.server.query(q, self.database if db is None else db, auth)


class InfluxDB3Double(_Server):
    """The InfluxDB 3 double (harness/influxdb3_double.py) in front of a real InfluxDB 1.x. Requests
    need `token` unless it is empty. stop()/start()/kill() act on the double and its store
    together, as an outage of the one server they stand for."""

    kind = "3"

    def __init__(self, workdir: Path, token: str = "apiv3_double-token", version: str = "3.10.0",
                 build: str = "Core", query_file_limit: int = 432) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.store = InfluxServer(workdir / "store")
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["--port", str(self.port), "--backend", self.store.url, "--data", str(self.dir),
                     "--token", token, "--version", version, "--build", build,
                     "--query-file-limit", str(query_file_limit)]
        self.proc: subprocess.Popen | None = None
        self.log = open(self.dir / "double.log", "ab")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @property
    def credentials(self) -> list[str]:
        return ["--influxdb-token", self.token] if self.token else []

    def start(self) -> InfluxDB3Double:
        if self.store.proc is None:
            self.store.start()
        self.proc = subprocess.Popen([sys.executable, "-m", "harness.influxdb3_double", *self.args], cwd=REPO,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, 30, f"the InfluxDB 3 double on {self.url}")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"the double exited: {(self.dir / 'double.log').read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/ping", headers=self.headers, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self._end(signal.SIGTERM)
        self.store.stop()

    def kill(self) -> None:
        self._end(signal.SIGKILL)
        self.store.kill()

    def query(self, q: str, db: str = "locust", auth: tuple[str, str] | None = None) -> list[dict]:
        return series_of(requests.get(self.url + "/query", params={"db": db, "epoch": "ns", "q": q},
                                      headers=self.headers, timeout=10))

    def close(self) -> None:
        super().close()
        self.store.close()


class InfluxDB2Server(_Server):
    """A real InfluxDB 2.x (what `make influxdb-servers` builds), set up with a user, an org, a
    bucket named `locust` (which maps itself to the database locust: a virtual DBRP mapping) and an
    all-access token. Served through its 1.x-compatible API like the others."""

    kind = "2"

    def __init__(self, workdir: Path, binary: str | Path = INFLUXDB2_CURRENT, token: str = "influxdb2-test-token",
                 bucket: str = "locust") -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.binary = str(binary)
        self.token = token
        self.bucket = bucket
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = open(self.dir / "influxd.log", "ab")
        self.set_up = False

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    @property
    def credentials(self) -> list[str]:
        return ["--influxdb-token", self.token]

    def start(self) -> InfluxDB2Server:
        self.proc = subprocess.Popen(
            [self.binary, "--bolt-path", str(self.dir / "influxd.bolt"), "--engine-path", str(self.dir / "engine"),
             "--sqlite-path", str(self.dir / "influxd.sqlite"), "--http-bind-address", f"127.0.0.1:{self.port}",
             "--reporting-disabled", "--log-level", "error"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, 60, f"influxd 2.x on {self.url}")
        if not self.set_up:
            resp = requests.post(self.url + "/api/v2/setup", json={
                "username": "admin", "password": "admin-password", "org": "locust", "bucket": self.bucket,
                "token": self.token}, timeout=30)
            assert resp.status_code == 201, resp.text
            self.set_up = True
        return self

    def create_bucket(self, name: str) -> None:
        """Another bucket, which maps itself to the database of its name."""
        org = requests.get(self.url + "/api/v2/orgs", headers=self.headers, timeout=10).json()["orgs"][0]["id"]
        resp = requests.post(self.url + "/api/v2/buckets", json={"orgID": org, "name": name}, headers=self.headers,
                             timeout=10)
        assert resp.status_code == 201, resp.text

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"influxd exited: {(self.dir / 'influxd.log').read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/ping", timeout=1).status_code == 204
        except requests.RequestException:
            return False

    def query(self, q: str, db: str = "locust", auth: tuple[str, str] | None = None) -> list[dict]:
        return series_of(requests.get(self.url + "/query", params={"db": db, "epoch": "ns", "q": q},
                                      headers=self.headers, timeout=10))


# The kinds of server the version tests run against: Debian's 1.6 and the InfluxDB 3 double always
# (make test), the builds of `make influxdb-servers` in `make test-influxdb`.
KINDS = ("influxdb-1.6", "influxdb-3-double")
BUILT_KINDS = ("influxdb-1-current", "influxdb-2-current")


def server_of(kind: str, workdir: Path):
    """A server of that kind, with credentials required, not started: 1.x with an admin user
    (made at start), 2.x and 3 with a token."""
    if kind == "influxdb-3-double":
        return InfluxDB3Double(workdir)
    if kind == "influxdb-2-current":
        _built(INFLUXDB2_CURRENT)
        return InfluxDB2Server(workdir)
    binary = "influxd"
    if kind == "influxdb-1-current":
        binary = str(_built(INFLUXDB1_CURRENT))
    server = InfluxServer(workdir, auth=True, binary=binary)
    server.auth = ("admin", "right")  # created by start_server
    return server


def start_server(server):
    """Starts a server of server_of; a 1.x one gets its admin on first start."""
    server.start()
    if isinstance(server, InfluxServer) and server.auth:
        try:
            server.create_admin(*server.auth)
        except requests.HTTPError:
            pass  # a restart: the admin is there already
    return server


def _built(path: Path) -> Path:
    assert path.exists(), f"{path} is missing: `make influxdb-servers` builds it"
    return path
