"""`make verify-matrix`: the Go worker and the contract against several Locust 2.x versions, each in
its own venv under .matrix/. For each version: a headless run of that version's master (with
master/locustfile.py) and the Go worker against a counting target, whose final stats must equal
what the target served; and `pybridge verify-protocol` on that version's Python worker."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PINNED = "2.47.0"
# The plugin needs MasterRunner.handle_message, which 2.40 does not have (it says so and exits 2).
OLDER = ("2.45.0", "2.43.4")
DEPS = ["pyzmq", "msgpack", "typer", "rich", "requests", "PyYAML", "influxdb"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_for(version: str) -> Path:
    venv = REPO / ".matrix" / f"locust-{version}"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, f"locust=={version}", *DEPS], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(REPO)], check=True)
        (venv / ".installed").touch()
    return venv


def headless_counts(venv: Path, work: Path) -> tuple[bool, str]:
    target_log = open(work / "target.log", "w+")
    target = subprocess.Popen([str(REPO / "workers-go" / "bin" / "target"), "--listen", "127.0.0.1:0"],
                              stdout=target_log, stderr=subprocess.STDOUT, start_new_session=True)
    procs = [target]
    try:
        for _ in range(50):
            match = re.search(r"listening on (\S+)", Path(target_log.name).read_text())
            if match:
                break
            time.sleep(0.1)
        url = match.group(1)
        port = free_port()
        report = work / "stats"
        master = subprocess.Popen(
            [str(venv / "bin" / "locust"), "-f", str(REPO / "master" / "locustfile.py"), "--master", "--headless",
             "-u", "4", "-r", "4", "-t", "5s", "--expect-workers", "1", "--master-bind-host", "127.0.0.1",
             "--master-bind-port", str(port), "--web-port", str(free_port()), "--web-host", "127.0.0.1",
             "--json-file", str(report), "-H", url],
            stdout=open(work / "master.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(master)
        procs.append(subprocess.Popen(
            [str(REPO / "workers-go" / "bin" / "worker"), "--master-host", "127.0.0.1", "--master-port", str(port),
             "--target", url], stdout=open(work / "worker.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True))
        master.wait(timeout=90)
        served = sum(json.loads(urllib.request.urlopen(url + "/_counts", timeout=5).read()).values())
        path = report.with_suffix(".json")
        if not path.exists():
            return False, "no final stats: " + (work / "master.log").read_text()[-300:]
        counted = sum(e["num_requests"] for e in json.loads(path.read_text()))
        return counted == served and served > 0, f"Locust counted {counted}, the target served {served}"
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def python_worker_contract(venv: Path) -> tuple[bool, str]:
    cmd = (f"{venv / 'bin' / 'locust'} -f {REPO / 'tests' / 'locustfiles' / 'python_worker.py'} --worker "
           "--master-host {host} --master-port {port}")
    proc = subprocess.run([str(venv / "bin" / "pybridge"), "verify-protocol", "--json", "--worker-cmd", cmd],
                          capture_output=True, text=True, timeout=300)
    try:
        results = json.loads(proc.stdout)["results"]
    except (ValueError, KeyError):
        return False, (proc.stdout + proc.stderr)[-300:]
    failed = [r["invariant"] for r in results if r["status"] == "fail"]
    return not failed, "all invariants pass" if not failed else "failed: " + ", ".join(failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", default=[PINNED, *OLDER])
    args = parser.parse_args()
    rows, ok = [], True
    for version in args.versions:
        venv = venv_for(version)
        with tempfile.TemporaryDirectory() as tmp:
            go_ok, go_detail = headless_counts(venv, Path(tmp))
        py_ok, py_detail = python_worker_contract(venv)
        ok = ok and go_ok and py_ok
        rows.append((version, go_ok, go_detail, py_ok, py_detail))
        print(f"locust {version}: Go worker {'ok' if go_ok else 'FAIL'} ({go_detail}); "
              f"Python worker {'ok' if py_ok else 'FAIL'} ({py_detail})", file=sys.stderr)
    print("| Locust | Go worker + master/locustfile.py | Locust Python worker vs contract |")
    print("|---|---|---|")
    for version, go_ok, go_detail, py_ok, py_detail in rows:
        print(f"| {version} | {'ok' if go_ok else 'FAIL'}: {go_detail} | {'ok' if py_ok else 'FAIL'}: {py_detail} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
