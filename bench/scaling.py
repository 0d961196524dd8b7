"""Master scaling with the exporter on: CPU (% of one core) and memory (RSS) as the fleet grows
(workers at 20 endpoints each) and as reports grow (endpoints per worker at 100 workers), each
point one capacity.one_run writing to a real influxd. bench/run.py turns the result into the
BENCHMARKS.md section and bench/scaling.png."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench import capacity
from bench.capacity import MasterFigures
from harness.influxd import InfluxServer

WORKERS = (10, 50, 100, 250, 500)
ENDPOINTS = (1, 20, 100)
ENDPOINTS_PER_WORKER = 20  # in the workers sweep
WORKERS_FOR_ENDPOINTS = 100  # in the endpoints sweep

Sweeps = dict[str, list[tuple[int, MasterFigures]]]  # "workers"/"endpoints" -> [(x, figures)]


def measure(workers=WORKERS, endpoints=ENDPOINTS) -> Sweeps:
    sweeps: Sweeps = {"workers": [], "endpoints": []}
    with tempfile.TemporaryDirectory() as tmp, InfluxServer(Path(tmp) / "influxdb") as server:
        for sweep, values in (("workers", workers), ("endpoints", endpoints)):
            for x in values:
                n, e = (x, ENDPOINTS_PER_WORKER) if sweep == "workers" else (WORKERS_FOR_ENDPOINTS, x)
                with tempfile.TemporaryDirectory() as work:
                    figures = capacity.one_run(Path(work), n, e, server.url)
                sweeps[sweep].append((x, figures))
                print(f"  scaling: {n} workers x {e} endpoints: {figures}", file=sys.stderr)
    return sweeps


def plot(sweeps: Sweeps, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on benchmark machines
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = {"workers": f"workers ({ENDPOINTS_PER_WORKER} endpoints each)",
              "endpoints": f"endpoints per worker ({WORKERS_FOR_ENDPOINTS} workers)"}
    for ax, (sweep, points) in zip(axes, sweeps.items()):
        xs = [x for x, _ in points]
        ax.plot(xs, [f.cpu for _, f in points], "o-", color="tab:blue")
        ax.set_xlabel(labels[sweep])
        ax.set_ylabel("master CPU (% of one core)", color="tab:blue")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        rss = ax.twinx()
        rss.plot(xs, [f.rss_mb for _, f in points], "s--", color="tab:orange")
        rss.set_ylabel("master RSS (MB)", color="tab:orange")
        rss.set_ylim(bottom=0)
    fig.suptitle("Locust master with the InfluxDB exporter on (one run per point, shared 2-core machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    result = measure()
    plot(result, Path(__file__).with_name("scaling.png"))
    print(result)
