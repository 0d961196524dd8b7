"""The writer and its spool against a real influxd: order kept, nothing lost, nothing doubled,
replay by a later writer, and errors that name the option."""

import gzip

import pytest

from locust_fleet.influx_client import AuthError, DatabaseNotFound, InfluxClient, RetryableError
from locust_fleet.lineproto import Point
from locust_fleet.spool import Spool
from locust_fleet.writer import Writer
from harness.influxd import InfluxServer, rows


def points(start: int, n: int) -> list[Point]:
    return [Point("t", {"k": "a"}, {"seq": i}, 1_000_000_000 + i) for i in range(start, start + n)]


def stored_seqs(server: InfluxServer) -> list[int]:
    return [r["seq"] for r in rows(server.query("SELECT seq FROM t", db="w"))]


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
        assert str(err.value) == f"--influxdb-database: database 'missing' not found at {s.url}"
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
