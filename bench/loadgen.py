"""Load generation per core, the plain closed loop: one Go worker (connected to a real master),
the bare fasthttp loop it is built on (workers-go/cmd/bareloop: the same connections, nothing
recorded), wrk (the practical ceiling), and Locust's FastHttpUser and HttpUser (one process each),
all against the same nginx answering `return 200`, the load generator pinned to core 0 and nginx
to core 1.

Per core means per CPU-second of the generator process, as in the user-flow section: requests
nginx served while the generator was measured (its stub_status counter), divided by the CPU time
the generator used meanwhile (/proc). Other work on a shared machine slows a run but hardly
changes what a request costs its generator, so this figure holds where raw rates swing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.procs import REPO, VENV_BIN, Proc, Procs, free_port, wait_until

GENERATOR_CPU, TARGET_CPU = "0", "1"
WARMUP = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class FlowFigures:
    requests: int  # served by the target in the measured window
    cpu_seconds: float  # of the generator process in that window
    seconds: float

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.cpu_seconds

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def cpu_seconds(pid: int) -> float:
    """User plus system time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 100000000;
{server}
}}
"""

PLAIN_SERVER = """  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 "ok\\n"; }}
    location = /_status {{ stub_status; }}
  }}"""

GENERATORS = ("wrk", "bare fasthttp loop", "Go worker", "FastHttpUser", "HttpUser")


def nginx_conf(work: Path, server: str) -> str:
    """nginx answering `return 200` with one worker process, everything it writes under `work`;
    `server` is the http block's server part (listen addresses, TLS, locations)."""
    return NGINX_CONF.format(dir=work, server=server)


def start_nginx(procs: Procs, work: Path) -> str:
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(nginx_conf(work, PLAIN_SERVER.format(port=port)))
    procs.start("nginx", ["taskset", "-c", TARGET_CPU, "nginx", "-c", str(conf), "-p", str(work)])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: subprocess.run(["curl", "-sf", url], capture_output=True).returncode == 0, 10, "nginx")
    return url


def served(url: str) -> int:
    """Requests nginx has served so far (stub_status), the status requests included."""
    out = subprocess.run(["curl", "-sf", url + "/_status"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\n\s*\d+\s+\d+\s+(\d+)", out).group(1))


def window(generator: Proc, url: str, seconds: float, counted: Callable[[str], int] = served) -> FlowFigures:
    """What `generator` sent in `seconds`, after WARMUP: requests the target at url served (as
    `counted` reads them: nginx's by default), CPU time."""
    time.sleep(WARMUP)
    cpu0, n0, t0 = cpu_seconds(generator.pid), counted(url), time.monotonic()
    time.sleep(seconds)
    cpu1, n1, t1 = cpu_seconds(generator.pid), counted(url), time.monotonic()
    return FlowFigures(n1 - n0, cpu1 - cpu0, t1 - t0)


def run_time(seconds: float) -> int:
    return int(WARMUP + seconds + 3)


def wrk(procs: Procs, url: str, seconds: float, connections: int) -> FlowFigures:
    proc = procs.start("wrk", ["taskset", "-c", GENERATOR_CPU, "wrk", "-t1", f"-c{connections}",
                               f"-d{run_time(seconds)}s", url])
    figures = window(proc, url, seconds)
    proc.wait(seconds + 60)
    return figures


def bareloop(procs: Procs, url: str, seconds: float, connections: int, bareloop_bin: Path) -> FlowFigures:
    proc = procs.start("bareloop", ["taskset", "-c", GENERATOR_CPU, str(bareloop_bin), "-target", url,
                                    "-connections", str(connections), "-seconds", str(run_time(seconds) - 1)])
    figures = window(proc, url, seconds)
    proc.wait(seconds + 60)
    return figures


def go_worker(procs: Procs, url: str, seconds: float, connections: int, worker_bin: Path) -> FlowFigures:
    """One Go worker under a real master (on the target's core), measured once every user runs."""
    port = free_port()
    master = procs.start("master", ["taskset", "-c", TARGET_CPU, str(VENV_BIN / "locust"),
                                    "-f", str(REPO / "master" / "locustfile.py"), "--master", "--headless",
                                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                                    "--web-port", str(free_port()), "--web-host", "127.0.0.1",
                                    "-u", str(connections), "-r", str(connections), "-t", f"{run_time(seconds)}s",
                                    "--expect-workers", "1", "-H", url])
    worker = procs.start("worker", ["taskset", "-c", GENERATOR_CPU, str(worker_bin), "--master-host", "127.0.0.1",
                                    "--master-port", str(port), "--target", url])
    wait_until(lambda: "All users spawned" in master.log() or not master.alive(), 30, "the master to spawn the users")
    if not master.alive():
        raise RuntimeError(f"the master ended before the run:\n{master.log()[-1500:]}")
    figures = window(worker, url, seconds)
    master.wait(run_time(seconds) + 60)
    return figures


def locust_user(procs: Procs, url: str, seconds: float, connections: int, locustfile: str) -> FlowFigures:
    proc = procs.start(Path(locustfile).stem, [
        "taskset", "-c", GENERATOR_CPU, str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "locustfiles" / locustfile),
        "--headless", "-u", str(connections), "-r", str(connections), "-t", f"{run_time(seconds)}s",
        "-H", url, "--web-port", str(free_port()), "--web-host", "127.0.0.1"])
    figures = window(proc, url, seconds)
    proc.wait(seconds + 60)
    return figures


def measure(work: Path, bins: Path, seconds: float, repeat: int,
            connections: int) -> tuple[dict[str, list[FlowFigures]], list[float]]:
    """Runs the generators in turns (GENERATORS' order) `repeat` times, so that drift of the machine
    spreads over all of them alike; the figures by generator and the machine's 1-minute load
    average before each round and at the end."""
    subprocess.run(["go", "build", "-o", str(bins / "bareloop"), "./cmd/bareloop"], cwd=REPO / "workers-go", check=True)
    results: dict[str, list[FlowFigures]] = {name: [] for name in GENERATORS}
    loads = []
    procs = Procs(work)
    try:
        url = start_nginx(procs, work)
        for i in range(repeat):
            loads.append(os.getloadavg()[0])
            runs = Procs(work)
            try:
                results["wrk"].append(wrk(runs, url, seconds, connections))
                results["bare fasthttp loop"].append(bareloop(runs, url, seconds, connections, bins / "bareloop"))
                results["Go worker"].append(go_worker(runs, url, seconds, connections, bins / "worker"))
                results["FastHttpUser"].append(locust_user(runs, url, seconds, connections, "fast_http.py"))
                results["HttpUser"].append(locust_user(runs, url, seconds, connections, "http.py"))
            finally:
                runs.stop_all()
            print(f"  round {i + 1}/{repeat}: " + ", ".join(
                f"{k} {v[-1].per_cpu_second:,.0f} req/CPU-s ({v[-1].rate:,.0f}/s)" for k, v in results.items()),
                file=sys.stderr, flush=True)
        loads.append(os.getloadavg()[0])
    finally:
        procs.stop_all()
    return results, loads
