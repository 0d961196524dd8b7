"""HTTPS per core: what TLS costs a load generator. The same nginx (`return 200`, one worker
process, on the target core) serves plain HTTP and HTTPS on two ports, with a certificate of a
throw-away CA (workers-go/bin/certs); wrk and one Go worker (connected to a real master), each
alone on the generator core with keep-alive connections, load each port in turns.

Per core means per CPU-second of the generator process, as in the user-flow section: requests
nginx served while the generator was measured (its stub_status counter), divided by the CPU time
the generator used meanwhile (/proc). Other work on a shared machine slows a run but hardly
changes what a request costs its generator, so this figure holds where raw rates swing."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

from bench import loadgen
from bench.loadgen import WARMUP, FlowFigures
from harness.procs import REPO, VENV_BIN, Procs, free_port, wait_until

TLS_SERVER = """  ssl_certificate {pki}/server.pem;
  ssl_certificate_key {pki}/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {{
    listen 127.0.0.1:{port};
    listen 127.0.0.1:{tls_port} ssl;
    location / {{ return 200 "ok\\n"; }}
    location = /_status {{ stub_status; }}
  }}"""

GENERATORS = ("wrk", "Go worker")
SCHEMES = ("http", "https")


class Nginx:
    """nginx on the target core and the URL of each scheme; its count of requests served is read at
    the plain-HTTP URL (loadgen.served)."""

    def __init__(self, procs: Procs, work: Path, pki: Path):
        port, tls_port = free_port(), free_port()
        conf = work / "nginx-https.conf"
        conf.write_text(loadgen.nginx_conf(work, TLS_SERVER.format(pki=pki, port=port, tls_port=tls_port)))
        procs.start("nginx", ["taskset", "-c", loadgen.TARGET_CPU, "nginx", "-c", str(conf), "-p", str(work)])
        self.urls = {"http": f"http://127.0.0.1:{port}", "https": f"https://127.0.0.1:{tls_port}"}
        ca = str(pki / "ca.pem")
        for url in self.urls.values():
            wait_until(lambda: subprocess.run(["curl", "-sf", "--cacert", ca, url], capture_output=True).returncode == 0,
                       30, "nginx")


def tls_version(url: str, pki: Path) -> str:
    """The TLS version nginx and a client agree on (curl; the Go worker and wrk offer 1.3 too)."""
    out = subprocess.run(["curl", "-sv", "--cacert", str(pki / "ca.pem"), url, "-o", "/dev/null"],
                         capture_output=True, text=True).stderr
    for version in ("TLSv1.3", "TLSv1.2"):
        if version in out:
            return version
    return "unknown"


def wrk(procs: Procs, nginx: Nginx, scheme: str, seconds: float, connections: int) -> FlowFigures:
    proc = procs.start("wrk", ["taskset", "-c", loadgen.GENERATOR_CPU, "wrk", "-t1", f"-c{connections}",
                               f"-d{int(WARMUP + seconds + 2)}s", nginx.urls[scheme]])
    figures = loadgen.window(proc, nginx.urls["http"], seconds)
    proc.wait(seconds + 60)
    return figures


def master_port() -> int:
    """A free port below the kernel's ephemeral range for the master. A port from free_port() is
    one the kernel hands out for connections too: the previous run's sockets on it (the worker's
    guard relay, thousands of connections to nginx) can keep the master from binding it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(100):
        port = random.randrange(max(1024, low - 10_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {low}")


def go_worker(procs: Procs, nginx: Nginx, scheme: str, seconds: float, connections: int, worker_bin: Path,
              pki: Path) -> FlowFigures:
    port, url = master_port(), nginx.urls[scheme]
    run_time = int(WARMUP + seconds + 5)
    master = procs.start("master", [
        "taskset", "-c", loadgen.TARGET_CPU, str(VENV_BIN / "locust"), "-f", str(REPO / "master" / "locustfile.py"),
        "--master", "--headless", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
        "--web-host", "127.0.0.1", "--web-port", str(free_port()), "-u", str(connections), "-r", str(connections),
        "-t", f"{run_time}s", "--expect-workers", "1", "-H", url])
    args = ["taskset", "-c", loadgen.GENERATOR_CPU, str(worker_bin), "--master-host", "127.0.0.1",
            "--master-port", str(port), "--target", url]
    if scheme == "https":
        args += ["--tls-ca-file", str(pki / "ca.pem")]
    worker = procs.start("worker", args)
    wait_until(lambda: "All users spawned" in master.log() or not master.alive(), 30, "the master to spawn the users")
    if not master.alive():
        raise RuntimeError(f"the master ended before the run:\n{master.log()[-1500:]}")
    figures = loadgen.window(worker, nginx.urls["http"], seconds)
    worker.wait(run_time + 60)
    return figures


def measure(work: Path, bins: Path, seconds: float, repeat: int,
            connections: int) -> tuple[dict[tuple[str, str], list[FlowFigures]], str, list[float]]:
    """Figures by (generator, scheme), `repeat` rounds (each: wrk and the Go worker on http, then
    on https); the TLS version; the machine's 1-minute load average before each round and at the
    end."""
    pki = work / "pki"
    pki.mkdir()
    subprocess.run([str(bins / "certs"), str(pki)], check=True)
    results: dict[tuple[str, str], list[FlowFigures]] = {(g, s): [] for s in SCHEMES for g in GENERATORS}
    loads = []
    procs = Procs(work)
    try:
        nginx = Nginx(procs, work, pki)
        version = tls_version(nginx.urls["https"], pki)
        for i in range(repeat):
            loads.append(os.getloadavg()[0])
            for scheme in SCHEMES:
                runs = Procs(work)
                try:
                    results[("wrk", scheme)].append(wrk(runs, nginx, scheme, seconds, connections))
                    results[("Go worker", scheme)].append(
                        go_worker(runs, nginx, scheme, seconds, connections, bins / "worker", pki))
                finally:
                    runs.stop_all()
            print(f"  round {i + 1}/{repeat}: " + ", ".join(
                f"{g} {s} {v[-1].per_cpu_second:,.0f} req/CPU-s ({v[-1].rate:,.0f}/s)" for (g, s), v in results.items()),
                file=sys.stderr, flush=True)
        loads.append(os.getloadavg()[0])
    finally:
        procs.stop_all()
    return results, version, loads
