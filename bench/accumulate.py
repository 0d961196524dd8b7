"""The exporter's work for one interval, alone in this process: IntervalAccumulator.add_report for
every report of a 5 s interval (W workers reporting every 3 s, boomer-shaped reports of E endpoints
from bench/fake_workers.py, normalised as the master does), then the interval's points, line protocol and
gzip as the writer sends them. Best of several repeats, since other work only adds time.

    .venv/bin/python -m bench.accumulate --workers 500 --endpoints 20
"""

from __future__ import annotations

import argparse
import gzip
import time

from bench import fake_workers
from locust_fleet.intervals import IntervalAccumulator
from locust_fleet.lineproto import encode
from locust_fleet.normalise import normalise_report
from locust_fleet.points import WorkerSnapshot, error_points, request_points, worker_points
from locust_fleet.rates import SecondBins
from py_bridge.codec import decode, encode as encode_frame

INTERVAL = 5.0  # the exporter's default --influxdb-interval
REPORT_EVERY = 3.0  # boomer's report period


def one_interval(reports: list[dict], workers: int) -> tuple[float, float]:
    """(seconds adding the reports, seconds turning the interval into a gzip'd body)."""
    accumulator = IntervalAccumulator()
    bins = SecondBins(0.0)
    start = time.perf_counter()
    for i, report in enumerate(reports):
        accumulator.add_report(f"worker-{i % workers}", report)
        bins.add_report(f"worker-{i % workers}", report, REPORT_EVERY)
    added = time.perf_counter()
    interval = accumulator.swap()
    counts = bins.take(None)
    snapshots = {f"worker-{i}": WorkerSnapshot("running", 10.0, 20_000_000, 10) for i in range(workers)}
    points = [*request_points("bench", interval, counts, INTERVAL, 0, 60.0),
              *worker_points("bench", interval, counts, snapshots, INTERVAL, 0), *error_points("bench", interval, 0)]
    gzip.compress(encode(points), compresslevel=5)
    return added - start, time.perf_counter() - added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    # Through the wire codec, so the dicts and ints are the ones the master gets.
    one = [normalise_report(decode(encode_frame("stats", fake_workers.report(args.endpoints, 10), f"w{i}")).data)
           for i in range(args.workers)]
    reports = [one[i % args.workers] for i in range(int(args.workers * INTERVAL / REPORT_EVERY))]
    add, flush = (min(times) for times in zip(*(one_interval(reports, args.workers) for _ in range(args.repeat))))
    print(f"{args.workers} workers x {args.endpoints} endpoints, {len(reports)} reports per {INTERVAL:g} s interval: "
          f"add_report {add * 1000:.1f} ms ({add / len(reports) * 1e6:.0f} µs per report), points + line protocol + "
          f"gzip {flush * 1000:.1f} ms; together {(add + flush) / INTERVAL * 100:.2f} % of a core")


if __name__ == "__main__":
    main()
