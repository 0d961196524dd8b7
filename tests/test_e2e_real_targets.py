"""End to end against an HTTPS target with its own CA (made in the test by workers-go/cmd/certs)
that wants client certificates: a real Locust master, one worker whose certificate it accepts
(redirect chains, gzip and brotli bodies checked by their text and recorded by their decoded size) and one without a certificate,
whose every request fails with one stable reason. Bad TLS settings stop the worker with exit 2."""

from __future__ import annotations

import csv
import json
import subprocess
import urllib.request

import pytest

from harness.parts import HttpsTarget, Master, start_worker

pytestmark = pytest.mark.e2e

ACCEPTED = """
tls: {ca_file: pki/ca.pem, client_cert: pki/client.pem, client_key: pki/client.key}
wait: {constant: 20ms}
tasks:
  - {name: chain, path: /redirect/3, check: [{body_contains: ok}]}
  - {name: gzip, path: /encoded/gzip, check: [{body_contains: compressed hello}]}
  - {name: br, path: /encoded/br, check: [{json: $.text, equals: compressed hello}]}
  - {name: unfollowed, path: /redirect/2, follow_redirects: false, expect_status: 302}
"""
REFUSED = """
tls: {ca_file: pki/ca.pem}
wait: {constant: 20ms}
tasks:
  - {name: refused, path: /refused}
"""
REFUSAL = "TLS: the server asks for a client certificate; none is set (tls.client_cert and tls.client_key, --tls-client-cert and --tls-client-key, or HTTP.TLS in Go)"


def text_size(target: HttpsTarget, path: str) -> int:
    """The body's size once decoded: what the target sends a client that accepts no encoding."""
    req = urllib.request.Request(target.url + path, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req, timeout=5, context=target.context) as resp:
        assert "Content-Encoding" not in resp.headers
        return len(resp.read())


def test_https_with_client_certificates_redirects_and_compression(procs, go_bin, tmp_path):
    target = HttpsTarget(procs, go_bin, tmp_path / "pki", client_auth=True)
    sizes = {"gzip": text_size(target, "/encoded/gzip"), "br": text_size(target, "/encoded/br")}
    target.reset()
    (tmp_path / "accepted.yaml").write_text(ACCEPTED)
    (tmp_path / "refused.yaml").write_text(REFUSED)
    prefix = tmp_path / "run"
    master = Master(procs, "--headless", "-u", "6", "-r", "6", "-t", "4s", "--expect-workers", "2",
                    "--exit-code-on-error", "0", "--json-file", str(prefix), "--csv", str(prefix))
    workers = [start_worker(procs, go_bin["worker"], master.port, "--scenario", str(tmp_path / f"{name}.yaml"),
                            "--target", target.url, name=name) for name in ("accepted", "refused")]

    assert master.proc.wait(90) == 0, master.proc.log()[-3000:]
    for w in workers:
        assert w.wait(15) == 0, f"{w.name} did not exit 0 after the master's quit:\n{w.log()[-2000:]}"

    entries = {e["name"]: e for e in json.loads(prefix.with_suffix(".json").read_text())}
    served = target.counts()
    assert set(entries) == {"chain", "gzip", "br", "unfollowed", "refused"}, entries.keys()
    chain, unfollowed = entries["chain"]["num_requests"], entries["unfollowed"]["num_requests"]
    assert chain > 0 and unfollowed > 0
    # a chain is one entry however many hops it took; the target saw every hop
    assert served["GET /redirect/3"] == served["GET /redirect/1"] == served["GET /redirect/0"] == chain, served
    assert served["GET /redirect/2"] == chain + unfollowed, served
    for name in ("gzip", "br"):
        n = entries[name]["num_requests"]
        assert n == served[f"GET /encoded/{name}"] > 0, (name, n, served)
        # the checks saw the text; the size recorded is the decoded body's, as Locust's clients
        # record len(response.content)
        assert entries[name]["total_content_length"] == n * sizes[name], (name, entries[name])
    for name in ("chain", "gzip", "br", "unfollowed"):
        assert entries[name]["num_failures"] == 0, entries[name]

    refused = entries["refused"]
    assert refused["num_failures"] == refused["num_requests"] > 0, refused
    assert "GET /refused" not in served
    with open(f"{prefix}_failures.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["Name"], r["Error"], int(r["Occurrences"])) for r in rows] == \
        [("refused", REFUSAL, refused["num_failures"])], rows


# (the scenario's tls:, or None for a run without a scenario; flags; what stderr must say)
BAD_TLS = [
    ("tls: {ca_file: missing.pem}", [], 'tls.ca_file: "{dir}/missing.pem": cannot read it'),
    ("tls: {ca_file: pki/client.key}", [], 'tls.ca_file: "{dir}/pki/client.key": no certificate in it'),
    ("tls: {client_cert: pki/client.pem}", [], "tls.client_key: missing"),
    ("tls: {client_cert: pki/client.pem, client_key: pki/other-client.key}", [],
     'tls.client_key: "{dir}/pki/other-client.key" does not go with tls.client_cert'),
    (None, ["--tls-ca-file", "{dir}/pki/server.key"], '--tls-ca-file: "{dir}/pki/server.key": no certificate in it'),
    (None, ["--tls-client-key", "{dir}/pki/client.key"], "--tls-client-cert: missing"),
    ("", ["--tls-server-name", "api.internal"], "--tls-server-name: given with --scenario"),
    (None, ["--tls-ca-file", "{dir}/pki/ca.pem", "--target", "http://127.0.0.1:1"],
     '--tls-ca-file: given with the http target "http://127.0.0.1:1"; expected an https:// target'),
]


@pytest.mark.parametrize("tls, flags, want", BAD_TLS, ids=[w.split(":")[0] + f"-{i}" for i, (_, _, w) in enumerate(BAD_TLS)])
def test_bad_tls_settings_stop_the_worker_before_it_connects(go_bin, tmp_path, tls, flags, want):
    (tmp_path / "pki").mkdir()
    subprocess.run([str(go_bin["certs"]), str(tmp_path / "pki")], check=True, timeout=30)
    args = [arg.format(dir=tmp_path) for arg in flags]
    if tls is None:
        args = ["--target", "https://127.0.0.1:1", *args]  # a --target among flags comes later and wins
    else:
        scenario = tmp_path / "scenario.yaml"
        scenario.write_text(f"host: https://127.0.0.1:1\n{tls}\ntasks: [{{path: /}}]\n")
        args += ["--scenario", str(scenario)]
    # port 1 on loopback: nothing answers there, and the worker would wait 60 s for a master;
    # only a check at load time ends this at once
    result = subprocess.run([str(go_bin["worker"]), "--master-host", "127.0.0.1", "--master-port", "1", *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert want.format(dir=tmp_path) in result.stderr, result.stderr
