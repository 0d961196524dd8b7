"""Shared fixtures: Go binaries built once per run, and a process group per test that is always
stopped, with every process's log shown when the test fails."""

from __future__ import annotations

# Locust monkey-patches the standard library (gevent) when imported; it must come before anything
# imports ssl or sockets, or test modules that use both requests and locust break.
import locust  # noqa: F401  isort: skip

import subprocess
from pathlib import Path

import pytest

from support.procs import REPO, Procs


@pytest.fixture(scope="session")
def go_bin(tmp_path_factory) -> dict[str, Path]:
    """The worker and target binaries, built from the current sources."""
    out = tmp_path_factory.mktemp("gobin")
    binaries = {"worker": out / "worker", "target": out / "target"}
    for binary, package in ((binaries["worker"], "."), (binaries["target"], "./cmd/target")):
        subprocess.run(["go", "build", "-o", str(binary), package], cwd=REPO / "workers-go", check=True)
    return binaries


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def procs(request, tmp_path) -> Procs:
    group = Procs(tmp_path)
    yield group
    group.stop_all()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(group.logs())
