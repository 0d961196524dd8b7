"""Shared fixtures: Go binaries built once per test process, a process group per test that is
always stopped (with every process's log shown when the test fails), InfluxDB shared per test
process, the recorded runs, the figures of the fault suite.

How end-to-end tests share what is costly (`make test` runs them in a few processes with
pytest-xdist, `--dist loadgroup`):
- `go_bin` (session): the worker, target and certs binaries, built once per process.
- `influx` (per test): a database of its own (`influx.database`, passed to the master by
  harness.exported.influx_args) on one InfluxDB per process (`shared_influx`). A test that stops,
  kills or authenticates its InfluxDB, or relies on the database `locust`, takes `own_influx`.
- `recorded_runs` (session): two real runs in a real InfluxDB, for the readers (runs CLI, README,
  dashboards); the tests that take it run in one process, so they are recorded once.
- `procs` (per test): every process a test starts (masters, workers, targets) is stopped when it
  ends. A target costs a few milliseconds to start and a master carries a test's own options, so
  each test starts its own; a test with several cases against one master runs them in one test.
- a module-scoped fixture (a stack started for several cases, a recorded run per InfluxDB kind):
  the tests that take it run in one process, which makes it once (module_fixture_group).
Tests that build into the repository (make up, the quickstart) run in one process (SAME_PROCESS).
pytest-xdist hands out these groups first, the largest first, then the end-to-end tests, then the
unit tests.
"""

from __future__ import annotations

# Locust monkey-patches the standard library (gevent) when imported. The test processes do not let
# it: pytest-xdist's processes wait on threads that a patched process would turn into greenlets
# (gevent's "this operation would block forever"), and the tests run the master in processes of
# its own anyway. The variable is gone again before any test starts a process, so a master, a
# Python worker or `make up` started from a test patches as usual.
import os  # noqa: E402  isort: skip
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
import locust  # noqa: F401,E402  isort: skip
del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

import re
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from harness.procs import REPO, Procs
from harness.influxd import InfluxDatabase, InfluxServer
from harness.recorded import RecordedRuns, record_two_runs


# A suite started in the background by a script (`make test &`, nohup) inherits SIGINT ignored, and
# so would every master and worker it starts: Ctrl+C would be ignored by them, as the shell means it
# to be for background jobs, and the tests that interrupt a master (test_e2e_endings.py) would wait
# for nothing. The suite's processes get SIGINT as a terminal gives it: a handler here is reset to
# the default in every process started from this one.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# Tests that build into the repository's workers-go/bin (make up, the quickstart's go build) run in
# one process, one after the other; so do the readers of the session's recorded runs, which are
# recorded once per process.
SAME_PROCESS = {"make": ("test_make_up.py", "test_quickstart.py", "test_faults_security.py")}


def module_fixture_group(item: pytest.Item) -> str | None:
    """The group of a test that takes a module-scoped fixture (a recorded run, a rendered chart, a
    started stack): its tests run in one process, which makes it once (per parameter). Spread over
    the processes, each one that ran one of its tests made it again, up to 30 s each time."""
    info = getattr(item, "_fixtureinfo", None)
    callspec = getattr(item, "callspec", None)
    for name in getattr(item, "fixturenames", ()):
        defs = info.name2fixturedefs.get(name) if info is not None else None
        if defs and defs[-1].scope == "module":
            # by the parameter's index: the same in every process, whatever the parameter is; no "]"
            # in the name, which pytest-xdist would take for the end of a test's parameters, not a group
            index = callspec.indices.get(name) if callspec is not None else None
            return f"{item.path.name}::{name}" + (f"#{index}" if index is not None else "")
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if "recorded_runs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("recorded_runs"))
        elif item.path.name in SAME_PROCESS["make"]:
            item.add_marker(pytest.mark.xdist_group("make"))
        elif group := module_fixture_group(item):
            item.add_marker(pytest.mark.xdist_group(group))
    # pytest-xdist hands out the groups first, the largest first, then the other tests in this order:
    # the end-to-end tests (seconds to a minute each) before the unit tests (milliseconds), which
    # fill the processes' last minutes instead of a long test started last.
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in ("e2e", "builds")))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist sends the collection to its controller
def pytest_collection_finish(session):
    """pytest-xdist keeps a group together by renaming its tests `NAME@GROUP`; with a pytest that
    does not see the new name (9.2, pytest-xdist#1386) every group was spread over the processes
    without a word: the builds into workers-go/bin ran side by side, the recorded runs were
    recorded in each process."""
    if not getattr(session.config.option, "loadgroup", False):  # set in pytest-xdist's processes under --dist loadgroup
        return
    # pytest-xdist's own test of a group (LoadGroupScheduling._split_scope): "@GROUP" after any "]"
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") and item.nodeid.rfind("@") <= item.nodeid.rfind("]")]
    if lost:
        raise pytest.UsageError(f"pytest-xdist did not keep {len(lost)} tests in their groups (--dist loadgroup), "
                                f"e.g. {lost[0]}: install the pytest pyproject.toml pins (make setup)")


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
    """The worker, target and certs binaries and the boomer-style example worker (custom), built from
    the current sources."""
    out = tmp_path_factory.mktemp("gobin")
    binaries = {"worker": out / "worker", "target": out / "target", "certs": out / "certs",
                "custom": out / "custom"}
    for binary, package in ((binaries["worker"], "."), (binaries["target"], "./cmd/target"),
                            (binaries["certs"], "./cmd/certs"), (binaries["custom"], "./examples/custom")):
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


@pytest.fixture(scope="session")
def shared_influx(tmp_path_factory) -> InfluxServer:
    """One real InfluxDB per test process, without authentication, for `influx`."""
    with InfluxServer(tmp_path_factory.mktemp("shared-influxdb")) as server:
        yield server


@pytest.fixture
def influx(shared_influx, request) -> InfluxDatabase:
    """A database of its own on the process's shared InfluxDB: for tests that write and read only
    their database (pass it with harness.exported.influx_args)."""
    return InfluxDatabase(shared_influx, "t_" + re.sub(r"\W", "_", request.node.name)[:60] + "_" + uuid.uuid4().hex[:6])


@pytest.fixture
def own_influx(tmp_path) -> InfluxServer:
    """A real InfluxDB of the test's own, without authentication: for tests that stop or kill it,
    or that rely on its default database `locust`."""
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
FIGURE = "figure: "  # prefix of the user properties that carry them


@pytest.fixture
def figure(request):
    """Record a figure a fault test measured; `make test-faults` prints them as a table at the end
    (docs/faults.md keeps the last one). They travel as the test's user properties, so the table
    also has the figures of tests run in other processes (pytest-xdist)."""
    def record(name: str, value) -> None:
        request.node.user_properties.append((FIGURE + name, f"{value:.1f}" if isinstance(value, float) else str(value)))
    return record


def pytest_runtest_logreport(report):
    if report.when == "call":
        test = report.nodeid.split("::")[-1]
        FIGURES.extend((test, key[len(FIGURE):], value) for key, value in report.user_properties
                       if key.startswith(FIGURE))


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("fault figures")
        terminalreporter.write_line("| test | figure | value |\n|---|---|---|")
        for test, name, value in FIGURES:
            terminalreporter.write_line(f"| {test} | {name} | {value} |")
