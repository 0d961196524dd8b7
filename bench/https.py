"""HTTPS per core: what TLS costs a load generator. The same nginx (`return 200`, one worker
process, on core 1) serves plain HTTP and HTTPS on two ports, with a certificate of a throw-away
CA (workers-go/bin/certs); wrk and one Go worker (connected to a real master), each alone on core
0 with keep-alive connections, load each port in turns."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

from harness.procs import Procs, free_port, wait_until

from . import loadgen

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
  ssl_certificate {pki}/server.pem;
  ssl_certificate_key {pki}/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {{
    listen 127.0.0.1:{port};
    listen 127.0.0.1:{tls_port} ssl;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
"""

GENERATORS = ("wrk", "Go worker")
SCHEMES = ("http", "https")


def start_nginx(procs: Procs, work: Path, pki: Path) -> dict[str, str]:
    """nginx on core TARGET_CPU; the URL of each scheme."""
    port, tls_port = free_port(), free_port()
    conf = work / "nginx-https.conf"
    conf.write_text(NGINX_CONF.format(dir=work, pki=pki, port=port, tls_port=tls_port))
    procs.start("nginx", ["taskset", "-c", loadgen.TARGET_CPU, "nginx", "-c", str(conf), "-p", str(work)])
    urls = {"http": f"http://127.0.0.1:{port}", "https": f"https://127.0.0.1:{tls_port}"}
    ca = str(pki / "ca.pem")
    for url in urls.values():
        wait_until(lambda: subprocess.run(["curl", "-sf", "--cacert", ca, url], capture_output=True).returncode == 0,
                   10, "nginx")
    return urls


def tls_version(url: str, pki: Path) -> str:
    """The TLS version nginx and a client agree on (curl; the Go worker and wrk offer 1.3 too)."""
    out = subprocess.run(["curl", "-sv", "--cacert", str(pki / "ca.pem"), url, "-o", "/dev/null"],
                         capture_output=True, text=True).stderr
    for version in ("TLSv1.3", "TLSv1.2"):
        if version in out:
            return version
    return "unknown"


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


def go_worker(work: Path, worker_bin: Path, url: str, seconds: int, connections: int, extra: tuple[str, ...]) -> float:
    """loadgen.go_worker, tried up to three times: on a shared machine another process may take
    the port picked for the master before it binds it, and the run then writes no figures."""
    for attempt in range(3):
        runs = Procs(work)
        try:
            return loadgen.go_worker(runs, url, seconds, connections, work, worker_bin, *extra, port=master_port())
        except FileNotFoundError:
            print(f"  the Go worker's run wrote no figures (attempt {attempt + 1}/3):\n{runs.logs()[-1500:]}",
                  file=sys.stderr)
        finally:
            runs.stop_all()
    raise RuntimeError("the Go worker's run failed three times; see the logs above")


def measure(work: Path, bins: Path, seconds: int, repeat: int, connections: int) -> tuple[dict, str, list[float]]:
    """req/s by (generator, scheme), `repeat` rounds taking turns; the TLS version; the machine's
    1-minute load average before each round and at the end (other work on the cores lowers every
    rate, and the ratios less)."""
    loads = []
    pki = work / "pki"
    pki.mkdir()
    subprocess.run([str(bins / "certs"), str(pki)], check=True)
    results: dict[tuple[str, str], list[float]] = {(g, s): [] for g in GENERATORS for s in SCHEMES}
    procs = Procs(work)
    try:
        urls = start_nginx(procs, work, pki)
        version = tls_version(urls["https"], pki)
        for i in range(repeat):
            loads.append(os.getloadavg()[0])
            for scheme, url in urls.items():
                results[("wrk", scheme)].append(loadgen.wrk(procs, url, seconds, connections))
                extra = ("--tls-ca-file", str(pki / "ca.pem")) if scheme == "https" else ()
                results[("Go worker", scheme)].append(go_worker(work, bins / "worker", url, seconds, connections, extra))
            print(f"  round {i + 1}/{repeat}: " + ", ".join(f"{g} {s} {v[-1]:,.0f}/s" for (g, s), v in results.items()),
                  file=sys.stderr)
        loads.append(os.getloadavg()[0])
    finally:
        procs.stop_all()
    return results, version, loads
