"""A double of InfluxDB 3's (Core, Enterprise) 1.x-compatible HTTP API, for tests: no InfluxDB 3
server can be installed here (it is a Rust program distributed as its own builds). It is not an
InfluxDB 3: it answers /ping, /write and /query as InfluxDB 3 does and holds data to InfluxDB 3's
rules, each rule read from the server's source (the file is named in a comment at each one), and
stores and queries through a real InfluxDB 1.x behind it (Debian's influxd), so that InfluxQL is
executed by a real engine rather than by a toy one written here. What differs from a real
InfluxDB 3 is listed in docs/influxdb-versions.md.

    python -m harness.influxdb3_double --port PORT --backend URL --data DIR [--token TOKEN]
        [--version 3.10.0] [--build Core] [--query-file-limit 432] [--ping-without-token]

Every rule it holds (source files of github.com/influxdata/influxdb, branch main):
- /ping answers 200 with JSON naming the version, and X-Influxdb-Version/-Build headers
  (influxdb3_server/src/http.rs, fn ping); like every path it needs the token unless the server
  was started without authorization for it (fn route_request, paths_without_authz).
- The token comes from `p=` on /query and /write, else from an Authorization header whose scheme
  is Bearer, Token or Basic (the password part); anything else is 400, a missing or wrong token
  401 with an empty body (influxdb3_server/src/http.rs, fn extract_v1_auth_token,
  fn validate_auth_header, fn token_part_as_bytes, AuthenticationError::into_response).
- /write (the v1 write) accepts no partial write: the first refused line fails the whole request,
  nothing of it is written, and the answer is 400 {"error": "line protocol parsing error",
  "data": {"original_line", "line_number", "error_message"}} (influxdb3_types/src/http.rs,
  `accept_partial: Some(false)` for the legacy write; influxdb3_write/src/write_buffer/validator.rs,
  fn v1_parse_lines_and_catalog_updates; influxdb3_server/src/http.rs, WriteBufferError::ParseError).
- A database name is at most 64 ASCII bytes: a letter or digit, then letters, digits, _ and -, with
  at most one / (DATABASE/RETENTION_POLICY) not at its end; a write to any other is refused with 400
  (influxdb3_server/src/http.rs, fn validate_db_name).
- A write creates its database and tables (validator.rs, WriteValidator::initialize,
  table_or_create); there is no CREATE DATABASE in InfluxQL ("This feature is not implemented:
  CREATE DATABASE", core/iox_query_influxql/src/plan/planner.rs, test_unsupported_statements).
- A column is a tag or a field of one type, fixed by its first write: another use is refused with
  "invalid column type for column 'NAME', expected TYPE, got TYPE"
  (influxdb3_catalog/src/catalog/versions/v2/update.rs, fn column_or_create; error.rs,
  InvalidColumnType; core/schema/src/lib.rs for the names of the types); a field twice in a line
  is refused too (validator.rs, "multiple instances of ... field found").
- SHOW DATABASES lists the databases as series "databases", column "name"
  (influxdb3_internal_api/src/query_executor.rs, ShowDatabases); a query of a database that does
  not exist fails with "Database NAME not found" (core/iox_v1_query_api/src/error.rs).
- SHOW TAG VALUES without a time condition reads only the last 24 hours
  (core/iox_query_influxql/src/plan/planner.rs, fn plan_where_clause and metadata_cutoff;
  core/iox_query/src/config.rs, influxql_metadata_cutoff default 24 h); with one, that range.
- A query that would read more than --query-file-limit Parquet files fails (Core: default 432;
  influxdb3_write/src/write_buffer/mod.rs, "Query would scan ... exceeding the file limit").
  Files are modelled as one per table and gen1 period (10 minutes, --gen1-duration of
  influxdb3/src/commands/serve.rs) that holds data in the query's time range.
- /query reads `q` from the URL or the body: before 3.7 the body is read as a form whatever its
  type (influxdb3_server/src/http/v1.rs at v3.6.0, fn v1_query); from 3.7 a form body, or the
  query itself when the type is application/vnd.influxql or missing
  (core/iox_v1_query_api/src/handler.rs, fn extract_request, fn influxql_body).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

GEN1_NS = 10 * 60 * 10**9
METADATA_CUTOFF_NS = 24 * 3600 * 10**9
FILE_LIMIT_MESSAGE = ("Query would scan {n} Parquet files, exceeding the file limit. InfluxDB 3 Core caps file access "
                      "to prevent performance degradation and memory issues. Use a narrower time range, or increase "
                      "the limit with --query-file-limit (this may cause slower queries or instability).")
TAG = "iox::column_type::tag"
FIELD_TYPE = {"int": "iox::column_type::field::integer", "uint": "iox::column_type::field::uinteger",
              "float": "iox::column_type::field::float", "str": "iox::column_type::field::string",
              "bool": "iox::column_type::field::boolean"}
# A database name (influxdb3_server/src/http.rs, fn validate_db_name, MAXIMUM_DATABASE_NAME_LENGTH):
# not empty, at most 64 bytes, ASCII only; a letter or digit, then letters, digits, "_", "-" and at
# most one "/", which may not end it. Written here from that rule, not shared with the master's check.
DB_NAME_MAX_BYTES = 64
DB_NAME_FIRST = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
DB_NAME_REST = DB_NAME_FIRST | {"_", "-"}


def valid_db_name(name: str) -> bool:
    if not name or len(name.encode()) > DB_NAME_MAX_BYTES or name[0] not in DB_NAME_FIRST or name.endswith("/"):
        return False
    rest = name[1:]
    return rest.count("/") <= 1 and all(c in DB_NAME_REST for c in rest.replace("/", ""))


def backend_db(name: str) -> str:
    """The database of the 1.x backend that holds name's data: 1.x refuses a / in a database name,
    which InfluxDB 3 takes (and % is in no name InfluxDB 3 takes, so no two names meet)."""
    return name.replace("/", "%2F")


class LineError(ValueError):
    pass


# -- line protocol ------------------------------------------------------------------------------
def _split(text: str, sep: str, quotes: bool = False) -> list[str]:
    """Splits on unescaped sep (outside double quotes when quotes)."""
    parts, current, i, quoted = [], [], 0, False
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if quotes and c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\([,= \\])", r"\1", text)


def field_type(value: str) -> str:
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise LineError(f"invalid string field value {value!r}")
        return "str"
    if re.fullmatch(r"-?\d+i", value):
        return "int"
    if re.fullmatch(r"\d+u", value):
        return "uint"
    if value in ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"):
        return "bool"
    try:
        float(value)
    except ValueError:
        raise LineError(f"invalid field value {value!r}") from None
    return "float"


def parse_line(line: str) -> tuple[str, list[str], list[tuple[str, str]], int | None]:
    """(table, tag keys, [(field, type)], time ns or None)."""
    parts = [p for p in _split(line, " ", quotes=True) if p != ""]
    if len(parts) not in (2, 3):
        raise LineError("invalid line protocol: expected measurement[,tags] fields [timestamp]")
    series = _split(parts[0], ",")
    table, tags = _unescape(series[0]), []
    for pair in series[1:]:
        key, sep, _value = pair.partition("=")
        if not sep or not key:
            raise LineError(f"invalid tag set {pair!r}")
        tags.append(_unescape(key))
    fields = []
    for pair in _split(parts[1], ",", quotes=True):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise LineError(f"invalid field set {pair!r}")
        fields.append((_unescape(key), field_type(value)))
    stamp = int(parts[2]) if len(parts) == 3 else None
    return table, tags, fields, stamp


# -- the catalog: what each column is, fixed at its first write ----------------------------------
class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        data = json.loads(path.read_text()) if path.exists() else {}
        self.columns: dict[str, dict[str, dict[str, str]]] = data.get("columns", {})
        self.files: dict[str, dict[str, list[int]]] = data.get("files", {})
        self.lock = threading.Lock()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"columns": self.columns, "files": self.files}))
        tmp.replace(self.path)

    def validate(self, db: str, body: str) -> tuple[dict, dict] | dict:
        """The catalog and files after this write, or the error of its first refused line
        (validator.rs: tags first, then fields, line by line; nothing is committed on an error)."""
        columns = json.loads(json.dumps(self.columns.get(db, {})))
        files = {t: set(w) for t, w in self.files.get(db, {}).items()}
        now = time.time_ns()
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                table, tags, fields, stamp = parse_line(line)
                table_columns = columns.setdefault(table, {})
                for tag in tags:
                    _column_or_create(table_columns, tag, TAG)
                seen = set()
                for name, kind in fields:
                    _column_or_create(table_columns, name, FIELD_TYPE[kind])
                    if name in seen:
                        raise LineError(f"invalid line protocol - multiple instances of '{name}' field found")
                    seen.add(name)
                files.setdefault(table, set()).add(((stamp if stamp is not None else now) // GEN1_NS) * GEN1_NS)
            except LineError as e:
                return {"original_line": line, "line_number": number, "error_message": str(e)}
        return columns, {t: sorted(w) for t, w in files.items()}


def _column_or_create(table_columns: dict[str, str], name: str, kind: str) -> None:
    existing = table_columns.setdefault(name, kind)
    if existing != kind:
        raise LineError(f"invalid column type for column '{name}', expected {existing}, got {kind}")


# -- time ranges of InfluxQL conditions -----------------------------------------------------------
UNITS = {"ns": 1, "u": 10**3, "µ": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9,
         "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}
TIME_CONDITION = re.compile(
    r"\btime\s*(>=|<=|>|<|=)\s*(now\(\)(?:\s*([+-])\s*(\d+)(ns|u|µ|ms|s|m|h|d|w))?|'([^']+)'|(-?\d+)(ns|u|µ|ms|s|m|h|d|w)?)",
    re.IGNORECASE)


def time_range(where: str, now_ns: int) -> tuple[int | None, int | None]:
    """The time bounds a WHERE clause sets (None: unbounded). A condition under OR bounds nothing
    for sure, so an OR with a time condition counts as unbounded."""
    lo = hi = None
    found = list(TIME_CONDITION.finditer(where))
    if not found or re.search(r"\bOR\b", where, re.IGNORECASE):
        return None, None
    for m in found:
        op = m.group(1)
        if m.group(2).lower().startswith("now()"):
            value = now_ns + (int(m.group(4)) * UNITS[m.group(5)] * (1 if m.group(3) == "+" else -1) if m.group(4) else 0)
        elif m.group(6):
            value = int(time.mktime(time.strptime(m.group(6)[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 10**9
        else:
            value = int(m.group(7)) * UNITS[m.group(8) or "ns"]
        if op in (">", ">=", "="):
            lo = value if lo is None else max(lo, value)
        if op in ("<", "<=", "="):
            hi = value if hi is None else min(hi, value)
    return lo, hi


# -- the server ------------------------------------------------------------------------------------
class Double:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.backend = args.backend.rstrip("/")
        self.catalog = Catalog(Path(args.data) / "catalog.json")
        self.backend_dbs: set[str] = set()
        self.process_id = str(uuid.uuid4())
        major, minor = (int(x) for x in args.version.split(".")[:2])
        self.form_body_only = (major, minor) < (3, 7)


def make_handler(double: Double):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:
            pass

        def send(self, status: int, body: bytes = b"", content_type: str = "", headers: dict | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def json(self, status: int, value) -> None:
            self.send(status, json.dumps(value).encode(), "application/json")

        def body(self) -> bytes:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return gzip.decompress(data) if self.headers.get("Content-Encoding") == "gzip" else data

        def authorized(self, path: str, params: dict) -> bool:
            if not double.args.token or (path == "/ping" and double.args.ping_without_token):
                return True
            token = params.get("p") if path in ("/query", "/write") else None
            if token is None:
                header = self.headers.get("Authorization")
                if header is None:
                    self.send(401)
                    return False
                parts = header.split(" ")
                if len(parts) != 2 or parts[0] not in ("Bearer", "Token", "Basic"):
                    self.send(400, b"Authorization header was malformed")
                    return False
                token = parts[1]
                if parts[0] == "Basic":
                    try:
                        user, sep, token = base64.b64decode(token, validate=True).decode().rpartition(":")
                    except ValueError:
                        sep = ""
                    if not sep or ":" in user:  # fn token_part_as_bytes: MalformedRequest
                        self.send(400, b"Authorization header was malformed")
                        return False
            if token != double.args.token:
                self.send(401)
                return False
            return True

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def route(self, method: str) -> None:
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            body = self.body() if method == "POST" else b""
            if not self.authorized(url.path, params):
                return
            if url.path == "/ping":
                self.send(200, json.dumps({"version": double.args.version, "revision": "double",
                                           "process_id": double.process_id}).encode(), "application/json",
                          {"X-Influxdb-Build": double.args.build, "X-Influxdb-Version": double.args.version})
            elif url.path == "/write" and method == "POST":
                self.write(params, body)
            elif url.path == "/query":
                self.query(params, body)
            else:
                self.send(404, b"Not found")

        def write(self, params: dict, body: bytes) -> None:
            db = params.get("db", "")
            if not valid_db_name(db):
                self.json(400, {"error": f"invalid database name {db!r}", "data": None})
                return
            try:
                text = body.decode()
            except UnicodeDecodeError:
                self.send(400, b"body content is not valid utf8")
                return
            with double.catalog.lock:
                checked = double.catalog.validate(db, text)
                if isinstance(checked, dict):
                    self.json(400, {"error": "line protocol parsing error", "data": checked})
                    return
                if db not in double.backend_dbs:
                    requests.post(double.backend + "/query", params={"q": f'CREATE DATABASE "{backend_db(db)}"'},
                                  timeout=10)
                    double.backend_dbs.add(db)
                resp = requests.post(double.backend + "/write", params={"db": backend_db(db), "precision": "ns"},
                                     data=text.encode(), timeout=30)
                if resp.status_code != 204:
                    self.send(500, resp.content)
                    return
                double.catalog.columns[db], double.catalog.files[db] = checked
                double.catalog.save()
            self.send(204)

        def query_params(self, params: dict, body: bytes) -> dict:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if double.form_body_only or content_type == "application/x-www-form-urlencoded":
                form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
                return {**params, **form}
            if content_type in ("", "application/vnd.influxql") and not params.get("q") and body:
                return {**params, "q": body.decode()}
            return params

        def query(self, params: dict, body: bytes) -> None:
            params = self.query_params(params, body)
            q = (params.get("q") or "").strip().rstrip(";")
            if not q:
                self.json(400, {"error": "expected a query to be provided in the query string or body"})
                return
            self.json(200, {"results": [{"statement_id": 0, **self.statement(q, params)}]})

        def statement(self, q: str, params: dict) -> dict:
            db = params.get("db") or ""
            word = q.split(None, 1)[0].upper()
            if re.match(r"SHOW\s+DATABASES$", q, re.IGNORECASE):
                names = sorted(double.catalog.columns)
                return {"series": [{"name": "databases", "columns": ["name"], "values": [[n] for n in names]}]} \
                    if names else {}
            if word not in ("SELECT", "SHOW"):
                return {"error": f"This feature is not implemented: {' '.join(q.split()[:2]).upper()}"}
            if not db:
                return {"error": "must specify a 'db' parameter, or provide the database in the InfluxQL query"}
            if db not in double.catalog.columns:
                return {"error": f"Database {db} not found"}
            show_tag_values = re.match(r'SHOW\s+TAG\s+VALUES\s+FROM\s+"?(\w+)"?\s+WITH\s+KEY\s*=\s*"?(\w+)"?'
                                       r'(?:\s+WHERE\s+(.*))?$', q, re.IGNORECASE | re.DOTALL)
            if show_tag_values:
                return self.tag_values(db, *show_tag_values.groups(), params)
            if word == "SHOW":
                return self.backend(q, db, params)
            table = re.search(r'\bFROM\s+"?([\w.]+)"?', q, re.IGNORECASE)
            where = re.search(r"\bWHERE\s+(.*?)(?:\s+GROUP\s+BY|\s+ORDER\s+BY|\s+LIMIT|\s+fill\(|$)", q,
                              re.IGNORECASE | re.DOTALL)
            if table:
                files = self.files(db, table.group(1), where.group(1) if where else "")
                if files > double.args.query_file_limit:
                    return {"error": "External error: " + FILE_LIMIT_MESSAGE.format(n=files)}
            return self.backend(q, db, params)

        def files(self, db: str, table: str, where: str) -> int:
            lo, hi = time_range(where, time.time_ns())
            windows = double.catalog.files.get(db, {}).get(table, [])
            return sum(1 for w in windows if (lo is None or w + GEN1_NS > lo) and (hi is None or w <= hi))

        def tag_values(self, db: str, table: str, key: str, where: str | None, params: dict) -> dict:
            """A data scan over the time range (planner.rs), the last 24 hours when none is given."""
            where = where or ""
            lo, _ = time_range(where, time.time_ns())
            if lo is None and not TIME_CONDITION.search(where):
                cutoff = f"time >= {time.time_ns() - METADATA_CUTOFF_NS}"
                where = f"({where}) AND {cutoff}" if where else cutoff
            result = self.backend(f'SELECT count(*) FROM "{table}" WHERE {where} GROUP BY "{key}"', db, params)
            values = sorted({s["tags"][key] for s in result.get("series", []) if s.get("tags", {}).get(key)})
            return {"series": [{"name": table, "columns": ["key", "value"], "values": [[key, v] for v in values]}]} \
                if values else {}

        def backend(self, q: str, db: str, params: dict) -> dict:
            backend_params = {"db": backend_db(db), "q": q}
            if params.get("epoch"):
                backend_params["epoch"] = params["epoch"]
            resp = requests.post(double.backend + "/query", params=backend_params, timeout=30)
            return resp.json()["results"][0]

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", required=True, help="the InfluxDB 1.x that stores and queries")
    parser.add_argument("--data", required=True, help="where the catalog is kept across restarts")
    parser.add_argument("--token", default="", help="the token every request needs; empty: no authorization")
    parser.add_argument("--version", default="3.10.0")
    parser.add_argument("--build", default="Core")
    parser.add_argument("--query-file-limit", type=int, default=432)
    parser.add_argument("--ping-without-token", action="store_true", help="as `--disable-authz ping`")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Double(args)))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
