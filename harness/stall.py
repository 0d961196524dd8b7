"""A load test through a stalled server: a real master, one Go worker and the counting target,
whose /stall endpoint stops answering for a window in the middle of the run. Run in the open
model (`arrival:`) and in the closed model (`wait: {pacing}`, the same rate while the server is
fast), it shows what coordinated omission hides. Used by the end-to-end test and by the bench."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .parts import Master, Target, start_worker
from .procs import Procs, wait_until

PERCENTILES = (0.50, 0.90, 0.99, 0.999)


@dataclass
class StallRun:
    model: str
    users: int
    rate: float                      # per user, per second
    arrivals: dict[int, int]         # unix second -> requests that arrived at the target
    steady: list[int]                # the seconds with every user running, first and last cut off
    stall: tuple[float, float]       # the stall window, unix seconds
    served: int                      # answers the target counted
    entries: dict[tuple[str, str], dict]  # Locust's JSON report, by (method, name)

    @property
    def stats(self) -> dict:
        return self.entries[("GET", "stall")]

    def percentile(self, q: float) -> int:
        """Response time (ms) at quantile q of Locust's histogram of the stalled endpoint."""
        times = sorted((int(float(ms)), n) for ms, n in self.stats["response_times"].items())
        total, seen = sum(n for _, n in times), 0
        for ms, n in times:
            seen += n
            if seen >= q * total:
                return ms
        return times[-1][0]


def scenario(model: str, host: str, rate: float, max_lag: str = "") -> str:
    if model == "open":
        pace = f"arrival: {{rate: {rate:g}/s{', max_lag: ' + max_lag if max_lag else ''}}}"
    else:
        pace = f"wait: {{pacing: {1000 / rate:g}ms}}"
    return f"host: {host}\n{pace}\ntasks:\n  - name: stall\n    path: /stall\n"


def run(procs: Procs, worker_bin: Path, target_bin: Path, work: Path, model: str, *, users: int = 20,
        rate: float = 20, seconds: int = 10, stall_at: float = 4, stall_for: float = 2,
        max_lag: str = "", exit_codes: tuple[int, ...] = (0,)) -> StallRun:
    """One run: users × rate against /stall for `seconds`; stall_at seconds after every user
    runs, the target stalls for stall_for seconds. max_lag: the open model's (the scenario's
    default, 1s, when empty); exit_codes: the master's that are expected (1: some failure)."""
    target = Target(procs, target_bin)
    path = work / f"{model}.yaml"
    path.write_text(scenario(model, target.url, rate, max_lag))
    report = work / f"{model}-stats"
    master = Master(procs, "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
                    "--expect-workers", "1", "--json-file", str(report), name=f"master-{model}")
    worker = start_worker(procs, worker_bin, master.port, "--scenario", str(path), name=f"worker-{model}")
    # A headless master serves no stats: boomer logs the count it was told, and the runtime
    # starts that many users at once.
    spawned = re.compile(rf"total number of clients required is\s+{users}\b")
    wait_until(lambda: spawned.search(worker.log()), 30, f"{users} users spawned")
    full = time.time()
    time.sleep(stall_at)
    began = time.time()
    target.stall(stall_for)
    code = master.proc.wait(seconds + 60)
    assert code in exit_codes, master.proc.log()[-3000:]
    arrivals = target.arrivals()
    last = max(arrivals)
    steady = list(range(int(full) + 1, last))  # the last second is cut short by the stop
    entries = {(e["method"], e["name"]): e for e in json.loads(report.with_suffix(".json").read_text())}
    return StallRun(model, users, rate, arrivals, steady, (began, began + stall_for),
                    target.counts().get("GET /stall", 0), entries)
