"""Load generation per core: requests/s of one Go worker (connected to a real master), wrk (the
practical ceiling), and Locust's FastHttpUser and HttpUser (one process each), all against the same
nginx answering `return 200`, the load generator pinned to core 0 and nginx to core 1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from harness.procs import REPO, VENV_BIN, Procs, free_port, wait_until

GENERATOR_CPU, TARGET_CPU = "0", "1"

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
  }}"""


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


def rate_from_json(path: Path) -> float:
    entries = json.loads(path.read_text())
    requests = sum(e["num_requests"] for e in entries)
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] for e in entries)
    return requests / (end - start)


def wrk(procs: Procs, url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(["taskset", "-c", GENERATOR_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def go_worker(procs: Procs, url: str, seconds: int, connections: int, work: Path, worker_bin: Path,
              *extra: str, port: int | None = None) -> float:
    """One Go worker's rate under a real master (on `port`, default a free one); extra: more
    worker flags (--tls-ca-file)."""
    report = work / "go"
    report.with_suffix(".json").unlink(missing_ok=True)  # a failed run must not read the last run's figures
    port = port or free_port()
    master = procs.start("master", ["taskset", "-c", TARGET_CPU, str(VENV_BIN / "locust"),
                                    "-f", str(REPO / "master" / "locustfile.py"), "--master", "--headless",
                                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                                    "--web-port", str(free_port()), "--web-host", "127.0.0.1",
                                    "-u", str(connections), "-r", str(connections), "-t", f"{seconds}s",
                                    "--expect-workers", "1", "--json-file", str(report), "-H", url])
    procs.start("worker", ["taskset", "-c", GENERATOR_CPU, str(worker_bin), "--master-host", "127.0.0.1",
                           "--master-port", str(port), "--target", url, *extra])
    master.wait(seconds + 90)
    return rate_from_json(report.with_suffix(".json"))


def locust_user(procs: Procs, url: str, seconds: int, connections: int, work: Path, locustfile: str) -> float:
    report = work / Path(locustfile).stem
    proc = procs.start(Path(locustfile).stem, [
        "taskset", "-c", GENERATOR_CPU, str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "locustfiles" / locustfile),
        "--headless", "-u", str(connections), "-r", str(connections), "-t", f"{seconds}s",
        "--json-file", str(report), "-H", url, "--web-port", str(free_port()), "--web-host", "127.0.0.1"])
    proc.wait(seconds + 90)
    return rate_from_json(report.with_suffix(".json"))


def measure(work: Path, worker_bin: Path, seconds: int, repeat: int, connections: int) -> dict[str, list[float]]:
    """Runs the generators in turns (wrk, Go, FastHttpUser, HttpUser) `repeat` times, so that
    drift of the machine spreads over all of them alike."""
    results: dict[str, list[float]] = {"wrk": [], "Go worker": [], "FastHttpUser": [], "HttpUser": []}
    procs = Procs(work)
    try:
        url = start_nginx(procs, work)
        for i in range(repeat):
            results["wrk"].append(wrk(procs, url, seconds, connections))
            runs = Procs(work)
            try:
                results["Go worker"].append(go_worker(runs, url, seconds, connections, work, worker_bin))
                results["FastHttpUser"].append(locust_user(runs, url, seconds, connections, work, "fast_http.py"))
                results["HttpUser"].append(locust_user(runs, url, seconds, connections, work, "http.py"))
            finally:
                runs.stop_all()
            print(f"  round {i + 1}/{repeat}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()),
                  file=sys.stderr)
    finally:
        procs.stop_all()
    return results
