"""`locust-fleet scenario from-har` as a user runs it: the scenario and its files written whole, bad
input and bad options refused with exit 2 and nothing written, and every scenario it writes passing
the Go worker's own check (`worker --scenario FILE --check`)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.procs import VENV_BIN

FIXTURES = Path(__file__).parent / "har"
SIMPLE = {"log": {"entries": [
    {"startedDateTime": "2024-05-14T09:00:00.000Z", "time": 20, "_resourceType": "document",
     "request": {"method": "GET", "url": "https://shop.example.com/", "headers": [{"name": "Accept", "value": "text/html"}]},
     "response": {"status": 200, "headers": [], "content": {"mimeType": "text/html"}}},
    {"startedDateTime": "2024-05-14T09:00:02.000Z", "time": 20, "_resourceType": "fetch",
     "request": {"method": "POST", "url": "https://shop.example.com/api/login",
                 "headers": [{"name": "Content-Type", "value": "application/json"}],
                 "postData": {"mimeType": "application/json", "text": '{"user": "bob", "password": "hunter22"}'}},
     "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json"}}}]}}


def from_har(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "locust-fleet"), "scenario", "from-har", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, env={**os.environ, "COLUMNS": "200"})


def test_it_writes_the_scenario_and_its_files_whole(tmp_path):
    out = tmp_path / "shop.yaml"
    result = from_har(str(FIXTURES / "chrome-shop.har"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop-files", "shop.yaml"]  # no temporary file left
    assert [p.name for p in (tmp_path / "shop-files").iterdir()] == ["beach.jpg"]
    scenario = yaml.safe_load(out.read_text())
    assert scenario["tasks"][0]["name"] == "chrome-shop"
    assert out.read_text().startswith("# A scenario made by `locust-fleet scenario from-har` from chrome-shop.har "
                                      "(WebInspector 537.36).\n# 21 recorded requests -> 10 steps on 2 hosts, 6 think times\n")
    lines = result.stderr.splitlines()
    assert lines[0] == "21 recorded requests -> 10 steps on 2 hosts, 6 think times"
    assert lines[-1] == f"wrote {out} and 1 file(s) beside it"
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_it_prints_the_scenario_with_dash(tmp_path):
    har = tmp_path / "login.har"
    har.write_text(json.dumps(SIMPLE))
    printed = from_har(str(har), "--name", "sign in")
    written = from_har(str(har), "--name", "sign in", "-o", str(tmp_path / "login.yaml"))
    assert printed.returncode == written.returncode == 0, printed.stderr
    assert printed.stdout == (tmp_path / "login.yaml").read_text()
    assert yaml.safe_load(printed.stdout)["tasks"] == [{"name": "sign in", "steps": [
        {"path": "/", "headers": {"Accept": "text/html"}}, {"think": "1.98s"},
        {"method": "POST", "path": "/api/login", "json": {"user": "bob"}}]}]
    assert "hunter22" not in printed.stdout + printed.stderr


def test_files_cannot_be_printed(tmp_path):
    result = from_har(str(FIXTURES / "chrome-shop.har"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("error: --output: - (print the scenario) with files to write (files/beach.jpg); expected "
                             "-o FILE: the files are written beside the scenario\n")


BAD_INPUT = [
    ("not JSON", b"<html>", "error: {har}: line 1 column 1: not JSON (Expecting value); expected a HAR file (JSON, as a "
                            "browser's developer tools export it)"),
    ("not UTF-8", b'{"log": "\xff"}', "error: {har}: byte 9 is not UTF-8; expected a HAR file (JSON in UTF-8)"),
    ("not a HAR", b'{"version": "1.2"}', 'error: {har}: got an object ({{"version": "1.2"}}) without a "log" object; '
                                         'expected a HAR file ({{"log": {{"entries": [...]}}}}, as a browser\'s developer '
                                         'tools export it)'),
    ("no entries", b'{"log": {"entries": []}}', "error: {har}: log.entries: empty; expected at least one recorded "
                                                "request (record with the developer tools' Network tab open, then "
                                                "export the HAR)"),
    ("an entry without a URL", json.dumps({"log": {"entries": [{"startedDateTime": "2024-05-14T09:00:00Z",
                                                                 "request": {"method": "GET"}, "response": {}}]}}).encode(),
     "error: {har}: log.entries[0].request.url: missing; expected an absolute URL such as https://example.com/path"),
    ("a request that cannot be a step", json.dumps({"log": {"entries": [{
        "startedDateTime": "2024-05-14T09:00:00Z", "request": {"method": "TRACE", "url": "https://x.example.com/"},
        "response": {"status": 200}}]}}).encode(),
     "error: {har}: log.entries[0].request.method: got 'TRACE'; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, "
     "OPTIONS (the methods a scenario sends) (TRACE https://x.example.com/; --exclude REGEX leaves a request out)"),
]


@pytest.mark.parametrize("name, content, want", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_exits_2_naming_it_and_writes_nothing(tmp_path, name, content, want):
    har, out = tmp_path / "rec.har", tmp_path / "out.yaml"
    har.write_bytes(content)
    out.write_text("the scenario of before\n")
    result = from_har(str(har), "-o", str(out))
    assert (result.returncode, result.stderr) == (2, want.format(har=har) + "\n")
    assert out.read_text() == "the scenario of before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "rec.har"]


def test_bad_options_are_all_named_at_once(tmp_path):
    result = from_har(str(tmp_path / "missing.har"), "-o", str(tmp_path / "nowhere" / "x.yaml"), "--secrets", "show",
                      "--host", "a.example.com/path", "--all-hosts", "--exclude", "(", "--min-think", "1 minute",
                      "--max-think", "-2s", "--keep-header", "Cookie", "--drop-header", "bad name")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --secrets: got 'show'; expected one of drop, env, keep",
        "error: --host: got 'a.example.com/path'; expected a host (example.com), a host and port (example.com:8080), "
        "*.example.com (it and its subdomains) or an origin (https://api.example.com)",
        "error: --exclude: got '(': missing ), unterminated subpattern at position 0; expected a regular expression "
        "(Python's re)",
        "error: --all-hosts: given with --host; expected one of them",
        "error: --keep-header: got 'Cookie'; expected another header: cookies are the worker's cookie jar's, per user",
        "error: --drop-header: got 'bad name'; expected a header name",
        "error: --min-think: got '1 minute'; expected a duration such as 500ms, 2s or 1m",
        "error: --max-think: got '-2s'; expected a duration such as 500ms, 2s or 1m",
        f"error: --output: {tmp_path / 'nowhere' / 'x.yaml'}: the folder {str(tmp_path / 'nowhere')!r} does not exist; "
        f"expected a file in an existing folder"]
    missing = from_har(str(tmp_path / "missing.har"))
    assert (missing.returncode, missing.stderr) == (
        2, f"error: {tmp_path / 'missing.har'}: cannot read it (No such file or directory); expected a HAR file\n")


def test_help_names_every_option():
    result = from_har("--help")
    assert result.returncode == 0
    for option in ("--output", "--name", "--host", "--all-hosts", "--keep-static", "--exclude", "--secrets",
                   "--user-agent", "--keep-header", "--drop-header", "--min-think", "--max-think", "--no-think",
                   "--no-correlate"):
        assert option in result.stdout, option
    top = subprocess.run([str(VENV_BIN / "locust-fleet"), "--help"], capture_output=True, text=True, timeout=60)
    assert "scenario" in top.stdout


OPTION_SETS = [[], ["--secrets", "env"], ["--secrets", "keep"], ["--keep-static", "--all-hosts"], ["--no-correlate"],
               ["--no-think", "--user-agent", "recorded"], ["--host", "api.example.com", "--host", "forum.example.org"]]


@pytest.mark.builds
@pytest.mark.parametrize("options", OPTION_SETS, ids=[" ".join(o) or "defaults" for o in OPTION_SETS])
@pytest.mark.parametrize("har", ["chrome-shop.har", "firefox-forum.har"])
def test_every_scenario_it_writes_passes_the_worker_s_check(go_bin, tmp_path, har, options):
    out = tmp_path / "scenario.yaml"
    result = from_har(str(FIXTURES / har), "-o", str(out), *options)
    assert result.returncode == 0, result.stderr
    env = dict(os.environ)
    for line in result.stderr.splitlines():  # "needs the environment variable NAME: ..."
        if line.startswith("needs the environment variable "):
            env[line.split()[4].rstrip(":")] = "from-the-environment"
    check = subprocess.run([str(go_bin["worker"]), "--scenario", str(out), "--check"], capture_output=True, text=True,
                           timeout=60, env=env)
    assert check.returncode == 0, check.stdout + check.stderr + out.read_text()
    assert check.stdout.startswith(f"{out}: OK\n")


@pytest.mark.builds
def test_a_scenario_moved_with_its_files_still_passes_the_check(go_bin, tmp_path):
    made = tmp_path / "made"
    made.mkdir()
    assert from_har(str(FIXTURES / "firefox-forum.har"), "-o", str(made / "forum.yaml")).returncode == 0
    moved = shutil.copytree(made, tmp_path / "moved")
    check = subprocess.run([str(go_bin["worker"]), "--scenario", str(moved / "forum.yaml"), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_the_worked_example_of_the_docs_is_what_it_writes(tmp_path):
    doc = (Path(__file__).parents[1] / "docs" / "har.md").read_text()
    example = doc[doc.index("\n## A worked example\n"):]
    shown = example[example.index("```yaml\n") + len("```yaml\n"):]
    shown = shown[:shown.index("```")]
    shutil.copy(FIXTURES / "chrome-shop.har", tmp_path / "shop.har")
    result = from_har("shop.har", "-o", "shop.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shop.yaml").read_text() == shown
    assert (tmp_path / "shop-files" / "beach.jpg").read_bytes() == b""


def test_the_converter_and_the_plugin_import_nothing_of_each_other():
    package = Path(__file__).parents[1] / "master" / "locust_fleet"

    def imports(path: Path) -> set[str]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                found.add("." * node.level + (node.module or ""))
        return found

    for path in (package / "har").glob("*.py"):
        outside = {m for m in imports(path) if m.startswith(("..", "locust")) or m.startswith("locust_fleet")}
        assert outside == set(), (path.name, outside)
    for path in [*package.glob("*.py"), *(package / "runs").glob("*.py")]:
        if path.name == "cli.py":
            continue  # the locust-fleet command registers the subcommand
        assert not {m for m in imports(path) if "har" in m.split(".")}, path.name


@pytest.mark.parametrize("url, method, message", [
    ("https://bob:PW-s3cret@shop.example.com:99999/api?token=TK-s3cret&page=2", "GET",
     'log.entries[0].request.url: got "https://bob:***@shop.example.com:99999/api?token=***&page=2"; expected an '
     "absolute URL"),
    ("https://bob:PW-s3cret@shop.example.com/api?api_key=TK-s3cret&page=2", "GET BACK",
     "log.entries[0].request.method: got 'GET BACK'; expected one of"),
])
def test_a_message_naming_a_request_shows_no_secret_of_its_url(tmp_path, url, method, message):
    """A recording holds live credentials: the messages naming a request's URL printed its password
    and its secret query values (a token, an API key) on the terminal."""
    har = json.loads(json.dumps(SIMPLE))
    har["log"]["entries"][0]["request"].update(url=url, method=method)
    (tmp_path / "bad.har").write_text(json.dumps(har))
    result = from_har(str(tmp_path / "bad.har"), "-o", str(tmp_path / "out.yaml"))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert "bob:***@shop.example.com" in result.stderr
