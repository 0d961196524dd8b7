"""The writer and its spool against a real influxd: order kept, nothing lost, nothing doubled,
replay by a later writer, and errors that name the option."""

import gzip
import json
import os
import subprocess

import pytest

from locust_fleet.influx_client import AuthError, DatabaseNotFound, InfluxClient, RetryableError, ServerInfo
from locust_fleet.lineproto import Point
from locust_fleet import spool
from locust_fleet.spool import Destination, Spool
from locust_fleet.writer import Writer
from harness.influxd import BUILT_KINDS, KINDS, InfluxServer, rows, server_of, start_server
from harness.procs import VENV_BIN


SERVER_KINDS = KINDS + (BUILT_KINDS if os.environ.get("LOCUST_FLEET_INFLUXDB_BUILDS") == "1" else ())


def points(start: int, n: int) -> list[Point]:
    return [Point("t", {"k": "a"}, {"seq": i}, 1_000_000_000 + i) for i in range(start, start + n)]


def stored_seqs(server, db: str = "w") -> list[int]:
    return [r["seq"] for r in rows(server.query("SELECT seq FROM t", db=db))]


@pytest.fixture
def server(tmp_path):
    with InfluxServer(tmp_path / "influxdb") as s:
        InfluxClient(s.url, "w").ensure_database()
        yield s


def test_spool_keeps_order_across_instances_and_ignores_partial_files(tmp_path):
    spool = Spool(tmp_path / "spool")
    first, second = spool.append(b"a\n"), spool.append(b"b\n")
    (tmp_path / "spool" / "0000000000000099.tmp").write_bytes(b"half")
    again = Spool(tmp_path / "spool")
    assert again.pending() == [first, second]
    assert not list((tmp_path / "spool").glob("*.tmp"))
    assert again.read(again.append(b"c\n")) == b"c\n" and again.pending()[-1] > second


def test_spool_drops_oldest_batches_beyond_its_bound_and_counts_them(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=10)
    for body in (b"1\n2\n", b"3\n4\n", b"5\n6\n7\n"):
        spool.append(body)
    assert [spool.read(i) for i in spool.pending()] == [b"3\n4\n", b"5\n6\n7\n"]
    assert spool.dropped_points == 2


@pytest.mark.e2e  # a real influxd
def test_writer_outage_spools_then_replays_in_order_exactly_once(server, tmp_path):
    writer = Writer(InfluxClient(server.url, "w", timeout=2), Spool(tmp_path / "spool"), batch_size=40)
    writer.submit(points(0, 100))
    writer.flush()
    server.stop()
    writer.submit(points(100, 100))
    writer.flush()
    writer.submit(points(200, 100))
    writer.flush()
    assert writer.counters["spooled"] == 200 and writer.down_since is not None
    server.start()
    writer.submit(points(300, 100))
    writer.flush()
    assert stored_seqs(server) == list(range(400))
    c = writer.counters
    # retried: only the first batch of the outage was tried; later ones went straight to the spool
    assert (c["queued"], c["written"], c["replayed"], c["retried"], c["dropped"]) == (400, 400, 200, 40, 0)
    assert not writer.spool.pending()


@pytest.mark.e2e  # a real influxd
def test_a_new_writer_replays_what_an_earlier_one_spooled(server, tmp_path):
    server.stop()
    old = Writer(InfluxClient(server.url, "w", timeout=2), Spool(tmp_path / "spool"))
    old.submit(points(0, 50))
    old.flush()
    server.start()
    new = Writer(InfluxClient(server.url, "w"), Spool(tmp_path / "spool"))
    new.flush()
    assert stored_seqs(server) == list(range(50)) and new.counters["replayed"] == 50


@pytest.mark.e2e  # a real influxd
def test_writer_memory_is_bounded_by_spilling_to_the_spool(server, tmp_path):
    writer = Writer(InfluxClient(server.url, "w"), Spool(tmp_path / "spool"), max_buffered=30)
    writer.submit(points(0, 100))
    assert len(writer.buffer) == 30 and writer.counters["spooled"] == 70
    writer.flush()
    assert stored_seqs(server) == list(range(100))


@pytest.mark.e2e  # a real influxd
def test_writer_drops_invalid_points_and_counts_them(server, tmp_path):
    writer = Writer(InfluxClient(server.url, "w"), Spool(tmp_path / "spool"))
    writer.submit([Point("t", {}, {"seq": float("nan")}, 1), *points(0, 3)])
    writer.flush()
    assert stored_seqs(server) == [0, 1, 2] and writer.counters["dropped"] == 1


@pytest.mark.e2e  # a real influxd
def test_client_writes_gzip(server):
    client = InfluxClient(server.url, "w")
    sent = []
    client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
    client.write(b"t seq=1i 1\n")
    assert sent[0].headers["Content-Encoding"] == "gzip" and gzip.decompress(sent[0].body) == b"t seq=1i 1\n"


@pytest.mark.e2e  # a real influxd
def test_client_errors_name_the_option_and_hide_the_secret(tmp_path):
    with InfluxServer(tmp_path / "auth", auth=True) as s:
        import requests
        requests.post(s.url + "/query", data={"q": "CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES"},
                      timeout=10).raise_for_status()
        with pytest.raises(AuthError) as err:
            InfluxClient(s.url, "w", username="admin", password="hunter2").write(b"t seq=1i 1\n")
        assert str(err.value) == (f"InfluxDB at {s.url} refused the credentials (HTTP 401); "
                                  "check --influxdb-username/--influxdb-password")
        assert "hunter2" not in repr(InfluxClient(s.url, "w", username="admin", password="hunter2"))
        with pytest.raises(DatabaseNotFound) as err:
            InfluxClient(s.url, "missing", username="admin", password="pw").write(b"t seq=1i 1\n")
        assert str(err.value) == (f"--influxdb-database: database 'missing' not found at {s.url}; create it "
                                  "(`CREATE DATABASE \"missing\"` in the influx shell) or use credentials allowed to "
                                  "create it")
    with pytest.raises(RetryableError) as err:
        InfluxClient(s.url, "w", timeout=1).write(b"t seq=1i 1\n")
    assert str(err.value) == f"InfluxDB at {s.url}: unreachable (connection failed)"


@pytest.mark.e2e  # a real influxd
def test_client_sends_an_influxdb2_token_and_never_shows_it(server):
    client = InfluxClient(server.url, "w", token="s3cr3t-token")
    sent = []
    client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
    client.write(b"t seq=1i 1\n")  # InfluxDB 1.x without auth ignores the header; 2.x checks it
    assert sent[0].headers["Authorization"] == "Token s3cr3t-token"
    assert "s3cr3t-token" not in repr(client)


@pytest.fixture(params=SERVER_KINDS)
def any_server(request, tmp_path):
    """A server of each kind (make test: 1.6 and the InfluxDB 3 double; make test-influxdb: also the
    current 1.x and 2.x), with the client that reaches it (on 2.x, the bucket it was set up with)."""
    server = start_server(server_of(request.param, tmp_path / request.param))
    token = getattr(server, "token", "")
    user, password = getattr(server, "auth", None) or ("", "")
    database = getattr(server, "bucket", "w")
    client = InfluxClient(server.url, database, username=user, password=password, token=token)
    client.ping()
    client.ensure_database()
    try:
        yield server, client
    finally:
        server.close()


def test_a_refused_line_is_kept_with_the_reason_and_the_rest_of_its_batch_is_written(any_server, tmp_path):
    """InfluxDB 3 refuses the whole batch and names the line; 1.x writes the others and does not say
    which: either way every other point is written once, the refused one kept with the server's words."""
    server, client = any_server
    writer = Writer(client, Spool(tmp_path / "spool"), batch_size=50)
    writer.submit(points(0, 1))
    writer.flush()
    clashing = Point("t", {"k": "a"}, {"seq": "text"}, 1_000_000_000 + 500)  # seq is an integer field
    writer.submit([*points(1, 20), clashing, *points(21, 29), clashing, *points(50, 50)])
    writer.flush()
    assert stored_seqs(server, client.database) == list(range(100))
    assert writer.counters["written"] == 100 and writer.counters["refused"] == 2 and writer.counters["dropped"] == 0
    refused = writer.spool.refused
    kept = [refused.read(i) for i in refused.pending()]
    assert b"".join(kept) == 2 * b't,k=a seq="text" 1000000500\n'
    reason = refused.reason(refused.pending()[0])
    expected = "invalid column type for column 'seq'" if client.kind == "3" else "field type conflict: input field \"seq\""
    assert expected in reason and all(refused.reason(i) == reason for i in refused.pending()), reason
    assert not writer.spool.pending()


def test_the_kind_of_server_is_read_from_ping_or_named(any_server):
    server, client = any_server
    expected = {"1": "InfluxDB 1.x 1.", "2": "InfluxDB 2.x 2.", "3": "InfluxDB 3 Core 3.10.0"}[server.kind]
    assert str(client.server).startswith(expected)
    named = InfluxClient(server.url, "w", token=getattr(server, "token", ""), server="3" if server.kind != "3" else "2")
    assert named.ping().kind == ("3" if server.kind != "3" else "2")


def test_spool_list_shows_refused_points_with_the_reason_and_replay_writes_them_elsewhere(any_server, tmp_path):
    server, client = any_server
    root = tmp_path / "spool"
    destination = Destination.of(server.url, client.database, username=(getattr(server, "auth", None) or ("",))[0],
                                 token=getattr(server, "token", ""))
    writer = Writer(client, spool.for_destination(root, destination))
    writer.submit(points(0, 2))
    writer.flush()
    writer.submit([Point("t", {"k": "a"}, {"seq": "text"}, 1_000_000_500), *points(2, 2)])
    writer.flush()
    assert stored_seqs(server, client.database) == [0, 1, 2, 3]

    listed = run_cli("spool", "list", "--spool-dir", str(root), "--json")
    held = json.loads(listed.stdout)
    assert [(h["spool_id"], h["batches"], h["points"], h["refused"]) for h in held] == [(destination.key, 0, 0, 1)]
    assert held[0]["reasons"] == [writer.spool.refused.reason(writer.spool.refused.pending()[0])]

    credentials = server.credentials
    if server.kind == "2":
        server.create_bucket("other")  # the master never makes a 2.x bucket
    replayed = run_cli("spool", "replay", destination.key, "--spool-dir", str(root), "--influxdb-url", server.url,
                       "--influxdb-database", "other", *credentials)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 points into database 'other'" in replayed.stdout
    assert "(with 1 of the 1 it refused before)" in replayed.stdout
    assert rows(server.query("SELECT seq FROM t", db="other"))[0]["seq"] == "text"
    assert json.loads(run_cli("spool", "list", "--spool-dir", str(root), "--json").stdout) == []


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), *args], capture_output=True, text=True, timeout=60,
                          env={**env, "COLUMNS": "200"})


def test_a_server_is_named_by_what_its_ping_said_not_by_the_kind_asked_for():
    """--influxdb-server 1 against InfluxDB 3 named it "InfluxDB 1.x Core 3.10.0"; a version of no known kind is
    named as /ping gave it."""
    assert str(ServerInfo("1", "3.10.0", "Core")) == "InfluxDB 3 Core 3.10.0"
    assert str(ServerInfo("3", "1.6.7~rc0", "OSS")) == "InfluxDB 1.x 1.6.7~rc0"
    assert str(ServerInfo("2", "v2.8.0".lstrip("v"))) == "InfluxDB 2.x 2.8.0"
    assert str(ServerInfo("1", "9.1.0")) == "InfluxDB 9.1.0" and ServerInfo("1", "9.1.0").answered is None
