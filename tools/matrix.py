"""`make verify-matrix`: the Go worker and the contract against several Locust 2.x versions, each in
its own venv under .matrix/. For each version: a headless run of that version's master (with
master/locustfile.py) and the Go worker against a counting target, whose final stats must equal
what the target served; and `pybridge verify-protocol` on that version's Python worker."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.procs import GO_BIN, REPO, Procs, free_port, get_json, listening_on

PINNED = "2.47.0"
# The plugin needs MasterRunner.handle_message, which 2.40 does not have (it says so and exits 2).
OLDER = ("2.45.0", "2.43.4")
# The project's runtime dependencies other than Locust (pyproject.toml), installed beside each version.
DEPS = ["pyzmq", "msgpack", "typer", "rich", "requests"]


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
    procs = Procs(work)  # logs in work/, every process stopped at the end
    try:
        target = procs.start("target", [str(GO_BIN / "target"), "--listen", "127.0.0.1:0"])
        url = listening_on(target.log, "the target")
        port = free_port()
        report = work / "stats"
        master = procs.start("master", [
            str(venv / "bin" / "locust"), "-f", str(REPO / "master" / "locustfile.py"), "--master", "--headless",
            "-u", "4", "-r", "4", "-t", "5s", "--expect-workers", "1", "--master-bind-host", "127.0.0.1",
            "--master-bind-port", str(port), "--web-port", str(free_port()), "--web-host", "127.0.0.1",
            "--json-file", str(report), "-H", url])
        procs.start("worker", [str(GO_BIN / "worker"), "--master-host", "127.0.0.1", "--master-port", str(port),
                               "--target", url])
        master.wait(90)
        served = sum(get_json(url + "/_counts").values())
        path = report.with_suffix(".json")
        if not path.exists():
            return False, "no final stats: " + master.log()[-300:]
        counted = sum(e["num_requests"] for e in json.loads(path.read_text()))
        return counted == served and served > 0, f"Locust counted {counted}, the target served {served}"
    except AssertionError as e:  # a part that never listened or never finished, with its log
        return False, str(e)[-300:]
    finally:
        procs.stop_all()


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
