"""Every scenario the docs show passes the worker's own `--check`, as a user would copy it: each
```yaml block of README.md and docs/*.md whose top-level keys are scenario keys (the worker names
them itself), in a folder with the files such examples name (docs/scenario.md's accounts.csv, a
terms.jsonl, throw-away certificates, har.md's empty upload), its environment variables set. A
block without `tasks:` (a top-level section shown alone, such as `tls:`) gets one task; one without
`host:` gets `--target`. Step-level fragments (`check:`, `extract:`, a list of steps) are compiled
by workers-go/scenario/docs_test.go."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.procs import REPO

pytestmark = [pytest.mark.builds]

DOCS = ["README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]
YAML_BLOCK = re.compile(r"^( *)```yaml\n(.*?)^\1```", re.S | re.M)
TARGET = "http://127.0.0.1:9"  # --check connects to nothing


def yaml_blocks() -> list[tuple[str, str]]:
    """(doc:line, text) of each ```yaml block, its indentation removed."""
    blocks = []
    for doc in DOCS:
        text = (REPO / doc).read_text()
        for match in YAML_BLOCK.finditer(text):
            indent = len(match.group(1))
            body = "\n".join(line[indent:] for line in match.group(2).split("\n"))
            blocks.append((f"{doc}:{text[:match.start()].count(chr(10)) + 1}", body))
    return blocks


BLOCKS = yaml_blocks()


def check(worker: Path, scenario: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run([str(worker), "--scenario", str(scenario), "--check", *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.fixture(scope="module")
def top_level_keys(go_bin, tmp_path_factory) -> set[str]:
    """The keys a scenario file may have at its top, as the worker lists them for an unknown one."""
    probe = tmp_path_factory.mktemp("probe") / "probe.yaml"
    probe.write_text("no_such_key: 1\n")
    listed = re.search(r"no_such_key: unknown key; expected one of ([\w, ]+)", check(go_bin["worker"], probe).stderr)
    assert listed, "the worker no longer lists its top-level keys"
    keys = set(listed.group(1).split(", "))
    assert {"host", "tasks", "requests", "data", "tls"} <= keys, keys
    return keys


def scenario_blocks(keys: set[str]) -> list[tuple[str, dict, str]]:
    found = []
    for where, text in BLOCKS:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            # a fragment that is not YAML on its own, unless a line starts with a top-level key:
            # then a broken scenario, which the worker's check names
            if re.search(rf"^({'|'.join(map(re.escape, keys))}):", text, re.M):
                found.append((where, {}, text))
            continue
        if isinstance(doc, dict) and doc and all(k in keys or k.startswith("x-") for k in doc):
            found.append((where, doc, text))
    return found


@pytest.fixture(scope="module")
def supplies(go_bin, tmp_path_factory) -> Path:
    """The files the examples name, in one folder each example is copied into."""
    folder = tmp_path_factory.mktemp("supplies")
    scenario_md = (REPO / "docs" / "scenario.md").read_text()
    accounts = re.search(r"with `accounts.csv` beside it:\n\n```csv\n(.*?)```", scenario_md, re.S)
    assert accounts, "docs/scenario.md no longer shows its accounts.csv"
    (folder / "accounts.csv").write_text(accounts.group(1))
    (folder / "terms.jsonl").write_text('{"term": "shoes"}\n{"term": "socks"}\n')
    subprocess.run([str(go_bin["certs"]), str(folder)], check=True, capture_output=True, timeout=60)
    (folder / "shop-files").mkdir()
    (folder / "shop-files" / "beach.jpg").write_bytes(b"")  # har.md: written empty beside shop.yaml
    return folder


def test_every_scenario_of_the_docs_passes_the_check(go_bin, top_level_keys, supplies):
    blocks = scenario_blocks(top_level_keys)
    docs = {where.split(":")[0] for where, _, _ in blocks}
    # cannot pass on nothing: the docs known to show scenarios each give at least one
    assert {"README.md", "docs/scenario.md", "docs/open-model.md", "docs/har.md"} <= docs, docs
    assert sum(where.startswith("docs/scenario.md:") for where, _, _ in blocks) >= 10, [w for w, _, _ in blocks]
    failures = []
    for n, (where, doc, text) in enumerate(blocks):
        if not ({"tasks", "requests"} & doc.keys()):
            text += "\ntasks: [{name: shown alone, path: /}]\n"
        scenario = supplies / f"example-{n}.yaml"
        scenario.write_text(text)
        env = {**os.environ, **{name: "https://env.example.com/v2" for name in re.findall(r"env\.(\w+)", text)}}
        result = check(go_bin["worker"], scenario, *([] if "host" in doc else ["--target", TARGET]), env=env)
        if result.returncode != 0 or ": OK\n" not in result.stdout:
            failures.append(f"{where} (exit {result.returncode}):\n{result.stderr.strip()}")
    assert not failures, "\n\n".join(failures)


def test_a_broken_example_fails_the_same_check(go_bin, top_level_keys, supplies):
    where, doc, text = next(b for b in scenario_blocks(top_level_keys) if b[0].startswith("docs/scenario.md:"))
    scenario = supplies / "broken.yaml"
    scenario.write_text(text.replace("tasks:", "tasks:\n  - {name: bad, path: /, weight: 0}", 1))
    result = check(go_bin["worker"], scenario)
    assert result.returncode == 2 and "weight" in result.stderr, (where, result.stderr)
