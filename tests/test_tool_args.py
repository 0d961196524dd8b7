"""The long-running tools refuse a bad argument before they start anything: `make soak` with a run
too short for its InfluxDB outage and stats reset, or with no users, exits 2 with a message naming
the argument, the value and what was expected."""

from __future__ import annotations

import subprocess

import pytest

from harness.procs import REPO, VENV_BIN

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


@pytest.mark.parametrize(("args", "message"), [
    (["--minutes", "1"], "--minutes: 1; expected at least 6 (the InfluxDB outage of 60 s has to end before the "
                         "stats reset at 0.6 of the run)"),
    (["--minutes", "nan"], "--minutes: nan; expected at least 6"),
    (["--users", "0"], "--users: 0; expected a whole number of 1 or more"),
])
def test_soak_refuses_a_bad_argument_before_it_starts(args, message):
    result = subprocess.run([str(VENV_BIN / "python"), "-m", "tools.soak", *args], cwd=REPO, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
