"""One run as a self-contained HTML page: the run's facts, Locust's statistics table, the non-fatal
checks, errors, and charts over the run's time (requests/s and failures/s, percentiles per
endpoint, users, per-worker requests/s and CPU). Everything is inline; nothing is fetched when it
opens."""

from __future__ import annotations

import time
from collections import defaultdict
from html import escape

from ..threshold_report import read_record
from .store import RunData
from ..model import AGGREGATED, CHECK, METHOD, NAME, WORKER
from .summary import EndpointSummary, summarise
from .svg import line_chart

MAX_ENDPOINT_CHARTS = 20  # beyond that, the per-endpoint charts would bury the rest

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1360px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}tr.total td{font-weight:600}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}dt{color:#666}dd{margin:0}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}figcaption{font-weight:600}
svg text{font-size:11px;fill:#555}svg .grid{stroke:#eee}svg path{fill:none;stroke-width:1.6}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
"""

SUMMARY_COLUMNS = ("Type", "Name", "# Requests", "# Fails", "Median (ms)", "Average (ms)", "Min (ms)", "Max (ms)",
                   "Average size (bytes)", "Requests/s", "Failures/s")


def when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else "—"


def elapsed(row: dict, start_ns: int) -> float:
    return (row["time"] - start_ns) / 1e9


def is_total(row: dict) -> bool:
    return row[NAME] == AGGREGATED and not row.get(METHOD)


def summary_row(s: EndpointSummary) -> list[str]:
    median = s.pct(0.5)
    return [s.method, s.name, str(s.requests), str(s.failures), "—" if median is None else str(median),
            f"{s.avg_ms:.2f}", "—" if s.min_ms is None else f"{s.min_ms:.0f}", f"{s.max_ms:.0f}",
            f"{s.avg_bytes:.0f}", f"{s.rps:.2f}", f"{s.fail_per_s:.2f}"]


def summary_table(summaries: list[EndpointSummary]) -> str:
    head = "".join(f"<th>{c}</th>" for c in SUMMARY_COLUMNS)
    body = "".join(
        f'<tr class="{"total" if s.is_total else "endpoint"}">' + "".join(f"<td>{escape(c)}</td>" for c in summary_row(s))
        + "</tr>" for s in summaries)
    return f'<table id="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def errors_table(data: RunData) -> str:
    counted: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in data.errors:
        counted[(row.get(METHOD, ""), row.get(NAME, ""), row.get("error", ""))] += row.get("occurrences") or 0
    if not counted:
        return "<p>No errors.</p>"
    body = "".join(f"<tr><td>{escape(m)}</td><td>{escape(n)}</td><td>{count}</td><td>{escape(e)}</td></tr>"
                   for (m, n, e), count in sorted(counted.items(), key=lambda kv: -kv[1]))
    return ('<table id="errors"><thead><tr><th>Type</th><th>Name</th><th># Occurrences</th><th>Error</th></tr>'
            f"</thead><tbody>{body}</tbody></table>")


def charts(data: RunData) -> list[str]:
    start_ns = int(data.record.start_time * 1e9)
    total = [r for r in data.requests if is_total(r)]
    out = [line_chart("Requests/s and failures/s", [
        ("requests/s", [(elapsed(r, start_ns), r["rps"]) for r in total]),
        ("failures/s", [(elapsed(r, start_ns), r["fail_per_s"]) for r in total])], "per second")]
    endpoints: dict[str, list[dict]] = defaultdict(list)
    for r in data.requests:
        endpoints["Total" if is_total(r) else f'{r.get(METHOD, "")} {r[NAME]}'].append(r)
    for label in ["Total", *sorted(k for k in endpoints if k != "Total")][:MAX_ENDPOINT_CHARTS + 1]:
        out.append(line_chart(f"Response times: {label}", [
            (p, [(elapsed(r, start_ns), r[f"{p}_ms"]) for r in endpoints[label] if r.get(f"{p}_ms") is not None])
            for p in ("p50", "p95", "p99")], "ms"))
    out.append(line_chart("Users", [("users", [(elapsed(r, start_ns), r["users"]) for r in data.users])], "users"))
    per_worker: dict[str, list[dict]] = defaultdict(list)
    for r in data.workers:
        per_worker[r[WORKER]].append(r)
    for field, title, unit in (("rps", "Requests/s per worker", "per second"),
                               ("cpu", "CPU per worker", "% of one core")):
        out.append(line_chart(title, [(w, [(elapsed(r, start_ns), r[field]) for r in rs if r.get(field) is not None])
                                      for w, rs in sorted(per_worker.items())], unit))
    return out


def facts(data: RunData) -> str:
    r = data.record
    items = [("Run", r.run_id), ("State", r.state), ("Started", when(r.start_time)), ("Stopped", when(r.stop_time)),
             ("Duration", f"{r.duration_s:.1f} s, users ran {r.rate_seconds:.1f} s (the rest is the drain at stop)"
                          if r.duration_s else "—"), ("Users", f"{r.most_users} at the peak, {r.users} at the end"),
             ("Host", r.host or "—"), ("Description", r.description or "—"), ("Tags", r.tags or "—")]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in items) + "</dl>"


def thresholds_section(data: RunData) -> str:
    """The thresholds the run was judged by, as the master printed them; nothing for a run without."""
    results = read_record(data.record.thresholds)
    if not results:
        return ""
    failed = sum(not r["passed"] for r in results)
    body = "".join(
        f'<tr class="{"passed" if r["passed"] else "failed"}"><td>{escape(r["threshold"])}</td>'
        f'<td>{escape(r["limit"])}</td><td>{escape(r["measured"])}</td>'
        f'<td>{"pass" if r["passed"] else "FAIL (" + escape(r["result"]) + ")"}'
        + (f', stopped the test at {r["aborted_at_s"]:.1f} s' if "aborted_at_s" in r else "") + "</td></tr>"
        for r in results)
    return (f"<h2>Thresholds</h2><p>{len(results) - failed} passed, {failed} failed.</p>"
            '<table id="thresholds"><thead><tr><th>Threshold</th><th>Limit</th><th>Measured</th><th>Result</th></tr>'
            f"</thead><tbody>{body}</tbody></table>")


def checks_section(data: RunData) -> str:
    """The scenario's non-fatal checks (never in the request rows), as the master printed them at
    the stop; nothing for a run without."""
    if not data.checks:
        return ""
    ordered = sorted(data.checks, key=lambda r: (r.get(NAME, ""), r.get(METHOD, ""), r.get(CHECK, "")))
    body = "".join(
        f"<tr><td>{escape(r.get(METHOD, ''))}</td><td>{escape(r.get(NAME, ''))}</td><td>{escape(r.get(CHECK, ''))}</td>"
        f"<td>{r['passes']}</td><td>{r['fails']}</td><td>{pass_percent(r['passes'], r['fails'])}</td></tr>"
        for r in ordered)
    return ("<h2>Checks</h2><p>Non-fatal checks: counted here, never failing their requests.</p>"
            '<table id="checks"><thead><tr><th>Type</th><th>Name</th><th>Check</th><th># Passes</th><th># Fails</th>'
            f"<th>Pass %</th></tr></thead><tbody>{body}</tbody></table>")


def pass_percent(passes: int, fails: int) -> str:
    return f"{100 * passes / (passes + fails):.2f}" if passes + fails else "—"


def render(data: RunData) -> str:
    summaries = summarise(data.requests, data.record.rate_seconds)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Locust run {escape(data.record.run_id)}'
            f'</title><style>{STYLE}</style></head><body>'
            f"<h1>Locust run {escape(data.record.run_id)}</h1>{facts(data)}{thresholds_section(data)}"
            f"<h2>Statistics</h2><p>Requests/s and Failures/s are over the {data.record.rate_seconds:.1f} s users "
            "ran, from the start to the last request, as Locust computes them.</p>"
            f"{summary_table(summaries)}{checks_section(data)}"
            f'<h2>Charts</h2><div class="charts">{"".join(charts(data))}</div>'
            f"<h2>Errors</h2>{errors_table(data)}</body></html>\n")
