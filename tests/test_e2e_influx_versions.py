"""The exporter, `locust-fleet runs`, `locust-fleet spool` and the dashboards against each kind of
InfluxDB, each started with credentials required: Debian's 1.6 and the InfluxDB 3 double in
`make test`; the current 1.x and 2.x that `make influxdb-servers` builds in `make test-influxdb`
(LOCUST_FLEET_INFLUXDB_BUILDS=1 adds them). For each: a headless run whose sums equal what the
target served, a replay after an outage, runs list/report/compare, every dashboard query, wrong and
missing credentials, a clashing run tag, a missing database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
import requests
import yaml

from harness.exported import check_exact, run_headless, sums_by_name, the_run
from harness.grafana import check_dashboard
from harness.influxd import BUILT_KINDS, KINDS, InfluxDB3Double, rows, server_of, start_server
from harness.parts import Master, Target, start_worker
from harness.procs import REPO, VENV_BIN, Procs, wait_until
from harness.recorded import record_two_runs

pytestmark = pytest.mark.e2e
SERVER_KINDS = KINDS + (BUILT_KINDS if os.environ.get("LOCUST_FLEET_INFLUXDB_BUILDS") == "1" else ())
DASHBOARDS = sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))


@pytest.fixture(params=SERVER_KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def server(kind, tmp_path):
    server = start_server(server_of(kind, tmp_path / kind))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module", params=SERVER_KINDS)
def recorded(request, go_bin, tmp_path_factory):
    """Two real runs (baseline, slower candidate) in a server of each kind."""
    workdir = tmp_path_factory.mktemp(request.param)
    server = start_server(server_of(request.param, workdir / "server"))
    group = Procs(workdir)
    try:
        try:
            runs = record_two_runs(group, go_bin, workdir, server, extra=tuple(server.credentials))
        except BaseException:
            print(group.logs())
            raise
        finally:
            group.stop_all()
        yield runs
    finally:
        server.close()


def expected_server(kind: str) -> str:
    """How the master names each kind at start (the version of a build is in the Makefile)."""
    return {"influxdb-1.6": "is InfluxDB 1.x 1.6", "influxdb-3-double": "is InfluxDB 3 Core 3.10.0",
            "influxdb-1-current": "is InfluxDB 1.x 1.", "influxdb-2-current": "is InfluxDB 2.x 2."}[kind]


def test_headless_run_exports_exactly_what_the_target_served(procs, go_bin, kind, server, tmp_path):
    target = Target(procs, go_bin["target"])
    master, _workers, report = run_headless(procs, go_bin, target, server, tmp_path, seconds=6,
                                            extra=tuple(server.credentials))
    assert master.proc.wait(90) == 1, master.proc.log()[-3000:]  # 1: the scenario's `broken` endpoint fails
    check_exact(server, target, report)
    log = master.proc.log()
    assert f"InfluxDB at {server.url} {expected_server(kind)}" in log, log[-3000:]
    assert ", refused 0, dropped 0" in log, log[-3000:]


def test_an_outage_spools_and_the_next_master_replays(procs, go_bin, kind, tmp_path):
    """The server is down when the first master runs: it spools; the next one, started once the
    server is up, replays everything exactly once."""
    target = Target(procs, go_bin["target"])
    server = server_of(kind, tmp_path / kind)
    try:
        args = ["--influxdb-url", server.url, "--influxdb-interval", "1", "--spool-dir", str(tmp_path / "spool"),
                *server.credentials]
        first = Master(procs, "--headless", "-u", "4", "-r", "4", "-t", "4s", "--expect-workers", "1",
                       "-H", target.url, *args, name="first-master")
        start_worker(procs, go_bin["worker"], first.port, "--target", target.url)
        assert first.proc.wait(60) == 0, first.proc.log()[-3000:]
        assert list((tmp_path / "spool").rglob("*.lp")), "nothing was spooled"
        start_server(server)
        second = Master(procs, *args, name="second-master")
        wait_until(lambda: not list((tmp_path / "spool").rglob("*.lp")), 30, "the second master to replay the spool")
        second.proc.signal(signal.SIGTERM)
        second.proc.wait(30)
        assert "from an earlier master; replaying them first" in second.proc.log()
        run = the_run(server)
        assert run["state"] == "stopped" and run["requests"] == sum(target.counts().values())
        assert sums_by_name(server, run["run_id"])["Aggregated"][0] == run["requests"]
        listed = cli("spool", "list", "--spool-dir", str(tmp_path / "spool"), "--json")
        assert json.loads(listed.stdout) == [], listed.stdout
    finally:
        server.close()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), *args], capture_output=True, text=True, timeout=120,
                          env={**clean, "COLUMNS": "200", **(env or {})})


def test_runs_list_report_and_compare(recorded, tmp_path):
    server = recorded.influx
    connection = ["--influxdb-url", server.url, *server.credentials]
    listed = cli("runs", "list", "--json", *connection)
    assert listed.returncode == 0, listed.stderr
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [recorded.candidate.run_id, recorded.baseline.run_id]
    report = tmp_path / "run.html"
    made = cli("runs", "report", recorded.baseline.run_id, "-o", str(report), *connection)
    assert made.returncode == 0 and recorded.baseline.run_id in report.read_text(), made.stderr
    compared = cli("runs", "compare", recorded.baseline.run_id, recorded.candidate.run_id, "--json", *connection)
    assert compared.returncode == 0, compared.stderr
    total = next(r for r in json.loads(compared.stdout)["rows"] if r["name"] == "Aggregated")
    assert total["p95"]["candidate"] > total["p95"]["baseline"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_dashboard_query_returns_data(recorded, path):
    dashboard = json.loads(path.read_text())
    start = int(recorded.baseline.record["start_time"] * 1000) - 60_000
    end = int((recorded.candidate.record["stop_time"] + 120) * 1000)
    fixed = {"run_id": recorded.baseline.run_id, "baseline": recorded.baseline.run_id,
             "candidate": recorded.candidate.run_id}
    assert check_dashboard(dashboard, recorded.influx, "locust", fixed, (start, end)) == []


def credential_problems(kind: str) -> list[tuple[list[str], str]]:
    """(credentials given, what the message says) for missing and wrong credentials."""
    if kind.startswith("influxdb-1"):
        return [([], "requires a user: set --influxdb-username/--influxdb-password"),
                (["--influxdb-username", "admin", "--influxdb-password", "wrong-secret"],
                 "refused the credentials (HTTP 401); check --influxdb-username/--influxdb-password")]
    missing = "needs a token: set --influxdb-token" if kind.startswith("influxdb-2") else \
        "refused the credentials (HTTP 401); the server requires credentials: set --influxdb-token"
    return [([], missing), (["--influxdb-token", "wrong-secret"], "(HTTP 401); check --influxdb-token")]


def test_wrong_or_missing_credentials_exit_2_naming_the_option(procs, kind, server, tmp_path):
    for given, message in credential_problems(kind):
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--influxdb-url", server.url,
                        "--spool-dir", str(tmp_path / "spool"), *given)
        assert master.proc.wait(30) == 2, master.proc.log()[-2000:]
        log = master.proc.log()
        assert message in log and "wrong-secret" not in log, log[-2000:]
        listed = cli("runs", "list", "--influxdb-url", server.url, *given)
        assert listed.returncode == 2 and message in " ".join(listed.stderr.split()), listed.stderr
    assert not (tmp_path / "spool").exists()


def test_a_run_tag_that_clashes_with_a_field_exits_2_naming_it(procs, server):
    master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--influxdb-url", server.url, *server.credentials,
                    "--run-tag", "users=ten", "--run-tag", "build=7")
    assert master.proc.wait(30) == 2
    assert ("--run-tag: 'users' is a field of locust_runs, and InfluxDB 3 refuses a tag of the same name (the run "
            "record would not be stored); choose another key than") in master.proc.log()


def missing_database_message(kind: str, url: str) -> str:
    if kind.startswith("influxdb-2"):
        return (f"--influxdb-database: InfluxDB 2.x 2.8.0 at {url} has no bucket for database 'elsewhere'; create a "
                "bucket named elsewhere (`influx bucket create --name elsewhere`: a bucket maps itself to the "
                "database of its name), or map one: `influx v1 dbrp create --db elsewhere --rp autogen "
                "--bucket-id BUCKET_ID --default`")
    return "--influxdb-database: database 'elsewhere' does not exist and could not be created"


def test_a_missing_database_says_how_to_create_it(procs, go_bin, kind, server, tmp_path):
    """1.x creates it when the user may (and says how when it may not), 2.x never creates a bucket
    and says how, 3 creates it at the first write."""
    args = ["--influxdb-url", server.url, "--influxdb-database", "elsewhere", "--spool-dir", str(tmp_path / "spool")]
    if kind.startswith("influxdb-1"):
        server.query("CREATE USER writer WITH PASSWORD 'pw'", db="")
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", *args, "--influxdb-username", "writer",
                        "--influxdb-password", "pw")
        assert master.proc.wait(30) == 2
        assert missing_database_message(kind, server.url) in master.proc.log(), master.proc.log()[-2000:]
        assert "CREATE DATABASE" in master.proc.log()
    elif kind.startswith("influxdb-2"):
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", *args, *server.credentials)
        assert master.proc.wait(30) == 2
        assert missing_database_message(kind, server.url) in master.proc.log(), master.proc.log()[-2000:]
    else:
        target = Target(procs, go_bin["target"])
        master = Master(procs, "--headless", "-u", "2", "-r", "2", "-t", "3s", "--expect-workers", "1",
                        "-H", target.url, *args, *server.credentials)
        start_worker(procs, go_bin["worker"], master.port, "--target", target.url)
        assert master.proc.wait(60) == 0, master.proc.log()[-2000:]
        assert "Database 'elsewhere' does not exist yet on InfluxDB 3 Core 3.10.0; the first write creates it" \
            in master.proc.log()
        stored = rows(server.query("SELECT sum(requests) FROM locust_requests WHERE \"name\" = 'Aggregated' "
                                   "AND time > now() - 1h", db="elsewhere"))
        assert stored[0]["sum"] == sum(target.counts().values())


@pytest.mark.parametrize("named", [False, True], ids=["server from /ping", "--influxdb-server 3"])
def test_a_database_name_influxdb3_refuses_exits_2_naming_the_rule(procs, named, tmp_path):
    """InfluxDB 3 refuses every write to a database named "my db/x" (influxdb3_server/src/http.rs,
    fn validate_db_name); the master took it, ran its test, and every point waited in the spool. Now
    it exits 2 at start naming --influxdb-database and the rule: after /ping says InfluxDB 3, or
    before anything connects when --influxdb-server says it."""
    server = start_server(server_of("influxdb-3-double", tmp_path / "double"))
    try:
        url = server.url if not named else "http://127.0.0.1:9"
        extra = ["--influxdb-server", "3"] if named else []
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--influxdb-url", url, *server.credentials,
                        "--influxdb-database", "my db/x", *extra, "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2, master.proc.log()[-2000:]
        assert ("--influxdb-database: got 'my db/x', which InfluxDB 3 refuses as a database name (every write would "
                "fail); expected at most 64 ASCII letters, digits, _ and -, starting with a letter or digit, with at "
                "most one / between two such parts (DATABASE/RETENTION_POLICY)") in master.proc.log()
        assert not [p for p in (tmp_path / "spool").rglob("*") if p.is_file()], "nothing was spooled"
    finally:
        server.close()


@pytest.mark.parametrize("named", [False, True], ids=["server from /ping", "--influxdb-server 1"])
def test_a_database_name_influxdb1_refuses_exits_2_naming_the_rule(procs, named, tmp_path):
    """An InfluxDB 3 name with its retention policy (DATABASE/RETENTION_POLICY) given to 1.x, which
    refuses '/' in a name: the master said the database "could not be created (invalid name); create
    it as an admin", to an admin, who could not either. Now it names 1.x's rule, as for 3."""
    server = start_server(server_of("influxdb-1.6", tmp_path / "influxdb"))
    try:
        extra = ["--influxdb-server", "1"] if named else []
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--influxdb-url", server.url, *server.credentials,
                        "--influxdb-database", "locust/autogen", *extra, "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2, master.proc.log()[-2000:]
        assert ("--influxdb-database: got 'locust/autogen', which InfluxDB 1.x refuses as a database name (every write "
                "would fail); expected printable characters without / or \\, other than . and .. (1.x has no "
                "DATABASE/RETENTION_POLICY names: the master writes to the database's default retention policy)"
                ) in master.proc.log(), master.proc.log()[-2000:]
        assert "create it as an admin" not in master.proc.log()
    finally:
        server.close()


def test_a_1x_database_without_its_default_retention_policy_exits_2_saying_how_to_make_it(procs, tmp_path):
    """A database whose default retention policy was dropped: 1.x answers every write with HTTP 500
    "retention policy not found: autogen". The master took it for a server error, said "the test runs
    anyway and points are spooled until it answers", and every point of the run went to the spool,
    waiting for an answer no retry brings. Now the start says what is missing and how to make it."""
    server = start_server(server_of("influxdb-1.6", tmp_path / "influxdb"))
    try:
        server.query('CREATE DATABASE "norp"', db="")
        server.query('DROP RETENTION POLICY "autogen" ON "norp"', db="")
        master = Master(procs, "--headless", "-u", "1", "-t", "3s", "--influxdb-url", server.url, *server.credentials,
                        "--influxdb-database", "norp", "--spool-dir", str(tmp_path / "spool"))
        assert master.proc.wait(30) == 2, master.proc.log()[-2000:]
        assert (f"--influxdb-database: database 'norp' at {server.url} has no retention policy 'autogen' (HTTP 500: "
                "retention policy not found: autogen); as an admin, make one its default: CREATE RETENTION POLICY "
                '"autogen" ON "norp" DURATION INF REPLICATION 1 DEFAULT (or ALTER RETENTION POLICY ... DEFAULT for one '
                "it has)") in master.proc.log(), master.proc.log()[-2000:]
        assert not [p for p in (tmp_path / "spool").rglob("*.lp")], "nothing was spooled"
    finally:
        server.close()


def long_run(run_id: str, started_s: int, days: int, ms: int) -> str:
    """Line protocol of a run of `days` days with one interval every 30 minutes, as the master
    writes them (docs/data-model.md): 10 requests per interval at `ms` each, and its run record."""
    intervals = days * 48
    lines = [f'locust_runs,run_id={run_id} state="stopped",users=5i,peak_users=5i,start_time={float(started_s)},'
             f'stop_time={float(started_s + days * 86400)},duration_s={days * 86400.0},active_s={days * 86400.0},'
             f'requests={intervals * 10}i,failures=0i,rps={intervals * 10 / (days * 86400)} {started_s * 10**9}']
    for i in range(1, intervals + 1):
        at = (started_s + i * 1800) * 10**9
        for tags in (f"method=GET,name=home,run_id={run_id}", f"name=Aggregated,run_id={run_id}"):
            lines.append(f'locust_requests,{tags} requests=10i,failures=0i,avg_ms={float(ms)},min_ms={float(ms)},'
                         f'max_ms={float(ms)},histogram="{ms}:10",elapsed_s={i * 1800.0} {at}')
    return "\n".join(lines) + "\n"


def test_runs_compare_of_multi_day_runs_stays_within_influxdb3_core_file_limit(tmp_path):
    """Core refuses a query over more Parquet files than its limit (the double: 60 here, 432 by
    default); two 4-day runs (192 files of locust_requests each) are read a day at a time."""
    now = int(time.time())
    baseline_start, candidate_start = now - 10 * 86400, now - 5 * 86400
    ids = [time.strftime("%Y%m%d-%H%M%S", time.gmtime(t)) + "-abcd" for t in (baseline_start, candidate_start)]
    with InfluxDB3Double(tmp_path / "double", query_file_limit=60) as double:
        for run_id, start, ms in ((ids[0], baseline_start, 10), (ids[1], candidate_start, 12)):
            resp = requests.post(double.url + "/write", params={"db": "locust"}, headers=double.headers,
                                 data=long_run(run_id, start, 4, ms).encode(), timeout=30)
            assert resp.status_code == 204, resp.text
        whole = requests.get(double.url + "/query", headers=double.headers, timeout=30, params={
            "db": "locust", "q": f"SELECT * FROM locust_requests WHERE run_id = '{ids[0]}'"}).json()
        assert "exceeding the file limit" in whole["results"][0]["error"]  # the limit bites an unbounded read
        connection = ["--influxdb-url", double.url, *double.credentials]
        compared = cli("runs", "compare", *ids, "--json", *connection)
        assert compared.returncode == 0, compared.stderr
        total = next(r for r in json.loads(compared.stdout)["rows"] if r["name"] == "Aggregated")
        assert (total["p95"]["baseline"], total["p95"]["candidate"]) == (10, 12)
        listed = cli("runs", "list", "--json", "--since", "30d", *connection)
        assert [r["run_id"] for r in json.loads(listed.stdout)] == ids[::-1], listed.stderr
        assert cli("runs", "list", "--json", "--since", "2d", *connection).stdout.strip() == "[]"


def test_the_provisioned_grafana_datasource_reaches_each_kind(recorded):
    """The header the provisioning makes Grafana send, INFLUXDB_TOKEN substituted as Grafana does:
    the token on 2.x and 3; empty on 1.x, where Grafana's basic auth carries a 1.x user."""
    provisioning = REPO / "deploy" / "grafana" / "provisioning" / "datasources" / "influxdb.yaml"
    datasource = yaml.safe_load(provisioning.read_text())["datasources"][0]
    server = recorded.influx
    token = getattr(server, "token", "")
    header = {datasource["jsonData"]["httpHeaderName1"]:
              datasource["secureJsonData"]["httpHeaderValue1"].replace("${INFLUXDB_TOKEN}", token)}
    resp = requests.post(server.url + "/query", headers=header, auth=getattr(server, "auth", None), timeout=10,
                         data={"db": "locust", "q": 'SELECT count("requests") FROM "locust_requests" '
                                                    "WHERE time > now() - 1h"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["results"][0]["series"][0]["values"][0][1] > 0, resp.text


@pytest.mark.parametrize("kind, asked, expected, level", [
    ("influxdb-3-double", "3", "is InfluxDB 3 Core 3.10.0 (--influxdb-server 3)", "INFO"),
    ("influxdb-3-double", "1", "is InfluxDB 3 Core 3.10.0, used as InfluxDB 1.x (--influxdb-server 1; auto goes by "
                               "what /ping says)", "WARNING"),
    ("influxdb-1.6", "1", "is InfluxDB 1.x 1.6", "INFO"),
    ("influxdb-1.6", "3", "is InfluxDB 1.x 1.6", "WARNING"),
])
def test_the_start_up_line_names_what_answered_and_what_was_asked(procs, kind, asked, expected, level, tmp_path):
    """--influxdb-server named a kind and the start-up line gave it the answering server's build and version
    ("InfluxDB 1.x Core 3.10.0"): it names what /ping said, and what --influxdb-server asked for beside it."""
    server = start_server(server_of(kind, tmp_path / kind))
    try:
        master = Master(procs, "--influxdb-url", server.url, "--influxdb-server", asked, *server.credentials)
        wait_until(lambda: f"InfluxDB at {server.url} is" in master.proc.log(), 30, "the master's InfluxDB line")
        [line] = [line for line in master.proc.log().splitlines() if f"InfluxDB at {server.url} is" in line]
        assert f"InfluxDB at {server.url} {expected}" in line and f"/{level}/" in line, line
        if asked == "3" and kind == "influxdb-1.6":
            assert ", used as InfluxDB 3 (--influxdb-server 3; " in line, line
        assert "1.x Core" not in line and "3 OSS" not in line, line
        master.proc.signal(signal.SIGTERM)
        master.proc.wait(30)
    finally:
        server.close()
