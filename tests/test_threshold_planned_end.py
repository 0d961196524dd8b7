"""What a headless test was to end by, so that one stopped sooner (SIGTERM, Ctrl+C) is told from one
that ended as planned (thresholds.planned_end; the exit code 4 end to end: test_e2e_thresholds.py)."""

from types import SimpleNamespace

import pytest
from locust import LoadTestShape
from locust.env import Environment

from locust_fleet.thresholds import planned_end


class Steps(LoadTestShape):
    def tick(self):
        return None


@pytest.mark.parametrize("headless, run_time, shape, want", [
    (True, 30, None, "the end of its 30 s run time"),
    (True, 2.5, None, "the end of its 2.5 s run time"),
    (True, None, Steps(), "its load shape's end"),
    (True, 30, Steps(), "its load shape's end"),
    (True, None, None, ""),   # ended by Ctrl+C, as planned
    (False, 30, None, ""),    # a web UI master's tests are stopped by whoever runs them
])
def test_planned_end(headless, run_time, shape, want):
    environment = Environment(shape_class=shape, parsed_options=SimpleNamespace(headless=headless, run_time=run_time))
    assert planned_end(environment) == want


def test_no_options_no_planned_end():
    assert planned_end(Environment()) == ""
