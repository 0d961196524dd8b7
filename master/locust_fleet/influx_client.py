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


class WrongServer(PermanentError):
    """What answers at the URL is not InfluxDB (a web page, a redirect, an empty answer, another
    protocol); the message names --influxdb-url and what was found."""


class NoHttpAnswer(RetryableError):
    """The server closed the connection without an HTTP answer: retryable while writing (a proxy
    restarting), but at start-up it is a server that speaks something else (TLS on an http URL)."""


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
            # Redirects are not followed: requests would turn a redirected POST /write into a GET.
            resp = self.session.request(method, self.url + path, timeout=self.timeout, verify=self.verify,
                                        allow_redirects=False, **kw)
        except requests.exceptions.SSLError as e:
            if _not_tls(e):
                raise WrongServer(f"--influxdb-url: got {self.url}; the server there does not speak TLS; "
                                  "expected an http:// URL for it") from None
            raise PermanentError(f"InfluxDB at {self.url}: TLS verification failed ({type(e).__name__}); "
                                 "pass the CA with --influxdb-ca-file") from None
        except requests.exceptions.Timeout:
            raise RetryableError(f"InfluxDB at {self.url}: no answer within {self.timeout:g} s") from None
        except requests.exceptions.ConnectionError as e:
            if _closed_without_answer(e):
                raise NoHttpAnswer(f"--influxdb-url: got {self.url}; the server closed the connection without an "
                                   "HTTP answer (a TLS server? then use https://)") from None
            raise RetryableError(f"InfluxDB at {self.url}: unreachable (connection failed)") from None
        if 300 <= resp.status_code < 400:
            raise WrongServer(f"--influxdb-url: got {self.url}; {path} redirects (HTTP {resp.status_code}) to "
                              f"{resp.headers.get('Location', 'nowhere').split('?')[0]!r}; expected InfluxDB's own URL "
                              "(give the URL it redirects to)")
        if resp.status_code in (401, 403):
            hint = f"check {self._credential_options}" if self._credential_options else \
                "the server requires credentials: set --influxdb-username/--influxdb-password or --influxdb-token"
            raise AuthError(f"InfluxDB at {self.url} refused the credentials (HTTP {resp.status_code}); {hint}")
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableError(f"InfluxDB at {self.url}: HTTP {resp.status_code} {_error_text(resp)}")
        if resp.status_code == 404 and "database not found" in _error_text(resp):
            raise DatabaseNotFound(f"--influxdb-database: database {self.database!r} not found at {self.url}")
        if resp.status_code >= 400:
            if _influx_error(resp) is None:  # InfluxDB's errors are JSON {"error": ...}
                raise self._wrong_server(path, resp)
            raise PermanentError(f"InfluxDB at {self.url}: HTTP {resp.status_code} {_error_text(resp)}")
        return resp

    def _wrong_server(self, path: str, resp: requests.Response) -> WrongServer:
        if self.url.startswith("http://") and "https" in resp.text.lower():  # Go's answer to plain HTTP on TLS
            hint = "an https server: use https:// in the URL"
        else:
            hint = "expected InfluxDB 1.x (or 2.x's 1.x API) at this URL"
        return WrongServer(f"--influxdb-url: got {self.url}; {path} answered {_found(resp)}; {hint}")

    def ping(self) -> str:
        """The server's version; raises like any request (ping needs no credentials). Every
        InfluxDB answers /ping with 204 and an X-Influxdb-Version header; anything else is
        another server."""
        resp = self._request("GET", "/ping")
        version = resp.headers.get("X-Influxdb-Version")
        if resp.status_code != 204 or version is None:
            raise self._wrong_server("/ping", resp)
        return version

    def _json(self, path: str, resp: requests.Response) -> dict:
        """The first result of a /query answer; another server's answer raises WrongServer."""
        try:
            return resp.json()["results"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._wrong_server(path, resp) from None

    def write(self, body: bytes) -> None:
        """Write line protocol (precision ns) in one gzip'd request."""
        self._request("POST", "/write", params={"db": self.database, "precision": "ns"},
                      data=gzip.compress(body, compresslevel=5),
                      headers={"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"})

    def query(self, q: str, epoch: str = "ns") -> list[dict]:
        """Series of the first statement's result: [{name, tags, columns, values}, ...]."""
        resp = self._request("POST", "/query", params={"db": self.database, "epoch": epoch}, data={"q": q})
        result = self._json("/query", resp)
        if "error" in result:
            raise PermanentError(f"InfluxDB query failed: {result['error']}")
        return result.get("series", [])

    def ensure_database(self) -> bool:
        """Create the database when missing; True when it was created. An InfluxDB 2.x token (or a
        1.x user without admin rights) cannot create one: that is reported naming the option."""
        try:
            names = {row[0] for s in self._show_databases() for row in s.get("values", [])}
        except PermanentError as e:
            if isinstance(e, (AuthError, WrongServer)):
                raise
            names = set()
        if self.database in names:
            return False
        resp = self._request("POST", "/query", data={"q": f'CREATE DATABASE "{_quote(self.database)}"'})
        result = self._json("/query", resp)
        if "error" in result:
            raise PermanentError(f"--influxdb-database: database {self.database!r} does not exist and could not be "
                                 f"created: {result['error']}")
        return True

    def _show_databases(self) -> list[dict]:
        resp = self._request("POST", "/query", data={"q": "SHOW DATABASES"})
        result = self._json("/query", resp)
        if "error" in result:
            raise PermanentError(result["error"])
        return result.get("series", [])


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _influx_error(resp: requests.Response) -> str | None:
    """InfluxDB's error text, or None when the body is not InfluxDB's JSON error."""
    try:
        body = resp.json()
    except ValueError:
        return None
    return str(body["error"]).strip() if isinstance(body, dict) and "error" in body else None


def _error_text(resp: requests.Response) -> str:
    error = _influx_error(resp)
    return error if error is not None else resp.text.strip()[:200]


def _found(resp: requests.Response) -> str:
    """What a server answered, in a few words: status, content type and the start of the body."""
    kind = resp.headers.get("Content-Type", "without a content type").split(";")[0]
    text = " ".join(resp.text.split())
    body = f"{text[:80]!r}" + ("..." if len(text) > 80 else "") if text else "an empty body"
    return f"HTTP {resp.status_code} {kind} with {body}"


def _closed_without_answer(e: requests.exceptions.ConnectionError) -> bool:
    """The connection was made, then ended before an HTTP status line (no refusal, no DNS error)."""
    text = repr(e)
    return "RemoteDisconnected" in text or "BadStatusLine" in text or "Connection aborted" in text


def _not_tls(e: requests.exceptions.SSLError) -> bool:
    """An https URL for a plain-HTTP server: the TLS handshake read an HTTP answer instead."""
    text = repr(e)
    return "WRONG_VERSION_NUMBER" in text or "record layer failure" in text or "packet length too long" in text
