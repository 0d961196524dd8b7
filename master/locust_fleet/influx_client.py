"""A small client of InfluxDB's 1.x HTTP API, which InfluxDB 1.x, 2.x and 3 (Core, Enterprise) all
serve: gzip'd writes, InfluxQL queries, the server's kind and version from /ping, the database
checked (or created, on 1.x) at start, and errors sorted into what a retry can fix and what it
cannot. How each kind differs is in docs/influxdb-versions.md. Credentials never appear in
messages or reprs."""

from __future__ import annotations

import gzip
import ipaddress
import os
import re
import ssl
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import requests

from .run_record import redact_url

# --influxdb-server: detected from /ping, or named when a proxy hides the server's headers.
SERVER_KINDS = ("auto", "1", "2", "3")


# What InfluxDB 3 takes as a database name, read in its source (github.com/influxdata/influxdb,
# influxdb3_server/src/http.rs, fn validate_db_name and MAXIMUM_DATABASE_NAME_LENGTH): at most 64
# ASCII characters, a letter or digit first, then letters, digits, _ and -, with at most one / inside
# (DATABASE/RETENTION_POLICY, as 1.x names them), not at the end. Anything else is refused at every write.
INFLUXDB3_DATABASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9_-]+)?")
INFLUXDB3_DATABASE_NAME_MAX = 64


# What InfluxDB 1.x takes (services/meta/data.go, validName; checked against Debian's 1.6): printable
# characters, neither / nor \\, not . or ..; "invalid name" otherwise. A database of another name cannot
# exist there, so an admin could not create it either.
INFLUXDB1_FORBIDDEN = ("/", "\\")


def database_name_problem(kind: str, name: str) -> str | None:
    """Why InfluxDB of this kind ("1", "2", "3") would refuse name as a database, or None."""
    if kind == "3" and not (len(name) <= INFLUXDB3_DATABASE_NAME_MAX and INFLUXDB3_DATABASE_NAME.fullmatch(name)):
        return (f"--influxdb-database: got {name!r}, which InfluxDB 3 refuses as a database name (every write would "
                f"fail); expected at most {INFLUXDB3_DATABASE_NAME_MAX} ASCII letters, digits, _ and -, starting with "
                "a letter or digit, with at most one / between two such parts (DATABASE/RETENTION_POLICY)")
    if kind == "1" and (name in (".", "..") or not name.isprintable() or any(c in name for c in INFLUXDB1_FORBIDDEN)):
        return (f"--influxdb-database: got {name!r}, which InfluxDB 1.x refuses as a database name (every write would "
                "fail); expected printable characters without / or \\, other than . and .. (1.x has no "
                "DATABASE/RETENTION_POLICY names: the master writes to the database's default retention policy)")
    return None


HOST_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")
URL_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


def url_problem(url: str) -> str | None:
    """What is wrong with --influxdb-url, or None: http(s), a host name or IP address, an optional
    port from 1 to 65535 and an optional path (a proxy's prefix), nothing else. One check for the
    master, `locust-fleet runs` and `spool replay`: the two commands sent any URL to requests, whose
    errors (a port out of range, another scheme) ended them with a traceback that showed the URL
    whole, password included. Messages show the URL with its password as ***."""
    expected = "expected http://HOST:PORT or https://HOST:PORT"
    shown = repr(redact_url(url))
    if any(c.isspace() or not c.isprintable() for c in url):  # urlsplit would drop tabs and newlines
        return f"--influxdb-url: got {shown}; {expected}, without spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:  # an unclosed "[", a port that is not a number from 0 to 65535
        return f"--influxdb-url: got {shown}; {expected} ({str(e).replace(url, redact_url(url))})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--influxdb-url: got {shown}; {expected}"
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        return f"--influxdb-url: got {shown}; the port must be a number from 1 to 65535"
    hostport = parts.netloc.rpartition("@")[2]
    host = hostport.rsplit(":", 1)[0] if port is not None or hostport.endswith(":") else hostport
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"--influxdb-url: got {shown}; {host!r} is not an IPv6 address"
    elif not HOST_NAME.match(host):
        return f"--influxdb-url: got {shown}; {host!r} is not a host name or IP address"
    if parts.query or parts.fragment or "?" in url or "#" in url or not URL_PATH.match(parts.path):
        return (f"--influxdb-url: got {shown}; {expected}, optionally with a path, "
                "without query, fragment, spaces or control characters")
    return None


def has_credentials(url: str) -> bool:
    """Whether a URL url_problem took names a user (USER@ or USER:PASSWORD@)."""
    return "@" in urlsplit(url).netloc


def ca_file_problem(url: str, ca_file: str) -> str | None:
    """What is wrong with --influxdb-ca-file for --influxdb-url, or None: one check for the master,
    `locust-fleet spool replay` and `locust-fleet runs`, which take the same options. With an http://
    URL the CA was ignored and the points sent in clear; a file without a certificate (a key, a text
    file) made every https request fail as if no CA had been given, and the message asked for the
    option given."""
    if not ca_file:
        return None
    if urlsplit(url).scheme.lower() == "http":
        return (f"--influxdb-ca-file: given, but --influxdb-url {redact_url(url)} is plain HTTP; a CA verifies an "
                "https:// URL: "
                "use https:// or leave --influxdb-ca-file out")
    if os.path.isdir(ca_file):
        return f"--influxdb-ca-file: {ca_file!r} is a directory; expected a PEM CA bundle file"
    if not os.access(ca_file, os.R_OK):
        return f"--influxdb-ca-file: cannot read {ca_file!r}; expected a PEM CA bundle"
    try:
        ssl.create_default_context(cafile=ca_file)
    except ssl.SSLError:
        return (f"--influxdb-ca-file: {ca_file!r} holds no PEM certificate; expected a PEM CA bundle "
                "(-----BEGIN CERTIFICATE-----)")
    return None


# Credentials come from options, env vars and, in Kubernetes, a Secret: one made from a file
# (kubectl create secret generic --from-file=password=password.txt) keeps the file's last newline,
# which no credential has. Sent as read, 1.x refused a user with the right password, and requests
# refused a token's header (the master stopped with a traceback that showed the token). One rule for
# the master, `locust-fleet runs` and `locust-fleet spool replay`: the line ends at the end are
# dropped, nothing else; a control character left inside (a tab, a line end) is refused, and a space
# in a token too (it is an HTTP header's value). Only a user name is shown in a message.
class CredentialsError(ValueError):
    """Bad credentials options; the message is meant for the user as is and holds no secret."""


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)


def has_control_character(value: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in value)


USER_OPTION = "--influxdb-username (LOCUST_INFLUXDB_USERNAME)"
PASSWORD_OPTION = "--influxdb-password (LOCUST_INFLUXDB_PASSWORD)"


def read_credentials(username: str, password: str, token: str, user_named: str = USER_OPTION,
                     password_named: str = PASSWORD_OPTION) -> Credentials:
    """The credentials as InfluxDB gets them, by the rule above; raises CredentialsError. user_named
    and password_named: where the user name and password came from, as messages name it."""
    username, password, token = (value.rstrip("\r\n") for value in (username, password, token))
    if has_control_character(username):
        raise CredentialsError(f"{user_named}: got {username!r}, which holds control characters; expected the user "
                               "name alone")
    if has_control_character(password):
        raise CredentialsError(f"{password_named}: holds control characters; expected the password alone (not shown)")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise CredentialsError("--influxdb-token (LOCUST_INFLUXDB_TOKEN): holds spaces or control characters; "
                               "expected the token alone (not shown)")
    if token and (username or password):
        raise CredentialsError("--influxdb-token: give either a token or --influxdb-username/--influxdb-password, "
                               "not both")
    if bool(username) != bool(password):
        raise CredentialsError("--influxdb-username/--influxdb-password: give both or neither")
    return Credentials(username, password, token)


def read_connection(url: str, username: str, password: str, token: str) -> tuple[str, Credentials]:
    """`locust-fleet runs` and `spool replay`, which take a URL with USER:PASSWORD@ in it: the URL
    checked and without them, and the credentials, from the options or the URL, read by the one rule
    above. requests sent a URL's password as written, %0A and all, by no rule. Raises
    CredentialsError."""
    if problem := url_problem(url):
        raise CredentialsError(problem)
    url = url.rstrip("/")
    if not has_credentials(url):
        return url, read_credentials(username, password, token)
    parts = urlsplit(url)
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    if username or password or token:
        raise CredentialsError(f"--influxdb-url: {redact_url(url)} names a user, and --influxdb-username, "
                               "--influxdb-password or --influxdb-token are given too; give the credentials one way")
    if not parts.password:
        raise CredentialsError(f"--influxdb-url: {redact_url(url)} names a user without a password; expected "
                               "http://USER:PASSWORD@HOST:PORT, or the user in --influxdb-username")
    return bare, read_credentials(unquote(parts.username or ""), unquote(parts.password),
                                  "", "--influxdb-url (its user name)", "--influxdb-url (its password)")


class InfluxError(Exception):
    """Base of the client's errors; the message is meant for the user as is."""


class RetryableError(InfluxError):
    """Unreachable, timed out, overloaded (5xx, 429): the same write may succeed later."""


class PermanentError(InfluxError):
    """The server rejected the request itself (bad data, 4xx): retrying cannot help."""


class AuthError(PermanentError):
    """The credentials were refused (401), or they lack a privilege the request needs (403)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class BadDatabaseName(PermanentError):
    """The server refuses the database's name; the message gives its rule."""


class DatabaseNotFound(PermanentError):
    """The database (on 2.x: the bucket mapped to it) does not exist; the message says how to create it."""


class WriteRefused(PermanentError):
    """The server refused the data of a write (a type conflict, a tag and a field of one name...).
    line: the 1-based line the server named (InfluxDB 3 stops at the first refused line and says
    which), None when it did not; reason: the server's own words."""

    def __init__(self, message: str, reason: str, line: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.line = line


def kind_name(kind: str) -> str:
    """"InfluxDB 1.x", "InfluxDB 2.x", "InfluxDB 3": how the docs and messages name a kind."""
    return f"InfluxDB {kind if kind == '3' else kind + '.x'}"


@dataclass(frozen=True)
class ServerInfo:
    """What answers at the URL, and how the client treats it. `kind` ("1", "2" or "3") is the API the
    client uses: --influxdb-server's when given, else the one /ping names; `version` and `build`
    (OSS, ENT, Core...) are what /ping said, whatever --influxdb-server asked for."""

    kind: str
    version: str
    build: str = ""

    @property
    def answered(self) -> str | None:
        """The kind /ping names ("1", "2", "3"), None when its version is none this client knows."""
        return kind_of(self.version)

    def __str__(self) -> str:
        """What answered, as /ping said: never the kind asked for with another server's version."""
        build = f" {self.build}" if self.build and self.build not in ("OSS", "cloud2") else ""
        line = kind_name(self.answered) if self.answered else "InfluxDB"
        return f"{line}{build} {self.version}".rstrip()


def kind_of(version: str) -> str | None:
    """The kind from an X-Influxdb-Version header: 1.8.10, v2.7.12 / 2.7.12, 3.10.0 (None: unknown)."""
    match = re.match(r"v?(\d+)\.", version.strip())
    return match.group(1) if match and match.group(1) in ("1", "2", "3") else None


class WrongServer(PermanentError):
    """What answers at the URL is not InfluxDB (a web page, a redirect, an empty answer, another
    protocol); the message names --influxdb-url and what was found."""


class NoHttpAnswer(RetryableError):
    """The server closed the connection without an HTTP answer: retryable while writing (a proxy
    restarting), but at start-up it is a server that speaks something else (TLS on an http URL)."""


class MissingRetentionPolicy(RetryableError):
    """1.x answers a write to a database without the retention policy it names (its default one,
    dropped) with HTTP 500 "retention policy not found: NAME": retryable while writing (an admin may
    make it during the run, and the spool replays), but at start-up the database is set up wrong."""


class InfluxClient:
    def __init__(self, url: str, database: str, username: str = "", password: str = "", token: str = "",
                 ca_file: str = "", timeout: float = 10.0, server: str = "auto", shown_url: str = "") -> None:
        """server: --influxdb-server; "auto" learns the kind from the first /ping that answers.
        shown_url: the URL as given, when its credentials were taken out of it (read_connection)."""
        self.url = url.rstrip("/")
        # What messages name: `locust-fleet runs` and `spool replay` take a URL with a password in it.
        self.shown_url = redact_url((shown_url or self.url).rstrip("/"))
        self.database = database
        self.timeout = timeout
        self.named_kind = "" if server == "auto" else server
        self.server: ServerInfo | None = None  # known once /ping answered
        self._credential_options = ("--influxdb-token" if token else
                                    "--influxdb-username/--influxdb-password" if username else "")
        self.session = requests.Session()
        # Certificates are always verified. Passed with each request: a session-wide setting would
        # lose to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment.
        self.verify: str | bool = ca_file or True
        # "Token" is the scheme 2.x and 3 both accept (3 also takes Bearer, Basic and p=); 1.x and
        # 2.x's v1 users take Basic. The same header on every kind, so nothing waits for /ping.
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        elif username:
            self.session.auth = (username, password)

    def __repr__(self) -> str:
        return f"InfluxClient({self.shown_url!r}, database={self.database!r})"

    @property
    def kind(self) -> str:
        """"1", "2", "3", or "" while neither --influxdb-server nor /ping has said."""
        return self.named_kind or (self.server.kind if self.server else "")

    def _certificate_refused(self, e: requests.exceptions.SSLError) -> str:
        """Why the server's certificate was not accepted, and the setting that fixes it: its host name,
        the CA file given, or a CA file to give."""
        reason = _verify_reason(e)
        said = f"InfluxDB at {self.shown_url}: TLS verification failed ({reason or type(e).__name__})"
        if reason.startswith("Hostname mismatch"):
            return f"{said}; use a host name the certificate names in --influxdb-url"
        if isinstance(self.verify, str):
            return f"{said}; --influxdb-ca-file {self.verify!r} does not hold the CA that signed its certificate"
        return f"{said}; pass the CA with --influxdb-ca-file"

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        try:
            # Redirects are not followed: requests would turn a redirected POST /write into a GET.
            resp = self.session.request(method, self.url + path, timeout=self.timeout, verify=self.verify,
                                        allow_redirects=False, **kw)
        except requests.exceptions.SSLError as e:
            if _not_tls(e):
                raise WrongServer(f"--influxdb-url: got {self.shown_url}; the server there does not speak TLS; "
                                  "expected an http:// URL for it") from None
            raise PermanentError(self._certificate_refused(e)) from None
        except requests.exceptions.Timeout:
            raise RetryableError(f"InfluxDB at {self.shown_url}: no answer within {self.timeout:g} s") from None
        except requests.exceptions.ConnectionError as e:
            if _closed_without_answer(e):
                raise NoHttpAnswer(f"--influxdb-url: got {self.shown_url}; the server closed the connection without an "
                                   "HTTP answer (a TLS server? then use https://)") from None
            raise RetryableError(f"InfluxDB at {self.shown_url}: unreachable (connection failed)") from None
        if 300 <= resp.status_code < 400:
            raise WrongServer(f"--influxdb-url: got {self.shown_url}; {path} redirects (HTTP {resp.status_code}) to "
                              f"{resp.headers.get('Location', 'nowhere').split('?')[0]!r}; expected InfluxDB's own URL "
                              "(give the URL it redirects to)")
        if resp.status_code in (401, 403):
            raise AuthError(self._auth_message(resp.status_code, _error_text(resp)), resp.status_code)
        if resp.status_code >= 500 and (policy := _missing_retention_policy(_error_text(resp))):
            raise MissingRetentionPolicy(
                f"--influxdb-database: database {self.database!r} at {self.shown_url} has no retention policy "
                f"{policy!r} (HTTP {resp.status_code}: {_error_text(resp)}); as an admin, make one its default: "
                f'CREATE RETENTION POLICY "{_quote(policy)}" ON "{_quote(self.database)}" DURATION INF REPLICATION 1 '
                "DEFAULT (or ALTER RETENTION POLICY ... DEFAULT for one it has)")
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableError(f"InfluxDB at {self.shown_url}: HTTP {resp.status_code} {_error_text(resp)}")
        if resp.status_code == 404 and _missing_database(_error_text(resp)):
            raise self.database_not_found()
        if resp.status_code >= 400:
            # Before /ping has answered, an error that is not InfluxDB's JSON is another server; after,
            # it is InfluxDB 3's plain-text errors.
            if _influx_error(resp) is None and self.server is None:
                raise self._wrong_server(path, resp)
            if path == "/write":
                raise _write_refused(self.shown_url, resp)
            raise PermanentError(f"InfluxDB at {self.shown_url}: HTTP {resp.status_code} {_error_text(resp)}")
        return resp

    def _auth_message(self, status: int, reason: str = "") -> str:
        if status == 403 and reason and self._credential_options:
            # Credentials that were accepted but lack a privilege (1.x: '"bob" user is not authorized
            # to write to database "locust"'): the server's words say which, the password is fine.
            grant = (f' (as an admin: GRANT ALL ON "{_quote(self.database)}" TO "{_quote(self.session.auth[0])}")'
                     if self.kind == "1" and isinstance(self.session.auth, tuple) else "")
            return (f"InfluxDB at {self.shown_url} refused the request (HTTP 403: {reason}); give the user of "
                    f"{self._credential_options} that privilege{grant}, or credentials that have it")
        if self._credential_options:
            hint = f"check {self._credential_options}"
        elif self.kind in ("2", "3"):
            hint = f"{self.server or 'InfluxDB ' + self.kind} needs a token: set --influxdb-token"
        elif self.kind == "1":
            hint = f"{self.server or 'InfluxDB 1.x'} requires a user: set --influxdb-username/--influxdb-password"
        else:
            hint = ("the server requires credentials: set --influxdb-token (InfluxDB 2.x and 3) or "
                    "--influxdb-username/--influxdb-password (1.x)")
        return f"InfluxDB at {self.shown_url} refused the credentials (HTTP {status}); {hint}"

    def database_not_found(self, reading: bool = False) -> DatabaseNotFound:
        """The database is missing: what to do depends on the kind of server (and, to read, the
        name is more likely wrong than the database missing)."""
        db = self.database
        where = f"{self.server or 'InfluxDB'} at {self.shown_url}"
        if reading:
            listing = "`influx v1 dbrp list` lists the mapped ones" if self.kind == "2" else "SHOW DATABASES lists them"
            return DatabaseNotFound(f"--influxdb-database: no database {db!r} at {self.shown_url}; give the master's "
                                    f"--influxdb-database ({listing})")
        if self.kind == "2":
            return DatabaseNotFound(
                f"--influxdb-database: {where} has no bucket for database {db!r}; create a bucket named {db} "
                f"(`influx bucket create --name {db}`: a bucket maps itself to the database of its name), or map "
                f"one: `influx v1 dbrp create --db {db} --rp autogen --bucket-id BUCKET_ID --default`")
        if self.kind == "3":
            return DatabaseNotFound(
                f"--influxdb-database: {where} has no database {db!r} and this token may not create one; create it "
                f"(`influxdb3 create database {db}`) or use a token allowed to write to it")
        return DatabaseNotFound(
            f"--influxdb-database: database {db!r} not found at {self.shown_url}; create it (`CREATE DATABASE \"{db}\"` "
            "in the influx shell) or use credentials allowed to create it")

    def _wrong_server(self, path: str, resp: requests.Response) -> WrongServer:
        if self.url.startswith("http://") and "https" in resp.text.lower():  # Go's answer to plain HTTP on TLS
            hint = "an https server: use https:// in the URL"
        else:
            hint = "expected InfluxDB 1.x, 2.x or 3 at this URL"
            url = urlsplit(self.shown_url)
            if resp.status_code == 404 and url.path.strip("/"):
                # e.g. InfluxDB 3's /api/v3 or 2.x's /api/v2 given as if it were the base URL
                hint += (f"; its path {url.path!r} goes before every request (as behind a proxy that serves InfluxDB "
                         f"under it), but InfluxDB itself answers at the root: give {url.scheme}://{url.netloc}")
        return WrongServer(f"--influxdb-url: got {self.shown_url}; {path} answered {_found(resp)}; {hint}")

    def ping(self) -> ServerInfo:
        """What answers: its kind, version and build; raises like any request. InfluxDB 1.x and 2.x
        answer /ping with 204 and X-Influxdb-Version; InfluxDB 3 with 200, a JSON body naming its
        version and the same header, and it asks for the token unless started without
        (influxdb3_server/src/http.rs, fn ping). Anything else is another server."""
        resp = self._request("GET", "/ping")
        version = resp.headers.get("X-Influxdb-Version")
        build = resp.headers.get("X-Influxdb-Build", "")
        if version is None or resp.status_code not in (200, 204):
            raise self._wrong_server("/ping", resp)
        if resp.status_code == 200:
            try:
                body = resp.json()
                version = str(body["version"])
            except (ValueError, KeyError, TypeError):
                raise self._wrong_server("/ping", resp) from None
        kind = self.named_kind or kind_of(version)
        if kind is None:
            raise WrongServer(f"--influxdb-url: got {self.shown_url}; /ping names InfluxDB {version!r}, a version this "
                              "client does not know; set --influxdb-server 1, 2 or 3 to say which API it serves")
        self.server = ServerInfo(kind, version.lstrip("v"), build)
        return self.server

    def _json(self, path: str, resp: requests.Response) -> dict:
        """The first result of a /query answer; another server's answer raises WrongServer."""
        try:
            return resp.json()["results"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._wrong_server(path, resp) from None

    def write(self, body: bytes) -> None:
        """Write line protocol (precision ns) in one gzip'd request. Raises WriteRefused when the
        server refused data in it: InfluxDB 1.x and 2.x write the other lines (a partial write),
        InfluxDB 3 none of them."""
        self._request("POST", "/write", params={"db": self.database, "precision": "ns"},
                      data=gzip.compress(body, compresslevel=5),
                      headers={"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"})

    def query(self, q: str, epoch: str = "ns") -> list[dict]:
        """Series of the first statement's result: [{name, tags, columns, values}, ...]."""
        result = self._statement(q, {"db": self.database, "epoch": epoch})
        if "error" in result:
            if _missing_database(result["error"]):
                raise self.database_not_found(reading=True)
            raise PermanentError(f"InfluxDB query failed: {result['error']}")
        return result.get("series", [])

    def _statement(self, q: str, params: dict[str, str] | None = None) -> dict:
        # q goes in the URL, as InfluxData's own clients send it: every kind reads it there (a body
        # of InfluxDB 3 before 3.7 was read as a form, after as one of three content types).
        resp = self._request("POST", "/query", params={**(params or {}), "q": q})
        return self._json("/query", resp)

    def ensure_database(self) -> str:
        """Checks the database at start, as each kind allows: "exists"; on 1.x "created" when it was
        missing and the credentials may create it; on 3 "first write" (a write creates a database
        there, CREATE DATABASE is not InfluxQL on 3). A 2.x bucket is never created: a missing one
        raises DatabaseNotFound saying how to make it. A name the server refuses raises BadDatabaseName
        (it would refuse each write, and each batch would wait in the spool for nothing)."""
        if problem := database_name_problem(self.kind, self.database):
            raise BadDatabaseName(problem)
        names = self._databases()
        if names is not None and self.database in names:
            if self.kind == "1":
                self._may_write()
            return "exists"
        if self.kind == "3":
            return "first write"
        if self.kind == "2":
            if names is None:  # the token may not list mappings: the first write tells
                return "exists"
            raise self.database_not_found()
        # 1.x lists only the databases the user has a privilege on: one it may not touch exists all
        # the same, and saying it does not would send the user to create it again.
        if self._may_write():
            return "exists"
        try:
            error = self._statement(f'CREATE DATABASE "{_quote(self.database)}"').get("error")
        except AuthError as e:
            if e.status != 403:  # 401: the credentials themselves are wrong
                raise
            error = "HTTP 403: the user may not create databases"
        if error:
            raise DatabaseNotFound(f"--influxdb-database: database {self.database!r} does not exist and could not be "
                                   f"created ({error}); create it as an admin (`CREATE DATABASE "
                                   f"\"{_quote(self.database)}\"` in the influx shell) or give credentials allowed to")
        return "created"

    def _may_write(self) -> bool:
        """1.x: whether the database exists (False when not), and raises AuthError (403) when the
        user may not write to it. An empty write is checked as any write is, the database first,
        then the user's WRITE privilege, and writes nothing (services/httpd/handler.go, serveWrite):
        without this, a user who may only read passed the start and every point of the run went
        to the spool."""
        try:
            self._request("POST", "/write", params={"db": self.database, "precision": "ns"}, data=b"")
        except DatabaseNotFound:
            return False
        return True

    def _databases(self) -> set[str] | None:
        """The databases SHOW DATABASES lists (2.x: the database of each bucket mapping), or None
        when the credentials may not list them."""
        try:
            result = self._statement("SHOW DATABASES")
        except PermanentError as e:
            if isinstance(e, (AuthError, WrongServer)):
                raise
            return None
        if "error" in result:
            return None
        return {row[0] for s in result.get("series", []) for row in s.get("values", [])}


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _missing_database(text: str) -> bool:
    """1.x: "database not found: locust"; 2.x: "no dbrp mapping found"; 3: "Database locust not found"
    (core/iox_v1_query_api/src/error.rs) or "database not found"."""
    text = text.lower()
    return "database not found" in text or "no dbrp mapping found" in text or bool(
        re.search(r"database \S+ not found", text))


def _missing_retention_policy(text: str) -> str:
    """1.x: "retention policy not found: autogen" (coordinator's ErrRetentionPolicyNotFound); the
    policy's name, or "" for another error."""
    match = re.fullmatch(r"retention policy not found: (.*)", text.strip())
    return match.group(1) if match else ""


def _influx_error(resp: requests.Response) -> str | None:
    """InfluxDB's error text, or None when the body is not InfluxDB's JSON error: 1.x and 3
    {"error": ...} (3 with the refused line in "data"), 2.x {"code": ..., "message": ...}."""
    try:
        body = resp.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if "error" in body:
        return str(body["error"]).strip()
    if "code" in body and "message" in body:
        return str(body["message"]).strip()
    return None


def _write_refused(url: str, resp: requests.Response) -> WriteRefused:
    """A refused /write. InfluxDB 3 puts the reason of the first refused line in the JSON body's
    data (one object, or a list when partial writes are on), its "error" saying only "line protocol
    parsing error" (influxdb3_server/src/http.rs, Self::WriteBuffer(WriteBufferError::ParseError));
    1.x and 2.x say it in the error text ("partial write: field type conflict: ... dropped=1")."""
    text = _error_text(resp)
    line = None
    try:
        data = resp.json().get("data")
    except (ValueError, AttributeError):
        data = None
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict) and "error_message" in first:
        text = str(first["error_message"])
        line = first.get("line_number") if isinstance(first.get("line_number"), int) else None
    return WriteRefused(f"InfluxDB at {url} refused the write (HTTP {resp.status_code}): {text}", text, line)


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


def _verify_reason(e: requests.exceptions.SSLError) -> str:
    """OpenSSL's reason for refusing a certificate ('self-signed certificate', 'Hostname mismatch,
    certificate is not valid for ...'), "" when the error is not a verification failure."""
    found = re.search(r"certificate verify failed: (.*?) \(_ssl\.c", repr(e))
    return found.group(1).rstrip(".").replace("\\'", "'") if found else ""


def _not_tls(e: requests.exceptions.SSLError) -> bool:
    """An https URL for a plain-HTTP server: the TLS handshake read an HTTP answer instead."""
    text = repr(e)
    return "WRONG_VERSION_NUMBER" in text or "record layer failure" in text or "packet length too long" in text
