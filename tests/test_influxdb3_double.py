"""The InfluxDB 3 double holds the rules read from InfluxDB 3's source (harness/influxdb3_double.py
names the file of each): the tests of the exporter against it are only as good as these."""

from __future__ import annotations

import base64
import time

import pytest
import requests

from harness.influxd import InfluxDB3Double

NOW = time.time_ns()
HOUR = 3600 * 10**9


@pytest.fixture(scope="module")
def double(tmp_path_factory):
    with InfluxDB3Double(tmp_path_factory.mktemp("double"), query_file_limit=5) as server:
        yield server


def write(double, body: str, db: str = "rules", **kw) -> requests.Response:
    return requests.post(double.url + "/write", params={"db": db, **kw.pop("params", {})},
                         headers=kw.pop("headers", double.headers), data=body.encode(), timeout=10)


def statement(double, q: str, db: str = "rules") -> dict:
    resp = requests.get(double.url + "/query", params={"db": db, "q": q}, headers=double.headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["results"][0]


def test_ping_answers_200_with_json_and_needs_the_token(double):
    assert requests.get(double.url + "/ping", timeout=5).status_code == 401
    resp = requests.get(double.url + "/ping", headers=double.headers, timeout=5)
    assert resp.status_code == 200 and resp.json()["version"] == "3.10.0"
    assert (resp.headers["X-Influxdb-Version"], resp.headers["X-Influxdb-Build"]) == ("3.10.0", "Core")


@pytest.mark.parametrize("how", ["Bearer", "Token", "Basic", "p"])
def test_the_token_is_taken_as_influxdb3_takes_it(double, how):
    headers, params = {}, {}
    if how == "Basic":
        headers = {"Authorization": "Basic " + base64.b64encode(f"any:{double.token}".encode()).decode()}
    elif how == "p":
        params = {"p": double.token}
    else:
        headers = {"Authorization": f"{how} {double.token}"}
    assert write(double, f"auth,how={how} v=1i {NOW}", headers=headers, params=params).status_code == 204
    assert write(double, f"auth v=1i {NOW}", headers={"Authorization": f"{how} wrong"}).status_code in (400, 401)


def test_a_batch_with_one_refused_line_writes_nothing_and_names_the_line(double):
    write(double, f"clash,run_id=a users=1i {NOW}")
    resp = write(double, f"clash,run_id=b users=2i {NOW + 1}\nclash,run_id=c,users=3 n=1i {NOW + 2}\n")
    assert resp.status_code == 400
    assert resp.json() == {"error": "line protocol parsing error", "data": {
        "original_line": f"clash,run_id=c,users=3 n=1i {NOW + 2}", "line_number": 2,
        "error_message": "invalid column type for column 'users', expected iox::column_type::field::integer, "
                         "got iox::column_type::tag"}}
    stored = statement(double, "SELECT * FROM clash")["series"][0]["values"]
    assert len(stored) == 1, "the valid first line of the refused batch was not written either"
    # nothing of the refused batch reached the catalog: n never became a column
    assert write(double, f"clash n=\"text\" {NOW + 3}").status_code == 204


def test_a_column_keeps_the_type_of_its_first_write(double):
    assert write(double, f"typed v=1i {NOW}").status_code == 204
    resp = write(double, f"typed v=1.5 {NOW + 1}")
    assert resp.json()["data"]["error_message"] == ("invalid column type for column 'v', expected "
                                                    "iox::column_type::field::integer, got iox::column_type::field::float")


def test_a_write_creates_the_database_and_create_database_is_not_influxql(double):
    assert statement(double, "SELECT * FROM m", db="later") == {"statement_id": 0, "error": "Database later not found"}
    assert statement(double, 'CREATE DATABASE "later"', db="")["error"] == \
        "This feature is not implemented: CREATE DATABASE"
    assert write(double, f"m v=1i {NOW}", db="later").status_code == 204
    names = statement(double, "SHOW DATABASES", db="")["series"][0]
    assert (names["name"], names["columns"]) == ("databases", ["name"]) and ["later"] in names["values"]


def test_show_tag_values_reads_the_last_24_hours_unless_given_a_range(double):
    write(double, f"runs,run_id=old v=1i {NOW - 48 * HOUR}\nruns,run_id=new v=1i {NOW}")
    values = statement(double, 'SHOW TAG VALUES FROM "runs" WITH KEY = "run_id"')["series"][0]["values"]
    assert values == [["run_id", "new"]]
    ranged = statement(double, f'SHOW TAG VALUES FROM "runs" WITH KEY = "run_id" WHERE time >= {NOW - 72 * HOUR}')
    assert ranged["series"][0]["values"] == [["run_id", "new"], ["run_id", "old"]]


def test_a_query_over_more_files_than_the_limit_fails_and_a_narrower_one_runs(double):
    # one file per 10-minute period that holds data: 8 periods, the limit is 5
    write(double, "\n".join(f"long v={i}i {NOW - i * HOUR}" for i in range(8)))
    assert statement(double, "SELECT count(v) FROM long")["error"].startswith(
        "External error: Query would scan 8 Parquet files, exceeding the file limit.")
    narrow = statement(double, f"SELECT count(v) FROM long WHERE time >= {NOW - 3 * HOUR - 1} AND time <= {NOW}")
    assert narrow["series"][0]["values"][0][1] == 4


@pytest.mark.parametrize("version, content_type, body", [
    ("3.6.0", "application/x-www-form-urlencoded", b"q=SHOW+DATABASES"),
    ("3.6.0", "", b"q=SHOW+DATABASES"),  # before 3.7 any body is read as a form
    ("3.10.0", "application/x-www-form-urlencoded", b"q=SHOW+DATABASES"),
    ("3.10.0", "application/vnd.influxql", b"SHOW DATABASES"),  # from 3.7 the body may be the query
    ("3.10.0", "", b"SHOW DATABASES"),
])
def test_where_query_reads_q_by_version(tmp_path, version, content_type, body):
    with InfluxDB3Double(tmp_path, version=version) as double:
        write(double, f"m v=1i {NOW}")
        headers = {**double.headers, **({"Content-Type": content_type} if content_type else {})}
        resp = requests.post(double.url + "/query", headers=headers, data=body, timeout=10)
        assert resp.json()["results"][0]["series"][0]["values"] == [["rules"]], resp.text


@pytest.mark.parametrize("name, taken", [
    ("locust", True), ("9-x_y", True), ("db/rp", True), ("a" * 64, True),
    ("my db/x", False), ("a" * 65, False), ("db/rp/x", False), ("db/", False), ("_db", False), ("/db", False),
    ("dbé", False), ("db\n", False), ("db.x", False),
])
def test_a_write_to_a_database_name_influxdb3_refuses_is_refused(double, name, taken):
    """influxdb3_server/src/http.rs, fn validate_db_name: at most 64 ASCII bytes, a letter or digit
    first, then letters, digits, _ and -, at most one / and not at the end."""
    resp = write(double, f"named v=1i {NOW}", db=name)
    assert resp.status_code == (204 if taken else 400), (name, resp.status_code, resp.text)
