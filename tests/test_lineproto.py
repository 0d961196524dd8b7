"""Line-protocol encoding: escaping, field types, and a round trip through a real influxd."""

import pytest
import requests

from locust_fleet.lineproto import Point, encode, encode_point
from harness.influxd import InfluxServer, rows


@pytest.mark.parametrize("point, line", [
    (Point("m", {"b": "2", "a": "1"}, {"f": 1}, 5), "m,a=1,b=2 f=1i 5"),
    (Point("my m,x", {"t k": "v,1=2"}, {"f k": 1.5}, 5), r"my\ m\,x,t\ k=v\,1\=2 f\ k=1.5 5"),
    (Point("m", {"empty": ""}, {"f": 2.0}, 5), "m f=2.0 5"),
    (Point("m", {}, {"s": 'say "hi" \\ bye'}, 5), r'm s="say \"hi\" \\ bye" 5'),
    (Point("m", {}, {"t": True, "u": False}, 5), "m t=true,u=false 5"),
    (Point("m", {}, {"s": "two\nlines"}, 5), 'm s="two\nlines" 5'),
])
def test_encode_point_escapes_and_types(point, line):
    assert encode_point(point) == line


@pytest.mark.parametrize("point, message", [
    (Point("m", {}, {}, 1), "m: a point needs at least one field"),
    (Point("m", {}, {"f": float("nan")}, 1), "m: field 'f' is nan; expected a finite number"),
    (Point("m", {}, {"f": float("inf")}, 1), "m: field 'f' is inf; expected a finite number"),
    (Point("m", {}, {"f": None}, 1), "m: field 'f' has type NoneType; expected int, float, str or bool"),
    (Point("m", {"t": "a\nb"}, {"f": 1}, 1),
     "m: tag 't=a\\nb' contains a line break; line breaks are allowed only in string field values"),
])
def test_encode_point_rejects_what_cannot_be_written(point, message):
    with pytest.raises(ValueError) as err:
        encode_point(point)
    assert str(err.value) == message


@pytest.mark.e2e  # a real influxd
def test_encode_round_trips_tricky_values_through_influxd(tmp_path):
    tricky = 'a b,c=d "q" \\ ü\nend'
    points = [Point("m x", {"tag, k": "v =1"}, {"s": tricky, "i": 7, "f": 7.0, "b": True}, 1_000_000_000)]
    with InfluxServer(tmp_path / "influxdb") as server:
        requests.post(server.url + "/query", data={"q": "CREATE DATABASE t"}, timeout=10).raise_for_status()
        resp = requests.post(server.url + "/write", params={"db": "t", "precision": "ns"}, data=encode(points),
                             timeout=10)
        assert resp.status_code == 204, resp.text
        [row] = rows(server.query('SELECT * FROM "m x"', db="t"))
        types = {r["fieldKey"]: r["fieldType"] for r in rows(server.query('SHOW FIELD KEYS FROM "m x"', db="t"))}
    assert row["s"] == tricky and row["tag, k"] == "v =1" and row["i"] == 7 and row["b"] is True
    assert types == {"b": "boolean", "f": "float", "i": "integer", "s": "string"}
