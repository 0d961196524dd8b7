"""End to end: how the Go worker builds and sends a scenario's requests, as a real server receives
them. One real master, one Go worker and the counting target, whose /_echo/ endpoint keeps what
it received; one scenario covers every case (escaping, default headers, bodies, auth, several
hosts, cookies, the recorded size) and each test reads its part.

Python's requests is the oracle of escaping: text written in a path is sent as
requests.Request(url).prepare() sends it, a value in a path segment as urllib.parse.quote(v,
safe=""), a value in a query as params= sends it. Locust's count of every step must equal what
the target served, with no failure."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

import pytest
import requests

from harness.parts import Master, Target
from harness.procs import Procs, get_json

pytestmark = pytest.mark.e2e

# Values that must reach the server escaped exactly once, in a path segment and in a query: each
# user takes one (data mode cycle, as many users as values).
VALUES = ["plain", "a b", "a+b", "a&b=c", "#frag", "what?", "100%", "%41%2F already escaped", "é中",
          "a/b", "a;b:c@d,e=f", "~-._", '"quoted" <x>', "{braces}|^`", "tab\there", "", "x%zz"]
USERS = len(VALUES)
SECONDS = 5
ACCOUNTS = [("alice", "pä:ss wörd"), ("bob", "p@ss/word+="), ("carol", "")]
TENANT = "tenant one/α"
LITERAL = "/_echo/literal/a b/é/%41%2f/x|y;z=1,2/~?q=a b&c=%2F&d=é&e=<>&f=a+b#fragment"
UPLOAD = bytes(range(256)) + b"\r\n--not-a-boundary\r\n"
URL_PASSWORD = "Url-Pa55-secret"

SCENARIO = """
host: http://unused.invalid        # --target overrides it
hosts:
  other: "http://localhost:{port}"
  from_env: "{{{{ env.E2E_OTHER_HOST }}}}"
x-defaults: &defaults
  X-Fleet: "{{{{ env.E2E_TENANT }}}}"
  Authorization: "Bearer {{{{ token }}}}"
headers: *defaults
data:
  values: {{jsonl: values.jsonl}}
  accounts: {{csv: accounts.csv}}
wait: {{constant: 50ms}}
on_start:
  - name: login
    method: POST
    path: /_echo/login
    json: {{token: "tok-{{{{ user_id }}}}", n: 42, ok: true}}
    extract: {{token: {{json: $.json.token}}, n: {{json: $.json.n}}, ok: {{json: $.json.ok}}}}
tasks:
  - name: escaping
    steps:
      - {{name: literal, path: {literal}}}
      - {{name: data, path: "/_echo/data/{{{{ values.v }}}}/x?q={{{{ values.v }}}}&{{{{ values.v }}}}=k", query: {{p: "{{{{ values.v }}}}"}}}}
      - {{name: seed, method: POST, path: /_echo/seed, json: {{v: "{{{{ values.v }}}}"}}, extract: {{v: {{json: $.json.v}}}}}}
      - {{name: extracted, path: "/_echo/extracted/{{{{ v }}}}?q={{{{ v }}}}"}}
      - {{name: builtins, path: "/_echo/builtins/{{{{ now_iso }}}}/{{{{ random_string(8) }}}}?t={{{{ now_iso }}}}&u={{{{ uuid }}}}"}}
  - name: headers
    headers: {{<<: *defaults, X-Task: task, x-fleet: "task-{{{{ env.E2E_TENANT }}}}"}}
    steps:
      - {{name: inherited, path: /_echo/inherited}}
      - {{name: overridden, path: /_echo/overridden, headers: {{x-task: step, AUTHORIZATION: "Token {{{{ token }}}}"}}}}
      - {{name: removed, path: /_echo/removed, headers: {{X-Task: null, Authorization: null, Accept-Encoding: null}}}}
      - {{name: vhost, path: /_echo/vhost, headers: {{Host: vhost.example}}}}
  - name: bodies
    steps:
      - {{name: form, method: POST, path: /_echo/form, form: {{user: "{{{{ accounts.user }}}}", tag: [a b, "c&d=é"]}}}}
      - name: multipart
        method: POST
        path: /_echo/multipart
        multipart:
          title: "{{{{ values.v }}}}"
          doc: {{file: upload.bin, content_type: application/pdf, filename: report.pdf}}
          raw: {{file: upload.bin}}
      - {{name: body_file, method: PUT, path: /_echo/body_file, body_file: upload.bin}}
      - {{name: raw body, method: POST, path: /_echo/raw, body: "plain {{{{ user_id }}}}"}}
      - {{name: typed, method: POST, path: /_echo/typed, json: {{n: "{{{{ n | number }}}}", ok: "{{{{ ok | bool }}}}", s: "{{{{ n }}}}"}}}}
  - name: auth
    steps:
      - {{name: basic, path: /_echo/basic, auth: {{basic: {{user: "{{{{ accounts.user }}}}", password: "{{{{ accounts.password }}}}"}}}}}}
  - name: hosts
    steps:
      - {{name: set plain, path: /_echo/set_plain, headers: {{X-Echo-Set-Cookie: "plain=1; Path=/"}}}}
      - {{name: set secure, path: /_echo/set_secure, headers: {{X-Echo-Set-Cookie: "sec=1; Path=/; Secure"}}}}
      - {{name: same host, path: /_echo/same_host}}
      - {{name: other host, host: other, path: /_echo/other_host}}
      - {{name: absolute, path: "http://localhost:{port}/_echo/absolute?x=a b"}}
      - {{name: env host, host: from_env, path: /_echo/env_host}}
      - {{name: expire, path: /_echo/expire, headers: {{X-Echo-Set-Cookie: "plain=; Path=/; Max-Age=0"}}}}
      - {{name: expired, path: /_echo/expired}}
  - {{name: gzip, path: /encoded/gzip}}
"""

# Locust's (method, name) of each step -> the target's count key
ROUTES = {("POST", "login"): "POST /_echo/login", ("GET", "literal"): "GET /_echo/literal",
          ("GET", "data"): "GET /_echo/data", ("POST", "seed"): "POST /_echo/seed",
          ("GET", "extracted"): "GET /_echo/extracted", ("GET", "builtins"): "GET /_echo/builtins",
          ("GET", "inherited"): "GET /_echo/inherited", ("GET", "overridden"): "GET /_echo/overridden",
          ("GET", "removed"): "GET /_echo/removed", ("GET", "vhost"): "GET /_echo/vhost",
          ("POST", "form"): "POST /_echo/form", ("POST", "multipart"): "POST /_echo/multipart",
          ("PUT", "body_file"): "PUT /_echo/body_file", ("POST", "raw body"): "POST /_echo/raw",
          ("POST", "typed"): "POST /_echo/typed", ("GET", "basic"): "GET /_echo/basic",
          ("GET", "set plain"): "GET /_echo/set_plain", ("GET", "set secure"): "GET /_echo/set_secure",
          ("GET", "same host"): "GET /_echo/same_host", ("GET", "other host"): "GET /_echo/other_host",
          ("GET", "absolute"): "GET /_echo/absolute", ("GET", "env host"): "GET /_echo/env_host",
          ("GET", "expire"): "GET /_echo/expire", ("GET", "expired"): "GET /_echo/expired",
          ("GET", "gzip"): "GET /encoded/gzip"}


@dataclass
class Run:
    entries: dict[tuple[str, str], dict]
    served: dict[str, int]
    echoes: dict[str, list[dict]]
    target: str  # http://127.0.0.1:PORT
    worker_log: str
    plain_size: int  # /encoded/gzip's body once decoded


def sent_path(url: str, **kwargs) -> str:
    """The request target Python's requests sends for url (and params=)."""
    return requests.Request("GET", url, **kwargs).prepare().path_url


def headers_of(echo: dict) -> dict[str, list[str]]:
    """Header values by lower-case name, as received."""
    out: dict[str, list[str]] = {}
    for name, value in echo["headers"]:
        out.setdefault(name.lower(), []).append(value)
    return out


@pytest.fixture(scope="module")
def run(go_bin, tmp_path_factory) -> Run:
    work = tmp_path_factory.mktemp("scenario-requests")
    procs = Procs(work)
    try:
        target = Target(procs, go_bin["target"])
        port = target.url.rsplit(":", 1)[1]
        (work / "values.jsonl").write_text("".join(json.dumps({"v": v}) + "\n" for v in VALUES))
        (work / "accounts.csv").write_text("user,password\n" + "".join(f'{u},"{p}"\n' for u, p in ACCOUNTS))
        (work / "upload.bin").write_bytes(UPLOAD)
        scenario = work / "scenario.yaml"
        scenario.write_text(SCENARIO.format(port=port, literal=json.dumps(LITERAL)))
        with urllib.request.urlopen(target.url + "/encoded/gzip", timeout=5) as resp:  # no Accept-Encoding: plain
            plain_size = len(resp.read())
        target.reset()

        report = work / "stats"
        master = Master(procs, "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s",
                        "--expect-workers", "1", "--json-file", str(report), "-H", target.url)
        credentialed = target.url.replace("http://", f"http://fleet:{URL_PASSWORD}@")
        worker = procs.start("worker", [str(go_bin["worker"]), "--master-host", "127.0.0.1", "--master-port",
                                        str(master.port), "--scenario", str(scenario), "--target", credentialed],
                             env={"E2E_TENANT": TENANT, "E2E_OTHER_HOST": f"http://localhost:{port}"})
        assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
        assert worker.wait(15) == 0, worker.log()[-3000:]
        entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
        yield Run(entries, target.counts(), get_json(target.url + "/_echoes"), target.url, worker.log(), plain_size)
    finally:
        procs.stop_all()


def test_every_step_is_counted_as_the_target_served_it(run):
    assert set(run.entries) == set(ROUTES), sorted(set(run.entries) ^ set(ROUTES))
    failures = {key: e["num_failures"] for key, e in run.entries.items() if e["num_failures"]}
    assert failures == {}, failures
    for key, route in ROUTES.items():
        assert run.entries[key]["num_requests"] == run.served[route] > 0, (key, run.entries[key]["num_requests"], run.served)
    assert sum(run.served.values()) == sum(e["num_requests"] for e in run.entries.values()), run.served


def test_a_path_written_out_is_sent_as_requests_sends_it(run):
    uris = {e["uri"] for e in run.echoes["literal"]}
    assert uris == {sent_path(run.target + LITERAL)}, uris


def test_values_from_data_extraction_and_built_ins_are_escaped_once(run):
    def data_path(v: str) -> str:
        return sent_path(f"{run.target}/_echo/data/{quote(v, safe='')}/x", params=[("q", v), (v, "k"), ("p", v)])

    def extracted_path(v: str) -> str:
        return sent_path(f"{run.target}/_echo/extracted/{quote(v, safe='')}", params={"q": v})

    assert {e["uri"] for e in run.echoes["data"]} == {data_path(v) for v in VALUES}
    assert {e["uri"] for e in run.echoes["extracted"]} == {extracted_path(v) for v in VALUES}

    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    for echo in run.echoes["builtins"]:
        url = urlsplit(echo["uri"])
        _, _, _, now, rnd = url.path.split("/")
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        assert iso.match(unquote(now)) and now == quote(unquote(now), safe=""), echo["uri"]
        assert re.fullmatch(r"[A-Za-z0-9]{8}", rnd), echo["uri"]
        raw_t = url.query.split("&")[0].removeprefix("t=")
        assert iso.match(query["t"]) and raw_t == quote_plus(unquote_plus(raw_t)), echo["uri"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", query["u"]), echo["uri"]


def test_default_headers_are_overridden_by_name_and_removed_by_null(run):
    password = base64.b64encode(f"fleet:{URL_PASSWORD}".encode()).decode()
    tokens = {f"tok-{n}" for n in range(USERS)}
    cases = {  # name: {header: value, or None for absent}
        # the login cannot send the token it extracts: the URL's user information gives Basic auth
        "login": {"x-fleet": TENANT, "authorization": "Basic " + password, "x-task": None},
        "inherited": {"x-fleet": f"task-{TENANT}", "authorization": "Bearer TOKEN", "x-task": "task"},
        "overridden": {"x-fleet": f"task-{TENANT}", "authorization": "Token TOKEN", "x-task": "step"},
        # Authorization: null leaves the URL's user information to give Basic auth, as requests does
        "removed": {"x-fleet": f"task-{TENANT}", "authorization": "Basic " + password, "x-task": None,
                    "accept-encoding": None},
        "vhost": {"host": "vhost.example"},
    }
    for name, want in cases.items():
        assert run.echoes[name], name
        for echo in run.echoes[name]:
            got = headers_of(echo)
            for header, value in want.items():
                if value is None:
                    assert header not in got, (name, header, got)
                    continue
                assert len(got.get(header, [])) == 1, (name, header, got)
                if "TOKEN" in value:
                    prefix = value.split("TOKEN")[0]
                    assert got[header][0].startswith(prefix) and got[header][0][len(prefix):] in tokens, (name, got)
                else:
                    assert got[header][0] == value, (name, header, got)


def test_bodies_form_multipart_file_and_typed_json(run):
    users = {u for u, _ in ACCOUNTS}
    for echo in run.echoes["form"]:
        user = echo["form"]["user"][0]
        assert user in users and echo["form"] == {"user": [user], "tag": ["a b", "c&d=é"]}, echo["form"]
        want = requests.Request("POST", run.target, data=[("user", user), ("tag", "a b"), ("tag", "c&d=é")]).prepare()
        assert echo["body"] == want.body and headers_of(echo)["content-type"] == [want.headers["Content-Type"]]

    upload_sha = hashlib.sha256(UPLOAD).hexdigest()
    titles = set()
    for echo in run.echoes["multipart"]:
        assert headers_of(echo)["content-type"][0].startswith("multipart/form-data; boundary="), echo["headers"]
        titles.update(echo["form"]["title"])
        assert echo["files"] == {
            "doc": [{"filename": "report.pdf", "content_type": "application/pdf", "size": len(UPLOAD), "sha256": upload_sha}],
            "raw": [{"filename": "upload.bin", "content_type": "application/octet-stream", "size": len(UPLOAD), "sha256": upload_sha}],
        }, echo["files"]
    assert titles == set(VALUES), titles

    for echo in run.echoes["body_file"]:
        assert echo["body_sha256"] == upload_sha and "content-type" not in headers_of(echo), echo["headers"]
    for echo in run.echoes["raw"]:  # body: without a Content-Type gets none, as requests sends it
        assert re.fullmatch(r"plain \d+", echo["body"]) and "content-type" not in headers_of(echo), echo
    for echo in run.echoes["typed"]:
        value = echo["json"]
        assert value == {"n": 42, "ok": True, "s": "42"} and type(value["n"]) is int and value["ok"] is True, value


def test_basic_auth_from_a_data_file(run):
    wanted = {"Basic " + base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in ACCOUNTS}
    assert {headers_of(e)["authorization"][0] for e in run.echoes["basic"]} == wanted


def test_hosts_cookies_and_schemes(run):
    port = run.target.rsplit(":", 1)[1]
    localhost = f"localhost:{port}"
    for name, host, cookie in [("same host", f"127.0.0.1:{port}", "plain=1"), ("other host", localhost, None),
                               ("absolute", localhost, None), ("env host", localhost, None), ("expired", f"127.0.0.1:{port}", None)]:
        case = name.replace(" ", "_")
        assert run.echoes[case], name
        for echo in run.echoes[case]:
            got = headers_of(echo)
            assert got["host"] == [host], (name, got)
            # host-only cookies stay with their host, Secure ones are not sent over http, Max-Age=0 deletes
            assert got.get("cookie") == ([cookie] if cookie else None), (name, got)
    assert {e["uri"] for e in run.echoes["absolute"]} == {"/_echo/absolute?x=a%20b"}


def test_the_recorded_size_is_the_decoded_body_as_locust_records_it(run):
    gzip = run.entries[("GET", "gzip")]
    assert gzip["total_content_length"] == gzip["num_requests"] * run.plain_size > 0, gzip


def test_the_url_password_is_never_shown(run):
    assert URL_PASSWORD not in run.worker_log, run.worker_log[-2000:]
    assert "fleet:xxxxx@127.0.0.1" in run.worker_log, run.worker_log[-2000:]
    for (method, name), entry in run.entries.items():
        assert URL_PASSWORD not in name


BAD = """host: http://127.0.0.1:1
hosts: {api: "{{ env.E2E_UNSET_HOST }}"}
headers: {"Bad Name": x}
tasks:
  - name: t
    host: apy
    steps:
      - {path: /, form: {a: 1}, json: {b: 2}}
      - {path: /, multipart: {f: {file: missing.bin}}}
      - {path: /, auth: {basic: {user: u}}}
"""


def test_mistakes_in_the_new_keys_stop_the_worker_all_at_once(go_bin, tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(BAD)
    result = subprocess.run([str(go_bin["worker"]), "--master-host", "127.0.0.1", "--master-port", "1",
                             "--scenario", str(scenario)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    lines = [line.removeprefix("worker: ") for line in result.stderr.strip().splitlines()]
    assert lines == [f"{scenario}: {line}" for line in [
        "line 2: hosts.api: {{ env.E2E_UNSET_HOST }}: the environment variable E2E_UNSET_HOST is not set; expected it set in the worker's environment",
        "line 3: headers.Bad Name: not a header name; expected letters, digits and !#$%&'*+.^_`|~-",
        'line 6: tasks[0].host: "apy" is not a named host; expected a name from hosts: (one of api)',
        "line 8: tasks[0].steps[0].form: given with json; expected one body: body (text), json, form, multipart or body_file",
        'line 9: tasks[0].steps[1].multipart.f.file: cannot read "missing.bin": no such file or directory; expected a readable file, relative to the scenario\'s folder',
        "line 10: tasks[0].steps[2].auth.basic: missing user or password; expected {user: USER, password: PASSWORD}",
    ]], result.stderr
