"""The open model (`arrival:`): the user runtime at set request rates on one core against nginx
(workers-go/cmd/ratebench, pinned to core 0, nginx on core 1), beside the closed model paced to
the same rate and vegeta (an open-model generator) at the same rate; the highest rate one core
holds within 1 %; and the stall comparison of docs/open-model.md (harness/stall.py)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import GENERATOR_CPU, start_nginx
from harness import stall
from harness.procs import REPO, Procs

RATES = (5_000, 20_000, 50_000)
USERS = 50
VEGETA = REPO / ".tools" / "bin" / "vegeta"
RATEBENCH = REPO / "workers-go" / "bin" / "ratebench"


@dataclass
class Figures:
    rate: float          # achieved requests/s
    cpu_us: float        # CPU time per request, microseconds
    lag_p99_ms: float    # schedule lag p99 (open model only)
    failures: int

    def held(self, set_rate: float) -> bool:
        return self.failures == 0 and abs(self.rate - set_rate) <= 0.01 * set_rate


def build() -> None:
    subprocess.run(["go", "build", "-o", str(RATEBENCH), "./cmd/ratebench"], cwd=REPO / "workers-go", check=True)


def runtime(url: str, model: str, rate: float, seconds: int) -> Figures:
    out = subprocess.run(["taskset", "-c", GENERATOR_CPU, str(RATEBENCH), "-target", url, "-rate", str(rate),
                          "-users", str(USERS), "-seconds", str(seconds), "-model", model],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    done = r["requests"] + r["failures"]
    return Figures(r["rate"], r["cpu_seconds"] / max(done, 1) * 1e6, r["lag_p99_ms"], r["failures"] + r["skipped"])


def vegeta(url: str, rate: float, seconds: int, work: Path) -> Figures:
    targets, results = work / "targets.txt", work / "vegeta.bin"
    targets.write_text(f"GET {url}/\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["taskset", "-c", GENERATOR_CPU, str(VEGETA), "attack", f"-rate={rate:g}/s",
                    f"-duration={seconds + 1}s", f"-targets={targets}", f"-output={results}"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(subprocess.run([str(VEGETA), "report", "-type=json", str(results)],
                                       capture_output=True, text=True, check=True).stdout)
    failures = report["requests"] - round(report["success"] * report["requests"])
    return Figures(report["rate"], cpu / max(report["requests"], 1) * 1e6, 0.0, failures)


def measure(work: Path, seconds: int, repeat: int) -> dict:
    """Every set rate `repeat` times, the three generators taking turns; then the highest rate the
    open model holds within 1 % (doubling from the largest set rate that held, then halving the
    step three times, one run per step); then the stall comparison in both models."""
    build()
    rows: dict[int, dict[str, list[Figures]]] = {r: {"open": [], "closed": [], "vegeta": []} for r in RATES}
    loads = []
    procs = Procs(work)
    try:
        url = start_nginx(procs, work)
        for i in range(repeat):
            for rate in RATES:
                rows[rate]["open"].append(runtime(url, "open", rate, seconds))
                rows[rate]["closed"].append(runtime(url, "closed", rate, seconds))
                rows[rate]["vegeta"].append(vegeta(url, rate, seconds, work))
                loads.append(os.getloadavg()[0])
                print(f"  round {i + 1}/{repeat} at {rate:,}/s: " + ", ".join(
                    f"{k} {v[-1].rate:,.0f}/s {v[-1].cpu_us:.1f} µs/req" for k, v in rows[rate].items()), file=sys.stderr)
        held = [r for r in RATES if statistics.median(f.rate for f in rows[r]["open"]) >= 0.99 * r
                and all(f.failures == 0 for f in rows[r]["open"])]
        search = []
        low = max(held, default=1_000)
        high = low * 2
        while len(search) < 6:
            f = runtime(url, "open", high, seconds)
            search.append((high, f))
            print(f"  search {high:,}/s: {f.rate:,.0f}/s, {f.failures} failures", file=sys.stderr)
            if not f.held(high):
                break
            low, high = high, high * 2
        step = (high - low) / 2
        for _ in range(3):
            mid = low + step
            f = runtime(url, "open", mid, seconds)
            search.append((mid, f))
            print(f"  search {mid:,.0f}/s: {f.rate:,.0f}/s, {f.failures} failures", file=sys.stderr)
            if f.held(mid):
                low = mid
            step /= 2
    finally:
        procs.stop_all()
    runs = {}
    for model in ("open", "closed"):
        group = Procs(work)
        try:
            runs[model] = stall.run(group, REPO / "workers-go" / "bin" / "worker", REPO / "workers-go" / "bin" / "target",
                                    work, model, seconds=20, stall_at=8, stall_for=2)
        finally:
            group.stop_all()
    return {"rows": rows, "highest": low, "search": search, "stall": runs, "loads": loads}


def section(m: dict, seconds: int, repeat: int) -> str:
    rows = m["rows"]
    lines = [
        "## 6. Open model",
        "",
        f"`workers-go/cmd/ratebench`: the user runtime ({USERS} users sharing the set rate, `GET /`) alone on core "
        f"{GENERATOR_CPU}, nginx (`return 200`, 1 worker process) on the other core; {seconds} s measured after a 1 s "
        f"warm-up; {repeat} rounds, the generators taking turns. Open: `Arrival` (constant, the rate split over the "
        "users). Closed: the same users paced to the same rate (`Pacing`), each waiting for its answer. vegeta "
        "v12.13.0 `attack -rate` on the same core (its CPU over the whole attack; its rate is the rate it sent at). "
        "CPU per request is the process's "
        "user+system time over the requests it completed; schedule lag is how late the open model handled each "
        "arrival. The runtime runs without a master here, so boomer's stats cost is in none of the figures. "
        "Figures are medians; spread is min – max.",
        "",
        "| set rate | open req/s | spread | within 1 % | lag p99 (ms) | open µs/req | closed µs/req | open/closed "
        "| vegeta µs/req | open/vegeta |",
        "|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rate, gens in rows.items():
        med = {k: statistics.median(f.cpu_us for f in v) for k, v in gens.items()}
        achieved = [f.rate for f in gens["open"]]
        a = statistics.median(achieved)
        within = abs(a - rate) <= 0.01 * rate and all(f.failures == 0 for f in gens["open"])
        lines.append(f"| {rate:,} | {a:,.0f} | {min(achieved):,.0f} – {max(achieved):,.0f} | "
                     f"{'yes' if within else 'no'} | {statistics.median(f.lag_p99_ms for f in gens['open']):.2f} | "
                     f"{med['open']:.1f} | {med['closed']:.1f} | {med['open'] / med['closed']:.2f} | "
                     f"{med['vegeta']:.1f} | {med['open'] / med['vegeta']:.2f} |")
    search = ", ".join(f"{r:,.0f}/s → {f.rate:,.0f}/s{'' if f.failures == 0 else f' ({f.failures:,} not started)'}"
                       for r, f in m["search"])
    lines += ["", f"Highest rate one core held within 1 % (no arrival skipped): **{m['highest']:,.0f} req/s** "
                  f"(one run per step: {search}).", "",
              f"The 1-minute load average was {min(m['loads']):.1f} – {max(m['loads']):.1f} during the rounds on "
              f"{len(os.sched_getaffinity(0))} cores, the benchmark's own processes included: other work on the "
              "generator's core delays its timers, and then the closed model slows down unseen while the open model "
              "starts late tasks in a burst, each on a slot of its own (waiting for one of its connections), or records "
              "them as not started; both cost CPU per request, the burst's open slots most.", ""]
    lines += ["### Through a stalled server", "",
              "`harness/stall.py`: a real master, one worker, 20 users at 20/s (400/s) against the counting target's "
              "`/stall`, which stops answering for 2 s, 8 s into a 20 s run; the closed model paces the same users "
              "to the same rate (`wait: {pacing: 50ms}`). Response times from Locust's report.", "",
              stall_table(m["stall"]), ""]
    return "\n".join(lines)


def stall_table(runs: dict[str, stall.StallRun]) -> str:
    lines = ["| | open model (`arrival: {rate: 20/s}`) | closed model (`wait: {pacing: 50ms}`) |", "|---|---:|---:|"]
    o, c = runs["open"], runs["closed"]

    def during(r: stall.StallRun) -> str:
        secs = [s for s in r.steady if r.stall[0] - 1 < s < r.stall[1]]
        return ", ".join(str(r.arrivals.get(s, 0)) for s in secs)

    rows = [("requests the target served", lambda r: f"{r.served:,}"),
            ("requests Locust counted", lambda r: f"{r.stats['num_requests']:,}"),
            ("arrivals per second, lowest of the steady seconds", lambda r: f"{min(r.arrivals.get(s, 0) for s in r.steady):,}"),
            ("arrivals in the seconds of the stall", during)]
    rows += [(f"p{q * 100:g} (ms)", lambda r, q=q: f"{r.percentile(q):,}") for q in stall.PERCENTILES]
    rows += [("max (ms)", lambda r: f"{r.stats['max_response_time']:,.0f}"),
             ("failures", lambda r: f"{r.stats['num_failures']:,}")]
    for label, fn in rows:
        lines.append(f"| {label} | {fn(o)} | {fn(c)} |")
    return "\n".join(lines)
