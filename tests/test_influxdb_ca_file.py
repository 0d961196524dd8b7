"""--influxdb-ca-file is checked the same way by the master, `locust-fleet spool replay` and
`locust-fleet runs` (influx_client.ca_file_problem): with an http:// URL (the CA was ignored and
the data went in clear) and a file that holds no certificate (every https request then failed as if
no CA had been given) each exits 2 before it connects, with the master's message."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.procs import VENV_BIN
from locust_fleet.options import ConfigError, from_options

from test_options import parse


def commands(url: str, ca_file: Path, spool_dir: Path) -> dict[str, list[str]]:
    connection = ["--influxdb-url", url, "--influxdb-ca-file", str(ca_file)]
    return {"runs list": ["runs", "list", *connection],
            "runs (options before the command) list": ["runs", *connection, "list"],
            "spool replay": ["spool", "replay", "0123456789ab", *connection, "--spool-dir", str(spool_dir)]}


def master_refuses(url: str, ca_file: Path) -> str:
    with pytest.raises(ConfigError) as err:
        from_options(parse("--influxdb-url", url, "--influxdb-ca-file", str(ca_file)))
    return str(err.value)


@pytest.mark.parametrize("case", ["http URL with a CA", "CA file without a certificate"])
def test_spool_and_runs_refuse_the_ca_file_the_master_refuses(case, own_influx, tmp_path):
    ca_file = tmp_path / "ca.pem"
    if case == "http URL with a CA":
        # a real InfluxDB at the http:// URL: without the check the commands read and wrote there in clear
        ca_file.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
        url = own_influx.url
    else:
        ca_file.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
        url = "https://127.0.0.1:9"
    message = master_refuses(url, ca_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")} | {"COLUMNS": "400"}
    for name, args in commands(url, ca_file, tmp_path / "spool").items():
        result = subprocess.run([str(VENV_BIN / "locust-fleet"), *args], capture_output=True, text=True, env=env,
                                timeout=60)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert f"error: {message}" in " ".join(result.stderr.split()), (name, result.stderr)


def test_a_password_in_the_url_is_not_shown_when_the_ca_file_is_refused(tmp_path):
    # `runs` and `spool replay` take any --influxdb-url (the master refuses one with credentials
    # earlier): the refusal of the CA file printed the password in the URL.
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")} | {"COLUMNS": "400"}
    for name, args in commands("http://bob:s3cret-pw@127.0.0.1:9", ca_file, tmp_path / "spool").items():
        result = subprocess.run([str(VENV_BIN / "locust-fleet"), *args], capture_output=True, text=True, env=env,
                                timeout=60)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "s3cret-pw" not in result.stdout + result.stderr, (name, result.stderr)
        assert "--influxdb-url http://bob:***@127.0.0.1:9 is plain HTTP" in " ".join(result.stderr.split()), name
