"""Runs a Grafana dashboard's InfluxQL queries the way Grafana would: dashboard variables and
macros substituted, against a real InfluxDB. Reports every query that fails, returns no series,
or returns a column with no value (a misspelt field)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .influxd import InfluxServer

VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
REGEX_SPECIALS = re.compile(r"([\\^$.|?*+()\[\]{}/])")


def escape_regex(value: str) -> str:
    return REGEX_SPECIALS.sub(r"\\\1", value)


def interpolate(query: str, values: dict[str, list[str]], multi: set[str], time_range_ms: tuple[int, int],
                interval: str = "1s") -> str:
    """Grafana's InfluxQL interpolation: $timeFilter and $__interval macros; a multi-value variable
    becomes a regex alternation of its escaped values, a single-value one its raw value."""
    start, end = time_range_ms
    query = query.replace("$timeFilter", f"time >= {start}ms and time <= {end}ms").replace("$__interval", interval)

    def substitute(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"${name} is not a variable of this dashboard")
        chosen = values[name]
        return "(" + "|".join(escape_regex(v) for v in chosen) + ")" if name in multi else chosen[0]

    return VARIABLE.sub(substitute, query)


def panel_queries(dashboard: dict) -> Iterator[tuple[str, str]]:
    """(where, query) for every panel target and annotation with a query."""
    for panel in dashboard["panels"]:
        for t in panel.get("targets", []):
            yield f"panel {panel['title']!r} target {t['refId']}", t["query"]
    for annotation in dashboard["annotations"]["list"]:
        if "query" in annotation:
            yield f"annotation {annotation['name']!r}", annotation["query"]


def resolve_variables(dashboard: dict, influx: InfluxServer, database: str, fixed: dict[str, str],
                      time_range_ms: tuple[int, int]) -> tuple[dict[str, list[str]], set[str], list[str]]:
    """Runs each variable's query in order; a variable named in `fixed` takes that value (which
    must be among its query's values), a multi-value one takes all its values (Grafana's All)."""
    values: dict[str, list[str]] = {}
    multi: set[str] = set()
    problems: list[str] = []
    for var in dashboard["templating"]["list"]:
        name = var["name"]
        query = interpolate(var["query"], values, multi, time_range_ms)
        found = [row[1] for s in influx.query(query, db=database) for row in s.get("values", [])]
        if not found:
            problems.append(f"variable ${name}: no values from {query}")
            continue
        if name in fixed:
            if fixed[name] not in found:
                problems.append(f"variable ${name}: {fixed[name]!r} not among {found}")
            values[name] = [fixed[name]]
        else:
            values[name] = found
        if var.get("multi") or var.get("includeAll"):
            multi.add(name)
    return values, multi, problems


def check_dashboard(dashboard: dict, influx: InfluxServer, database: str, fixed: dict[str, str],
                    time_range_ms: tuple[int, int]) -> list[str]:
    values, multi, problems = resolve_variables(dashboard, influx, database, fixed, time_range_ms)
    if problems:
        return problems
    for where, raw in panel_queries(dashboard):
        try:
            query = interpolate(raw, values, multi, time_range_ms)
        except KeyError as e:
            problems.append(f"{where}: {e.args[0]}")
            continue
        try:
            series = influx.query(query, db=database)
        except AssertionError as e:  # InfluxDB answered with an error
            problems.append(f"{where}: InfluxDB error {e} for {query}")
            continue
        if not series:
            problems.append(f"{where}: no series for {query}")
            continue
        for column_index, column in enumerate(series[0]["columns"]):
            if not any(row[column_index] is not None for s in series for row in s["values"]):
                problems.append(f"{where}: column {column!r} has no value in any series for {query}")
    return problems
