"""Shared fixtures: Go binaries built once per run, and a process group per test that is always
stopped, with every process's log shown when the test fails."""

from __future__ import annotations

# Locust monkey-patches the standard library (gevent) when imported; it must come before anything
# imports ssl or sockets, or test modules that use both requests and locust break.
import locust  # noqa: F401  isort: skip

import subprocess
from pathlib import Path

import pytest

from harness.procs import REPO, Procs
from harness.influxd import InfluxServer
from harness.recorded import RecordedRuns, record_two_runs


def pytest_addoption(parser):
    group = parser.getgroup("locust-fleet")
    group.addoption("--sequences", type=int, default=3,
                    help="message sequences per master mode that tests/test_e2e_sequences.py plays (default 3)")
    group.addoption("--sequence-seed", type=int, default=1,
                    help="the first sequence's seed; the others follow it (default 1)")


@pytest.fixture(scope="session")
def sequence_seeds(request) -> list[int]:
    first, count = request.config.getoption("--sequence-seed"), request.config.getoption("--sequences")
    return list(range(first, first + count))


@pytest.fixture(scope="session")
def go_bin(tmp_path_factory) -> dict[str, Path]:
    """The worker, target and certs binaries, built from the current sources."""
    out = tmp_path_factory.mktemp("gobin")
    binaries = {"worker": out / "worker", "target": out / "target", "certs": out / "certs"}
    for binary, package in ((binaries["worker"], "."), (binaries["target"], "./cmd/target"),
                            (binaries["certs"], "./cmd/certs")):
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


@pytest.fixture
def influx(tmp_path) -> InfluxServer:
    """A real InfluxDB of the test's own, without authentication."""
    with InfluxServer(tmp_path / "influxdb") as server:
        yield server


@pytest.fixture(scope="session")
def recorded_runs(go_bin, tmp_path_factory) -> RecordedRuns:
    """A real InfluxDB holding two real runs (baseline, and a candidate with a slower endpoint);
    recorded once per session for the tests that read stored runs."""
    workdir = tmp_path_factory.mktemp("recorded-runs")
    influx = InfluxServer(workdir / "influxdb")
    group = Procs(workdir)
    try:
        influx.start()
        try:
            runs = record_two_runs(group, go_bin, workdir, influx)
        except BaseException:
            print(group.logs())
            raise
        finally:
            group.stop_all()  # the runs are over; only InfluxDB stays up for the readers
        yield runs
    finally:
        influx.close()


FIGURES: list[tuple[str, str, str]] = []  # (test, figure, value), printed after the run


@pytest.fixture
def figure(request):
    """Record a figure a fault test measured; `make test-faults` prints them as a table at the end
    (docs/faults.md keeps the last one)."""
    def record(name: str, value) -> None:
        FIGURES.append((request.node.name, name, f"{value:.1f}" if isinstance(value, float) else str(value)))
    return record


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fault figures")
        terminalreporter.write_line("| test | figure | value |\n|---|---|---|")
        for test, name, value in FIGURES:
            terminalreporter.write_line(f"| {test} | {name} | {value} |")
