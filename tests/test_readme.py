"""Every command in the README's shell blocks, as written: `locust-fleet runs` commands run against
two real stored runs (placeholders such as RUN_ID filled in), `pybridge` commands must parse (their
option names exist), `locust` commands must parse with Locust's parser and the plugin's options,
`make` targets must exist, and `go run` commands name flags the worker has. `make up` itself is run
by test_make_up.py, `verify-protocol` by test_verify_protocol.py; the Grafana set-up is not run."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from locust.argument_parser import get_parser

from locust_fleet.options import ConfigError, add_arguments, from_options
from harness.procs import REPO, VENV_BIN

pytestmark = [pytest.mark.e2e, pytest.mark.builds]
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_commands() -> list[list[str]]:
    """Each command of the README's ```sh blocks, split as a shell would, comments dropped and
    continued lines joined; optional parts written [--like this] are left out."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\[[^\]]*\]", "", line)
            words = shlex.split(line, comments=True)
            if words and words[0] != "cd":
                commands.append(words)
    return commands


COMMANDS = readme_commands()


def of(program: str) -> list[list[str]]:
    found = [c for c in COMMANDS if Path(c[0]).name == program]
    assert found, f"the README shows no {program} command"
    return found


def test_every_readme_command_is_one_this_test_knows():
    # sudo: setting up a Grafana of one's own, which cannot be installed here
    known = {"make", "locust-fleet", "pybridge", "locust", "go", "sudo"}
    assert {Path(c[0]).name for c in COMMANDS} <= known, sorted({c[0] for c in COMMANDS})


def test_make_targets_exist():
    targets = set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), re.M))
    for command in of("make"):
        assert command[1] in targets, command
        settings = [w.split("=")[0] for w in command[2:]]
        assert all(re.fullmatch(r"[A-Z_]+", s) for s in settings), command
        exported = (REPO / "Makefile").read_text()
        assert all(s in exported for s in settings), (command, "a setting the Makefile does not pass on")


def fill(words: list[str], runs) -> list[str]:
    """Placeholders replaced by real values; -o files go to a temporary directory."""
    values = {"RUN_ID": runs.baseline.run_id, "BASELINE": runs.baseline.run_id,
              "CANDIDATE": runs.candidate.run_id, "http://127.0.0.1:8086": runs.influx.url}
    return [values.get(w, w) for w in words]


def test_locust_fleet_runs_commands_run_as_written(recorded_runs, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOCUST_INFLUXDB")},
           "LOCUST_INFLUXDB_URL": recorded_runs.influx.url, "COLUMNS": "80"}
    for command in of("locust-fleet"):
        args = fill(command[1:], recorded_runs)
        result = subprocess.run([str(VENV_BIN / "locust-fleet"), *args], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=60)
        # 3: the README's compare thresholds are breached by the slower candidate, as a CI gate would be
        assert result.returncode in ((0, 3) if "compare" in args else (0,)), (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert (tmp_path / "report.html").exists()


def test_pybridge_commands_parse():
    for command in of("pybridge"):
        result = subprocess.run([str(VENV_BIN / "pybridge"), *command[1:], "--help"], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, (command, result.stdout + result.stderr)


def parse_locust(words: list[str]) -> argparse.Namespace:
    """A README `locust` command as Locust's parser with the plugin's options reads it; an unknown
    option or a bad value is a ValueError naming it (Locust's parser would exit the process)."""
    parser = get_parser()
    add_arguments(parser)
    try:
        return parser.parse_args(words)
    except SystemExit:
        raise ValueError(f"locust {' '.join(words)}: does not parse") from None


def test_locust_commands_parse_with_the_plugin_s_options():
    commands = of("locust")  # fails when the README shows no locust command
    for command in commands:
        parsed = parse_locust(command[1:])
        config = from_options(parsed)  # the plugin's own checks: ConfigError naming the option
        shown = dict(zip(command[1:], command[2:]))
        assert parsed.locustfile == shown["-f"] and parsed.master == ("--master" in command)
        if "--influxdb-url" in shown:
            assert config.export is not None and config.export.url == shown["--influxdb-url"]
            tags = [v for k, v in zip(command[1:], command[2:]) if k == "--run-tag"]
            assert sorted(f"{k}={v}" for k, v in config.export.run_tags) == sorted(tags)


def test_a_locust_command_with_an_option_nobody_has_fails_the_check():
    with pytest.raises(ValueError, match="--no-such-option 1: does not parse"):
        parse_locust(["-f", "master/locustfile.py", "--no-such-option", "1"])
    with pytest.raises(ConfigError, match="--influxdb-url"):
        from_options(parse_locust(["-f", "master/locustfile.py", "--influxdb-url", "ftp://x"]))


def test_go_run_commands_build(tmp_path):
    """What each `go run` of the README compiles: `go run main.go` compiles main.go alone, so the
    worker's package main must be that one file (it once had three, and the README's command
    failed before the worker started)."""
    packages = set()
    for command in of("go"):
        assert command[1] == "run", command
        flags_at = next(i for i, w in enumerate(command) if w.startswith("-"))
        packages.add(tuple(command[2:flags_at]))
    for package in sorted(packages):
        result = subprocess.run(["go", "build", "-o", str(tmp_path / "worker"), *package], cwd=REPO / "workers-go",
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (package, result.stderr)


def test_go_run_commands_name_the_worker_s_flags():
    source = "\n".join(p.read_text() for p in (REPO / "workers-go").rglob("*.go") if "_test" not in p.name)
    boomer = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/myzhan/boomer"],
                            cwd=REPO / "workers-go", capture_output=True, text=True, timeout=60).stdout.strip()
    source += "\n".join(p.read_text() for p in Path(boomer).glob("*.go"))
    for command in of("go"):
        for word in command[3:]:
            if word.startswith("--"):
                flag = word[2:].split("=")[0]
                assert f'"{flag}"' in source, (command, flag)


def test_the_worker_s_flags_are_the_ones_the_docs_name(go_bin):
    """Each flag the README's Go worker section names is one `worker -h` lists (a flag, or one of
    Locust's options it lists as ignored or refused), and each flag it lists is named in the README
    or docs/, where a user would look for it."""
    usage = subprocess.run([str(go_bin["worker"]), "-h"], capture_output=True, text=True, timeout=10).stderr
    flags = set(re.findall(r"^  -(\S+)", usage, re.M))
    assert {"master-host", "scenario", "check", "run-tasks", "connect-timeout"} <= flags, usage
    locust_options = set(re.findall(r"--?[a-zA-Z][\w-]*", usage[usage.index("Locust's options"):]))
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("\n## The Go worker"):]
    section = section[:section.index("\n## ", 1)]
    named = set(re.findall(r"`(--?[a-zA-Z][\w-]*)", section))
    assert len(named) > 20, named
    unknown = sorted(n for n in named if n.lstrip("-") not in flags and n not in locust_options)
    assert not unknown, f"the README's Go worker section names flags the worker does not have: {unknown}"
    docs = readme + "".join(p.read_text() for p in (REPO / "docs").glob("*.md"))
    unnamed = sorted(f for f in flags if not re.search(rf"`-{{1,2}}{re.escape(f)}\b", docs))
    assert not unnamed, f"worker -h lists flags no doc names: {unnamed}"


def test_the_grafana_set_up_matches_the_provisioning():
    """The README's Grafana commands cannot run here; what they rely on is checked instead."""
    grafana = [c for c in of("sudo") if "grafana-server" in c]
    assert grafana, "the README shows how to start a Grafana"
    named = dict(w.split("=", 1) for w in grafana[0] if re.fullmatch(r"[A-Z_]+=\S+", w))
    assert named["GF_PATHS_PROVISIONING"].endswith("deploy/grafana/provisioning")
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    datasources = "".join(p.read_text() for p in (provisioning / "datasources").iterdir())
    for variable in ("INFLUXDB_URL", "INFLUXDB_DATABASE"):
        assert variable in named and f"${{{variable}}}" in datasources
    dashboards = "".join(p.read_text() for p in (provisioning / "dashboards").iterdir())
    copied_to = next(c[-1] for c in COMMANDS if "cp" in c and "deploy/grafana/dashboards/*.json" in c)
    assert f"path: {copied_to.rstrip('/')}" in dashboards
