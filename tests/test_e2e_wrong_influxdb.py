"""An --influxdb-url where no InfluxDB answers, against real servers started here: any web server's
HTML page, an empty answer, a 404, a redirect, a TLS InfluxDB named with http:// (it answers 400),
another TLS server named with http:// (it closes the connection), a plain server named with
https://, and a server that never answers. The master exits 2 at start with a message
naming the option and what was found (a silent server is the documented warning, and the test
runs); `locust-fleet runs` says the same and exits 2 (1 for the silent one), never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from harness.influxd import InfluxServer
from harness.parts import Master
from harness.procs import REPO, VENV_BIN, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Every wrong server by kind, with its URL as a user would give it."""
    proc = subprocess.Popen([sys.executable, "-m", "harness.wrongservers", str(tmp_path_factory.mktemp("certs"))],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    tls = InfluxServer(tmp_path_factory.mktemp("tls-influxdb"), tls=True)
    try:
        urls = json.loads(proc.stdout.readline())
        tls.start()
        urls["tls-as-http"] = tls.url.replace("https://", "http://")
        urls["http-as-https"] = urls["html"].replace("http://", "https://")
        urls["tls-server-as-http"] = urls["tls"].replace("https://", "http://")
        yield urls
    finally:
        tls.close()
        proc.kill()
        proc.wait(10)


def found(kind: str, url: str, path: str) -> str:
    """The part of the message that says what answered."""
    return {
        "html": f"--influxdb-url: got {url}; {path} answered HTTP 200 text/html with '<!DOCTYPE html><html>",
        "empty": f"--influxdb-url: got {url}; {path} answered HTTP 200 without a content type with an empty body",
        "notfound": f"--influxdb-url: got {url}; {path} answered HTTP 404 text/html with '<html><body>404 Not Found",
        "redirect": f"--influxdb-url: got {url}; {path} redirects (HTTP 301) to "
                    f"'https://influx.example.invalid:8086{path}'",
        "tls-as-http": f"--influxdb-url: got {url}; {path} answered HTTP 400 without a content type with "
                       "'Client sent an HTTP request to an HTTPS server.'; an https server: use https:// in the URL",
        "http-as-https": f"--influxdb-url: got {url}; the server there does not speak TLS; expected an http:// URL",
        "tls-server-as-http": f"--influxdb-url: got {url}; the server closed the connection without an HTTP answer "
                              "(a TLS server? then use https://)",
    }[kind]


WRONG = ["html", "empty", "notfound", "redirect", "tls-as-http", "http-as-https", "tls-server-as-http"]


@pytest.mark.parametrize("kind", WRONG)
def test_master_exits_2_naming_what_answers(procs, servers, tmp_path, kind):
    url = servers[kind]
    master = Master(procs, "--headless", "-u", "1", "-t", "2s", "--influxdb-url", url,
                    "--spool-dir", str(tmp_path / "spool"))
    assert master.proc.wait(30) == 2
    log = master.proc.log()
    assert found(kind, url, "/ping") in log, log
    assert "Traceback" not in log
    assert not (tmp_path / "spool").exists()


def test_master_warns_about_a_silent_server_and_runs(procs, servers, tmp_path):
    master = Master(procs, "--headless", "-u", "1", "-t", "30s", "--influxdb-url", servers["silent"],
                    "--influxdb-timeout", "1", "--spool-dir", str(tmp_path / "spool"))
    wait_until(lambda: "no answer within 1 s; the test runs anyway" in master.proc.log(), 20, "the warning")
    master.proc.signal(signal.SIGTERM)
    master.proc.wait(30)
    assert "Traceback" not in master.proc.log()


def runs_list(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "locust-fleet"), "runs", "list"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "LOCUST_INFLUXDB_URL": url, "COLUMNS": "200"})


@pytest.mark.parametrize("kind", WRONG)
def test_runs_exits_2_naming_what_answers(servers, kind):
    url = servers[kind]
    result = runs_list(url)
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert found(kind, url, "/ping") in message, message  # runs asks /ping what serves the URL first
    assert "Traceback" not in result.stderr


def test_runs_says_a_silent_server_did_not_answer(servers):
    result = runs_list(servers["silent"])
    assert result.returncode == 1
    assert f"InfluxDB at {servers['silent']}: no answer within 10 s" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_master_exits_2_naming_the_root_url_when_an_api_path_is_given(procs, own_influx, tmp_path):
    """A real InfluxDB named with an API path (2.x's /api/v2, 3's /api/v3): the path goes before
    /ping, which answers 404 there; the message names the URL at which InfluxDB answers."""
    url = own_influx.url + "/api/v2"
    master = Master(procs, "--headless", "-u", "1", "-t", "2s", "--influxdb-url", url,
                    "--spool-dir", str(tmp_path / "spool"))
    assert master.proc.wait(30) == 2
    assert (f"--influxdb-url: got {url}; /ping answered HTTP 404 text/plain with '404 page not found'; expected "
            "InfluxDB 1.x, 2.x or 3 at this URL; its path '/api/v2' goes before every request (as behind a proxy "
            f"that serves InfluxDB under it), but InfluxDB itself answers at the root: give {own_influx.url}"
            ) in master.proc.log(), master.proc.log()
