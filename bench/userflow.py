"""User flows per core and users per worker: the acceptance flow of docs/scenario.md sent by one
Go worker and by Locust's FastHttpUser, each alone on the generator core against the counting
target on the other core; and the memory of one Go worker holding many users that wait between
tasks.

Per core means per CPU-second of the generator process: requests the target served while the
generator was measured, divided by the CPU time the generator used meanwhile (/proc). That figure
holds whether the generator or the target is the limit. The flow runs without its waits and its
think time, which only idle the core; requests, checks, extraction and templates stay."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import GENERATOR_CPU, TARGET_CPU, WARMUP, FlowFigures, window
from harness.procs import REPO, VENV_BIN, Procs, free_port, listening_on, wait_until

FLOW = REPO / "workers-go" / "examples" / "scenarios" / "flow.yaml"
ACCOUNTS = FLOW.parent / "accounts.csv"
FAST_HTTP_FLOW = REPO / "bench" / "locustfiles" / "fast_http_flow.py"


def served(url: str) -> int:
    out = subprocess.run(["curl", "-sf", url + "/_counts"], capture_output=True, text=True, check=True).stdout
    return sum(int(n) for n in re.findall(r":(\d+)", out))


def start_target(procs: Procs, target_bin: Path) -> str:
    proc = procs.start("target", ["taskset", "-c", TARGET_CPU, str(target_bin), "--listen", "127.0.0.1:0"])
    return listening_on(proc.log, "the target")


def without_pauses(work: Path) -> Path:
    """The acceptance flow with its wait and think steps taken out, beside a copy of its accounts."""
    text = FLOW.read_text()
    text = re.sub(r"(?m)^wait:.*\n", "", text)
    text = re.sub(r"(?m)^      - think:.*\n", "", text)
    path = work / "flow-no-pauses.yaml"
    path.write_text(text)
    (work / ACCOUNTS.name).write_text(ACCOUNTS.read_text())
    return path


def go_flow(procs: Procs, url: str, scenario: Path, users: int, seconds: float, worker_bin: Path,
            profile: Path | None = None) -> FlowFigures:
    port = free_port()
    run_time = int(WARMUP + seconds + 5)
    procs.start("master", ["taskset", "-c", TARGET_CPU, str(VENV_BIN / "locust"), "-f", str(REPO / "master" / "locustfile.py"),
                           "--master", "--headless", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                           "--web-host", "127.0.0.1", "--web-port", str(free_port()), "-u", str(users), "-r", str(users),
                           "-t", f"{run_time}s", "--expect-workers", "1", "-H", url])
    args = ["taskset", "-c", GENERATOR_CPU, str(worker_bin), "--master-host", "127.0.0.1", "--master-port", str(port),
            "--scenario", str(scenario), "--target", url]
    if profile is not None:
        # boomer profiles from its start: cover the wait for the spawn, the warm-up and the window.
        args += ["--cpu-profile", str(profile), "--cpu-profile-duration", f"{int(WARMUP + seconds + 2)}s"]
    worker = procs.start("worker", args)
    time.sleep(1.5)  # the master waits for the worker, then spawns every user at once
    figures = window(worker, url, seconds, served)
    worker.wait(run_time + 60)
    return figures


def fast_http_flow(procs: Procs, url: str, users: int, seconds: float, work: Path) -> FlowFigures:
    run_time = int(WARMUP + seconds + 5)
    proc = procs.start("fast_http_flow", [
        "taskset", "-c", GENERATOR_CPU, str(VENV_BIN / "locust"), "-f", str(FAST_HTTP_FLOW), "--headless",
        "-u", str(users), "-r", str(users), "-t", f"{run_time}s", "-H", url,
        "--web-host", "127.0.0.1", "--web-port", str(free_port())],
        env={"FLOW_ACCOUNTS": str(work / ACCOUNTS.name), "FLOW_WAIT": "0,0", "FLOW_THINK": "0"})
    time.sleep(1.5)
    figures = window(proc, url, seconds, served)
    proc.wait(run_time + 60)
    return figures


def measure_flows(work: Path, worker_bin: Path, target_bin: Path, seconds: float, repeat: int,
                  users: int) -> dict[str, list[FlowFigures]]:
    """Go worker and FastHttpUser taking turns, a fresh target for each run (logins are per run)."""
    scenario = without_pauses(work)
    results: dict[str, list[FlowFigures]] = {"Go worker": [], "FastHttpUser": []}
    for i in range(repeat):
        for name in results:
            procs = Procs(work)
            try:
                url = start_target(procs, target_bin)
                if name == "Go worker":
                    profile = work / "worker.cpu.pprof" if i == repeat - 1 else None
                    results[name].append(go_flow(procs, url, scenario, users, seconds, worker_bin, profile))
                else:
                    results[name].append(fast_http_flow(procs, url, users, seconds, work))
            finally:
                procs.stop_all()
        print(f"  flow round {i + 1}/{repeat}: " + ", ".join(
            f"{k} {v[-1].per_cpu_second:,.0f} req/CPU-s" for k, v in results.items()), flush=True)
    return results


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    now = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return now / 1024, peak / 1024


@dataclass
class UsersFigures:
    users: int
    rss_mb: float
    peak_mb: float
    rate: float  # requests/s the target served while the users ran
    master_users: int  # the user count the master showed once the users were spawned
    counted: int  # requests Locust counted in the whole run (after the stop)
    served: int  # requests the target served in the whole run

    @property
    def exact(self) -> bool:
        return self.master_users == self.users and self.counted == self.served


def master_user_count(web: str) -> int:
    out = subprocess.run(["curl", "-sf", web + "/stats/requests"], capture_output=True, text=True, check=True).stdout
    return int(json.loads(out)["user_count"])


def measure_users(work: Path, worker_bin: Path, target_bin: Path, users: int, seconds: float) -> UsersFigures:
    """One worker holding `users` users that each send GET / and then wait 1 s: its memory, the
    user count the master shows, and whether Locust counted, after the stop, every request the
    target served."""
    scenario = work / "waiting-users.yaml"
    scenario.write_text("wait: {constant: 1s}\ntasks:\n  - name: home\n    path: /\n")
    report = work / f"users-{users}"
    procs = Procs(work)
    try:
        url = start_target(procs, target_bin)
        port, web_port = free_port(), free_port()
        run_time = int(seconds + 30)
        master = procs.start("master", [
            str(VENV_BIN / "locust"), "-f", str(REPO / "master" / "locustfile.py"), "--master",
            "--autostart", "--autoquit", "1",  # headless, with the web API that shows the user count
            "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--web-host", "127.0.0.1",
            "--web-port", str(web_port), "-u", str(users), "-r", str(users), "-t", f"{run_time}s",
            "--expect-workers", "1", "-H", url, "--json-file", str(report)])
        worker = procs.start("worker", [str(worker_bin), "--master-host", "127.0.0.1", "--master-port", str(port),
                                        "--scenario", str(scenario), "--target", url])
        web = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: "All users spawned" in master.log() or not master.alive(), 60, "the master to spawn the users")
        time.sleep(10)  # settled: every user has sent and waits in turn
        master_users = master_user_count(web)
        n0, t0 = served(url), time.monotonic()
        time.sleep(seconds)
        n1, t1 = served(url), time.monotonic()
        now, peak = rss_mb(worker.pid)
        master.wait(run_time + 120)
        entries = json.loads(report.with_suffix(".json").read_text())
        counted = sum(e["num_requests"] for e in entries)
        return UsersFigures(users, now, peak, (n1 - n0) / (t1 - t0), master_users, counted, served(url))
    finally:
        procs.stop_all()


def profile_top(worker_bin: Path, profile: Path, lines: int = 25) -> str:
    """The top of the Go worker's CPU profile (cumulative), as `go tool pprof` prints it."""
    out = subprocess.run(["go", "tool", "pprof", "-top", "-cum", f"-nodecount={lines}", str(worker_bin), str(profile)],
                         cwd=REPO / "workers-go", capture_output=True, text=True, check=True).stdout
    return out[out.index("flat  flat%"):] if "flat  flat%" in out else out


def median_of(figures: list[FlowFigures], attr: str) -> float:
    return statistics.median(getattr(f, attr) for f in figures)
