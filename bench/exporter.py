"""Exporter throughput: points per second that the project's writer (encode, gzip, batches of
5,000) sustains into a real influxd, against the `influxdb` Python client's write_points on the
same points, in the same run, rounds taking turns."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from influxdb import InfluxDBClient

from harness.influxd import InfluxServer
from locust_fleet.influx_client import InfluxClient
from locust_fleet.lineproto import Point
from locust_fleet.spool import Spool
from locust_fleet.writer import Writer


def interval_points(n: int, start_ns: int) -> list[Point]:
    """Shaped like locust_requests points: 20 endpoints per interval, 12 fields each."""
    points = []
    for i in range(n):
        t = start_ns + (i // 20) * 1_000_000_000
        points.append(Point("locust_requests", {"run_id": "bench", "name": f"endpoint-{i % 20}", "method": "GET"},
                            {"requests": 1000 + i, "failures": i % 7, "rps": 200.5, "fail_per_s": 0.25,
                             "avg_ms": 12.5, "min_ms": 1.0, "max_ms": 250.0, "p50_ms": 10, "p90_ms": 40,
                             "p95_ms": 60, "p99_ms": 120, "bytes": 123456, "histogram": "1:10,2:40,10:100,120:3"},
                            t))
    return points


def as_json(points: list[Point]) -> list[dict]:
    return [{"measurement": p.measurement, "tags": p.tags, "fields": p.fields, "time": p.time_ns} for p in points]


def measure(n: int, repeat: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"writer": [], "influxdb write_points": []}
    with tempfile.TemporaryDirectory() as tmp, InfluxServer(Path(tmp) / "influxdb") as server:
        client = InfluxClient(server.url, "bench")
        client.ensure_database()
        reference = InfluxDBClient("127.0.0.1", server.port, database="bench")
        for r in range(repeat):
            points = interval_points(n, 10**18 + r * 10**15)
            writer = Writer(client, Spool(Path(tmp) / f"spool{r}"))
            started = time.perf_counter()
            writer.submit(points)
            writer.flush()
            results["writer"].append(n / (time.perf_counter() - started))
            assert writer.counters["written"] == n

            other = interval_points(n, 2 * 10**18 + r * 10**15)
            started = time.perf_counter()
            reference.write_points(as_json(other), time_precision="n", batch_size=5000)
            results["influxdb write_points"].append(n / (time.perf_counter() - started))
            print(f"  round {r + 1}/{repeat}: " + ", ".join(f"{k} {v[-1]:,.0f} points/s" for k, v in results.items()),
                  file=sys.stderr)
    return results
