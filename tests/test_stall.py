"""harness/stall.py's pure parts: the scenario of each model and percentiles from Locust's histogram."""

from __future__ import annotations

import pytest

from harness import stall


def run_with(times: dict[str, int]) -> stall.StallRun:
    return stall.StallRun("open", 1, 1.0, {}, [], (0.0, 0.0), 0,
                          {("GET", "stall"): {"response_times": times}})


@pytest.mark.parametrize("q, want", [(0.5, 1), (0.9, 1), (0.95, 1900), (0.99, 2000), (1.0, 2000)])
def test_percentile(q, want):
    # 90 fast answers, 5 at 1.9 s and 5 at 2 s; Locust's JSON keys are strings
    run = run_with({"1": 90, "1900": 5, "2000": 5})
    assert run.percentile(q) == want


@pytest.mark.parametrize("model, pace", [("open", "arrival: {rate: 20/s}"), ("closed", "wait: {pacing: 50ms}")])
def test_scenario(model, pace):
    assert stall.scenario(model, "http://127.0.0.1:1", 20) == (
        f"host: http://127.0.0.1:1\n{pace}\ntasks:\n  - name: stall\n    path: /stall\n")
