"""The project's master locustfile plus a gevent loop-lag probe, for the master-capacity benchmark:
every 50 ms it asks to sleep 50 ms and records how late it woke up; at quit it logs the p99."""

import time

import gevent
from locust import events

from locustfile import GoWorkerUser  # noqa: F401  (the placeholder class the fake workers stand in for)

lags: list[float] = []


def probe() -> None:
    while True:
        start = time.perf_counter()
        gevent.sleep(0.05)
        lags.append(time.perf_counter() - start - 0.05)


@events.init.add_listener
def start_probe(environment, **_kw):
    gevent.spawn(probe)


@events.quitting.add_listener
def report(environment, **_kw):
    ordered = sorted(lags[len(lags) // 5:])  # skip the first fifth: start-up and spawning
    if ordered:
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"LOOP_LAG_P99_MS={p99 * 1000:.1f}", flush=True)
