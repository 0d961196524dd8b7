"""The open model (`arrival:`): the user runtime at set request rates on one core against nginx
(workers-go/cmd/ratebench, pinned to core 0, nginx on core 1), beside the closed model paced to
the same rate and vegeta (an open-model generator with as many workers as our users) at the same
rate; the rates are fixed ones and fractions and multiples of the core's saturation rate, measured
first; the stall comparison of docs/open-model.md (harness/stall.py); and overload through a target
stall (overload_stall.py)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import overload_stall, ratebench
from bench.loadgen import GENERATOR_CPU, start_nginx
from bench.ratebench import USERS
from harness import stall
from harness.procs import GO_BIN, REPO, Procs

VEGETA = REPO / ".tools" / "bin" / "vegeta"
# The set rates: two fixed ones, then fractions and multiples of what the core can do (its
# saturation rate, measured first in the same run).
FIXED_RATES = (5_000, 20_000)
SATURATION_SHARES = (0.8, 2.0, 4.0)
GENERATORS = ("open", "closed", "vegeta")


@dataclass
class Figures:
    rate: float          # requests/s answered (vegeta: successful answers/s, its throughput)
    cpu_us: float        # CPU time per request, microseconds
    lag_p99_ms: float    # schedule lag p99 (open model only)
    failures: int        # answers that failed
    not_started: int = 0  # arrivals the open model recorded as not started


def runtime(url: str, model: str, rate: float, seconds: int) -> Figures:
    r = ratebench.run(url, model, rate, seconds)
    done = r["requests"] + r["failures"]
    return Figures(r["rate"], r["cpu_seconds"] / max(done, 1) * 1e6, r["lag_p99_ms"], r["failures"], r["skipped"])


def saturation(url: str, seconds: int) -> float:
    """What the core can do: the closed model's users sending back to back (paced so fast that no
    user ever waits)."""
    return runtime(url, "closed", 100_000_000, seconds).rate


def vegeta(url: str, rate: float, seconds: int, work: Path) -> Figures:
    """vegeta configured as fairly as it can be: as many workers as our users, never more."""
    targets, results = work / "targets.txt", work / "vegeta.bin"
    targets.write_text(f"GET {url}/\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["taskset", "-c", GENERATOR_CPU, str(VEGETA), "attack", f"-rate={rate:.0f}/s",
                    f"-workers={USERS}", f"-max-workers={USERS}", f"-duration={seconds + 1}s", f"-targets={targets}",
                    f"-output={results}"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(subprocess.run([str(VEGETA), "report", "-type=json", str(results)],
                                       capture_output=True, text=True, check=True).stdout)
    failures = report["requests"] - round(report["success"] * report["requests"])
    return Figures(report["throughput"], cpu / max(report["requests"], 1) * 1e6, 0.0, failures)


def measure(work: Path, seconds: int, repeat: int) -> dict:
    """The core's saturation rate (the median of `repeat` runs), then every set rate `repeat`
    times, the three generators taking turns; then the stall comparison in both models."""
    overload_stall.check_seconds(seconds)
    ratebench.build()
    loads = [os.getloadavg()[0]]
    procs = Procs(work)
    try:
        url = start_nginx(procs, work)
        saturations = [saturation(url, seconds) for _ in range(repeat)]
        top = statistics.median(saturations)
        print(f"  saturation: {', '.join(f'{r:,.0f}/s' for r in saturations)}", file=sys.stderr, flush=True)
        rates = [*FIXED_RATES, *(round(share * top, -2) for share in SATURATION_SHARES)]
        rows: dict[float, dict[str, list[Figures]]] = {r: {g: [] for g in GENERATORS} for r in rates}
        for i in range(repeat):
            for rate in rates:
                rows[rate]["open"].append(runtime(url, "open", rate, seconds))
                rows[rate]["closed"].append(runtime(url, "closed", rate, seconds))
                rows[rate]["vegeta"].append(vegeta(url, rate, seconds, work))
                loads.append(os.getloadavg()[0])
                print(f"  round {i + 1}/{repeat} at {rate:,.0f}/s: " + ", ".join(
                    f"{k} {v[-1].rate:,.0f}/s {v[-1].cpu_us:.1f} µs/req" for k, v in rows[rate].items()),
                    file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
    runs = {}
    for model in ("open", "closed"):
        group = Procs(work)
        try:
            runs[model] = stall.run(group, GO_BIN / "worker", GO_BIN / "target", work, model, seconds=20,
                                    stall_at=8, stall_for=2)
        finally:
            group.stop_all()
    overload_rate = round(SATURATION_SHARES[-1] * top, -2)
    overloaded = overload_stall.measure(work, overload_rate, seconds, repeat)
    return {"rows": rows, "saturation": top, "saturations": saturations, "stall": runs, "loads": loads,
            "overload_stall": overloaded, "overload_rate": overload_rate}


def med(figures: list[Figures], attr: str) -> float:
    return statistics.median(getattr(f, attr) for f in figures)


def section(m: dict, seconds: int, repeat: int) -> str:
    rows, top = m["rows"], m["saturation"]
    lines = [
        "## 6. Open model",
        "",
        f"`workers-go/cmd/ratebench`: the user runtime ({USERS} users sharing the set rate, `GET /`) alone on core "
        f"{GENERATOR_CPU}, nginx (`return 200`, 1 worker process) on the other core; {seconds} s measured after a 1 s "
        f"warm-up; {repeat} rounds, the generators taking turns. Saturation: what the core can do, the closed "
        f"model's users sending back to back (median of {repeat} runs: **{top:,.0f} req/s**; "
        f"{', '.join(f'{r:,.0f}' for r in m['saturations'])}); the set rates are two fixed ones and 0.8 ×, 2 × and "
        "4 × it. Open: `Arrival` (constant, the rate split over the users; an arrival that finds the CPU saturated "
        "is recorded as not started). Closed: the same users paced to the same rate (`Pacing`), each waiting for "
        f"its answer, started one after another over one pacing interval as a spawn rate starts them (started "
        "together they stay in lockstep and their answers come back in bursts, which saves wake-ups a real test "
        f"does not save). vegeta v12.13.0 `attack -rate R -workers {USERS} -max-workers {USERS}` on the same core: as "
        f"many concurrent requests as our users, never more (its CPU over the whole attack; its rate is its "
        "throughput, successful answers per second). CPU per request is the process's user+system time over the "
        "requests it completed; schedule lag is how late the open model started each task it started (the arrivals it did not start "
        "are counted under not started). The runtime runs "
        "without a master here, so boomer's stats cost is in none of the figures. Figures are medians; spread is "
        "min – max.",
        "",
        "| set rate | × saturation | open req/s | spread | within 1 % | lag p99 (ms) | not started | open µs/req "
        "| closed req/s | closed µs/req | open/closed CPU | vegeta req/s | vegeta µs/req | open/vegeta CPU "
        "| open/vegeta rate |",
        "|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rate, gens in rows.items():
        o, c, v = gens["open"], gens["closed"], gens["vegeta"]
        achieved = [f.rate for f in o]
        within = abs(statistics.median(achieved) - rate) <= 0.01 * rate
        lines.append(
            f"| {rate:,.0f} | {rate / top:.2f} | {med(o, 'rate'):,.0f} | {min(achieved):,.0f} – {max(achieved):,.0f} "
            f"| {'yes' if within else 'no'} | {med(o, 'lag_p99_ms'):.2f} | {med(o, 'not_started'):,.0f} "
            f"| {med(o, 'cpu_us'):.1f} | {med(c, 'rate'):,.0f} | {med(c, 'cpu_us'):.1f} "
            f"| {med(o, 'cpu_us') / med(c, 'cpu_us'):.2f} | {med(v, 'rate'):,.0f} | {med(v, 'cpu_us'):.1f} "
            f"| {med(o, 'cpu_us') / med(v, 'cpu_us'):.2f} | {med(o, 'rate') / med(v, 'rate'):.2f} |")
    lines += ["", goals(rows, top), "",
              f"The 1-minute load average was {min(m['loads']):.1f} – {max(m['loads']):.1f} during the rounds on "
              f"{len(os.sched_getaffinity(0))} cores, the benchmark's own processes included: other work on the "
              "generator's core delays its timers, and then the closed model slows down unseen while the open model "
              "starts late tasks in a burst or records them as not started.", ""]
    lines += ["### Through a stalled server", "",
              "`harness/stall.py`: a real master, one worker, 20 users at 20/s (400/s) against the counting target's "
              "`/stall`, which stops answering for 2 s, 8 s into a 20 s run; the closed model paces the same users "
              "to the same rate (`wait: {pacing: 50ms}`). Response times from Locust's report.", "",
              stall_table(m["stall"]), ""]
    lines += ["### Overloaded through a target stall", "",
              overload_stall.table(m["overload_stall"], m["overload_rate"]), ""]
    return "\n".join(lines)


def goals(rows: dict[float, dict[str, list[Figures]]], top: float) -> str:
    """The goals' verdicts: up to 0.8 × saturation within 1 % with lag p99 < 2 ms; past it at least
    0.9 × saturation delivered; CPU per request at most 1.2 × the closed model's at the same rate."""
    below = [r for r in rows if r <= 0.8 * top * 1.001]
    above = [r for r in rows if r > top]
    held = all(abs(med(rows[r]["open"], "rate") - r) <= 0.01 * r and med(rows[r]["open"], "lag_p99_ms") < 2
               for r in below)
    worst_lag = max(med(rows[r]["open"], "lag_p99_ms") for r in below)
    delivered = min(med(rows[r]["open"], "rate") / top for r in above)
    # Past saturation the closed model's paced users send back to back: what the core did in the same
    # rounds, steadier than the saturation measured first on a machine whose speed drifts.
    beside_closed = min(med(rows[r]["open"], "rate") / med(rows[r]["closed"], "rate") for r in above)
    cpu = max(med(rows[r]["open"], "cpu_us") / med(rows[r]["closed"], "cpu_us") for r in below)
    return (f"Goals: up to 0.8 × saturation, within 1 % of the set rate with lag p99 < 2 ms — "
            f"**{'met' if held else 'missed'}** (largest lag p99 {worst_lag:.2f} ms); at 2 × and 4 × saturation, "
            f"≥ 0.9 × the saturation rate delivered, the rest recorded as not started — "
            f"**{'met' if delivered >= 0.9 else 'missed'}** (least {delivered:.2f} ×; {beside_closed:.2f} × what the "
            f"closed model's users sending back to back did in the same rounds); CPU per request ≤ 1.2 × the "
            f"closed model's at the same rate, up to 0.8 × saturation — **{'met' if cpu <= 1.2 else 'missed'}** "
            f"(largest {cpu:.2f} ×).")


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
