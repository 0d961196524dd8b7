"""Master capacity: a real master (master/locustfile.py plus a loop-lag probe) on core 1 with N fake
workers (bench/fleet.py) on core 0, with and without the InfluxDB exporter writing to a real
influxd: gevent loop lag p99 and the master's CPU over the steady part of the run."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.influxd import InfluxServer  # noqa: E402
from support.procs import VENV_BIN, Procs, free_port, wait_until  # noqa: E402

RUN_SECONDS = 30
WARMUP = 10


def one_run(work: Path, workers: int, endpoints: int, influx_url: str | None) -> tuple[float, float]:
    """(loop lag p99 in ms, master CPU in % of one core)."""
    procs = Procs(work)
    try:
        port = free_port()
        args = [str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "locustfiles" / "master_with_lag.py"),
                "--master", "--headless", "-u", str(workers), "-r", str(max(workers, 1)), "-t", f"{RUN_SECONDS}s",
                "--expect-workers", str(workers), "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                "--web-port", str(free_port()), "--web-host", "127.0.0.1", "--drain-timeout", "5"]
        if influx_url:
            args += ["--influxdb-url", influx_url, "--spool-dir", str(work / "spool")]
        master = procs.start("master", ["taskset", "-c", "1", *args],
                             env={"PYTHONPATH": str(REPO / "master")})
        procs.start("fleet", ["taskset", "-c", "0", sys.executable, str(REPO / "bench" / "fleet.py"), str(port),
                              str(workers), str(endpoints), str(RUN_SECONDS + 40)])
        wait_until(lambda: "Run time limit set" in master.log(), 60, "all fake workers to connect")
        time.sleep(WARMUP)
        process = psutil.Process(master.pid)
        cpu0, t0 = sum(process.cpu_times()[:2]), time.monotonic()
        time.sleep(RUN_SECONDS - WARMUP - 5)
        cpu = (sum(process.cpu_times()[:2]) - cpu0) / (time.monotonic() - t0) * 100
        master.wait(120)
        lag = float(re.search(r"LOOP_LAG_P99_MS=([\d.]+)", master.log()).group(1))
        return lag, cpu
    finally:
        procs.stop_all()


def measure(worker_counts: list[int], endpoints: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, InfluxServer(Path(tmp) / "influxdb") as server:
        for n in worker_counts:
            row = {"workers": n, "endpoints": endpoints}
            for label, url in (("off", None), ("on", server.url)):
                with tempfile.TemporaryDirectory() as work:
                    row[f"lag_{label}"], row[f"cpu_{label}"] = one_run(Path(work), n, endpoints, url)
            rows.append(row)
            print(f"  {n} workers x {endpoints} endpoints: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items()
                                                                     if k.startswith(("lag", "cpu"))), file=sys.stderr)
    return rows


if __name__ == "__main__":
    print(measure([int(a) for a in sys.argv[1:]] or [100], 20))
