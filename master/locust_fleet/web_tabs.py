"""Tabs of the plugin's own in Locust's web UI. Locust shows the extra tabs named in its template
arguments (`extended_tabs`, `extended_tables`) and fills each with the rows that /stats/requests
carries under `extended_stats` (Locust's examples/extend_web_ui.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

from locust.env import Environment


def on_stats_requests(environment: Environment, change: Callable[[dict], dict | None]) -> None:
    """CHANGE sees the answer to /stats/requests (the web UI's refresh) and returns the one to give
    instead, or None to keep it. Locust memoizes that answer for a moment and hands the same object
    out again, changed already: CHANGE replaces what it adds, never appends a second copy."""
    from flask import request  # Flask comes with Locust's web UI; a headless master needs none

    @environment.web_ui.app.after_request
    def changed(response):  # type: ignore[no-untyped-def]
        if not request.path.endswith("/stats/requests") or response.status_code != 200:
            return response
        data = response.get_json(silent=True)
        if not isinstance(data, dict):
            return response
        answer = change(data)
        if answer is not None:
            response.set_data(json.dumps(answer))
        return response


def add_tab(environment: Environment, key: str, title: str, structure: list[dict],
            rows: Callable[[], list[dict]]) -> None:
    """Add the tab KEY with its column STRUCTURE; ROWS is asked for its rows on every refresh.
    Other tabs (Locust's, other plugins') are kept."""
    args = environment.web_ui.template_args
    args["extended_tabs"] = [*(args.get("extended_tabs") or []), {"title": title, "key": key}]
    args["extended_tables"] = [*(args.get("extended_tables") or []), {"key": key, "structure": structure}]

    def add_rows(data: dict) -> dict:
        others = [tab for tab in data.get("extended_stats") or [] if tab.get("key") != key]
        return {**data, "extended_stats": [*others, {"key": key, "data": rows()}]}

    on_stats_requests(environment, add_rows)
