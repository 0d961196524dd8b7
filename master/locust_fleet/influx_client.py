"""A small InfluxDB 1.x HTTP client (also InfluxDB 2.x through its 1.x-compatible API): gzip'd
writes, queries, database creation, and errors sorted into what a retry can fix and what it cannot.
Credentials never appear in messages or reprs."""

from __future__ import annotations

import gzip

import requests


class InfluxError(Exception):
    """Base of the client's errors; the message is meant for the user as is."""


class RetryableError(InfluxError):
    """Unreachable, timed out, overloaded (5xx, 429): the same write may succeed later."""


class PermanentError(InfluxError):
    """The server rejected the request itself (bad data, 4xx): retrying cannot help."""


class AuthError(PermanentError):
    """The credentials were refused."""


class DatabaseNotFound(PermanentError):
    """The database does not exist."""


class InfluxClient:
    def __init__(self, url: str, database: str, username: str = "", password: str = "", token: str = "",
                 ca_file: str = "", timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.timeout = timeout
        self._credential_options = ("--influxdb-token" if token else
                                    "--influxdb-username/--influxdb-password" if username else "")
        self.session = requests.Session()
        # Certificates are always verified. Passed with each request: a session-wide setting would
        # lose to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment.
        self.verify: str | bool = ca_file or True
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        elif username:
            self.session.auth = (username, password)

    def __repr__(self) -> str:
        return f"InfluxClient({self.url!r}, database={self.database!r})"

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        try:
            resp = self.session.request(method, self.url + path, timeout=self.timeout, verify=self.verify, **kw)
        except requests.exceptions.SSLError as e:
            raise PermanentError(f"InfluxDB at {self.url}: TLS verification failed ({type(e).__name__}); "
                                 "pass the CA with --influxdb-ca-file") from None
        except requests.exceptions.Timeout:
            raise RetryableError(f"InfluxDB at {self.url}: no answer within {self.timeout:g} s") from None
        except requests.exceptions.ConnectionError:
            raise RetryableError(f"InfluxDB at {self.url}: unreachable (connection failed)") from None
        if resp.status_code in (401, 403):
            hint = f"check {self._credential_options}" if self._credential_options else \
                "the server requires credentials: set --influxdb-username/--influxdb-password or --influxdb-token"
            raise AuthError(f"InfluxDB at {self.url} refused the credentials (HTTP {resp.status_code}); {hint}")
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableError(f"InfluxDB at {self.url}: HTTP {resp.status_code} {_error_text(resp)}")
        if resp.status_code == 404 and "database not found" in _error_text(resp):
            raise DatabaseNotFound(f"--influxdb-database: database {self.database!r} not found at {self.url}")
        if resp.status_code >= 400:
            raise PermanentError(f"InfluxDB at {self.url}: HTTP {resp.status_code} {_error_text(resp)}")
        return resp

    def ping(self) -> str:
        """The server's version; raises like any request (ping needs no credentials)."""
        return self._request("GET", "/ping").headers.get("X-Influxdb-Version", "")

    def write(self, body: bytes) -> None:
        """Write line protocol (precision ns) in one gzip'd request."""
        self._request("POST", "/write", params={"db": self.database, "precision": "ns"},
                      data=gzip.compress(body, compresslevel=5),
                      headers={"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"})

    def query(self, q: str, epoch: str = "ns") -> list[dict]:
        """Series of the first statement's result: [{name, tags, columns, values}, ...]."""
        resp = self._request("POST", "/query", params={"db": self.database, "epoch": epoch}, data={"q": q})
        result = resp.json()["results"][0]
        if "error" in result:
            raise PermanentError(f"InfluxDB query failed: {result['error']}")
        return result.get("series", [])

    def ensure_database(self) -> bool:
        """Create the database when missing; True when it was created. An InfluxDB 2.x token (or a
        1.x user without admin rights) cannot create one: that is reported naming the option."""
        try:
            names = {row[0] for s in self._show_databases() for row in s.get("values", [])}
        except PermanentError as e:
            if isinstance(e, AuthError):
                raise
            names = set()
        if self.database in names:
            return False
        resp = self._request("POST", "/query", data={"q": f'CREATE DATABASE "{_quote(self.database)}"'})
        result = resp.json()["results"][0]
        if "error" in result:
            raise PermanentError(f"--influxdb-database: database {self.database!r} does not exist and could not be "
                                 f"created: {result['error']}")
        return True

    def _show_databases(self) -> list[dict]:
        resp = self._request("POST", "/query", data={"q": "SHOW DATABASES"})
        result = resp.json()["results"][0]
        if "error" in result:
            raise PermanentError(result["error"])
        return result.get("series", [])


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _error_text(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("error", "")).strip()
    except ValueError:
        return resp.text.strip()[:200]
