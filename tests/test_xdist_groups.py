"""The suite's groups (tests/conftest.py: the builds into workers-go/bin one after the other, the
recorded runs once, a module's costly fixture made once) hold only if the installed pytest and
pytest-xdist keep a group in one process: with pytest 9.2 pytest-xdist 3.8 spread every group over
the processes without a word (pytest-dev/pytest-xdist#1386)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

CONFTEST = '''
import pytest

@pytest.hookimpl(tryfirst=True)  # as tests/conftest.py marks its groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name.startswith("test_grouped"):
            item.add_marker(pytest.mark.xdist_group("together"))
'''

TESTS = '''
import os, time

def record(name):
    with open("ran.txt", "a") as f:
        f.write(f"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n")
    time.sleep(0.2)  # long enough for the other process to take tests too
''' + "".join(f"\ndef test_grouped_{i}(): record('grouped_{i}')\n\ndef test_alone_{i}(): record('alone_{i}')\n"
              for i in range(4))


def test_a_group_marked_at_collection_runs_in_one_process(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repository's configuration
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_groups.py").write_text(TESTS)
    result = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                             "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    processes = defaultdict(set)
    for line in (tmp_path / "ran.txt").read_text().splitlines():
        name, process = line.split()
        processes[name.rsplit("_", 1)[0]].add(process)
    assert len(processes["grouped"]) == 1, f"the group ran in {sorted(processes['grouped'])}:\n{result.stdout}"
    assert len(processes["alone"] | processes["grouped"]) == 2, "the other tests did not use the second process"
