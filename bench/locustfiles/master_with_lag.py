"""The project's master locustfile plus a gevent loop-lag probe, for the master-capacity benchmark:
every 50 ms it asks to sleep 50 ms and records how late it woke up; at quit it logs the p99, and
the time the cyclic garbage collector took per generation (allocations anywhere trigger it, so a
profile spreads its cost over unrelated functions)."""

import gc
import time

import gevent
from locust import events

from locustfile import GoWorkerUser  # noqa: F401  (the placeholder class the fake workers stand in for)
from locust_fleet.looplag import LagHistogram

lags: list[float] = []
gc_seconds = [0.0, 0.0, 0.0]
gc_counts = [0, 0, 0]
gc_started = 0.0


def on_gc(phase: str, info: dict) -> None:
    global gc_started
    if phase == "start":
        gc_started = time.perf_counter()
    else:
        gc_seconds[info["generation"]] += time.perf_counter() - gc_started
        gc_counts[info["generation"]] += 1


gc.callbacks.append(on_gc)


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
    steady = lags[len(lags) // 5:]  # skip the first fifth: start-up and spawning
    if steady:
        print(f"LOOP_LAG_P99_MS={LagHistogram(lag * 1000 for lag in steady).p99():.1f}", flush=True)
    print("GC_MS=" + ",".join(f"{s * 1000:.0f}" for s in gc_seconds), "GC_COUNTS=" + ",".join(map(str, gc_counts)),
          flush=True)
