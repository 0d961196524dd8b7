"""InfluxDB credentials are read by one rule (influx_client.read_credentials) in the master,
`locust-fleet runs` and `locust-fleet spool replay`, from options, env vars and (the two commands) the
URL's USER:PASSWORD@ alike: a Secret made from a file keeps the file's last newline, which is
dropped; a control character left inside (or a space in a token) is refused with exit 2 before
anything connects, the secret not shown."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.influxd import InfluxServer, rows
from harness.procs import VENV_BIN
from locust_fleet import spool
from locust_fleet.influx_client import CredentialsError, read_credentials
from locust_fleet.options import ConfigError, from_options

from test_options import parse

UNREACHABLE = "http://127.0.0.1:9"  # a command that connected anyway would say unreachable, exit 1


def locust_fleet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    return subprocess.run([str(VENV_BIN / "locust-fleet"), *args], capture_output=True, text=True, timeout=60,
                          env={**clean, "COLUMNS": "400", **env})


def commands(spool_dir: Path) -> dict[str, list[str]]:
    return {"runs list": ["runs", "list"], "runs report": ["runs", "report", "20261125-143002-7f3a", "-o", str(spool_dir.parent / "r.html")],
            "spool replay": ["spool", "replay", "0123456789ab", "--spool-dir", str(spool_dir)]}


@pytest.mark.parametrize("given, kept", [
    ({"password": "right\n"}, {"password": "right"}),
    ({"password": "right\r\n"}, {"password": "right"}),
    ({"password": " two words "}, {"password": " two words "}),  # a 1.x password may hold spaces
    ({"username": "admin\n", "password": "right\n"}, {"username": "admin", "password": "right"}),
    ({"token": "tok-1\n"}, {"token": "tok-1"}),
])
def test_the_line_end_a_file_leaves_is_dropped_and_nothing_else(given, kept):
    credentials = {"username": "admin", "password": "", "token": ""} if "password" in given else \
        {"username": "", "password": "", "token": ""}
    expected = {**credentials, **kept}
    credentials.update(given)
    assert vars(read_credentials(**credentials)) == expected


SECRET = "pa55-Wo1d"
REFUSED = [
    ({"LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": f"{SECRET}\nsecond-line"},
     "--influxdb-password (LOCUST_INFLUXDB_PASSWORD): holds control characters; expected the password alone "
     "(not shown)"),
    ({"LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": f"{SECRET}\t"},
     "--influxdb-password (LOCUST_INFLUXDB_PASSWORD): holds control characters; expected the password alone "
     "(not shown)"),
    ({"LOCUST_INFLUXDB_USERNAME": "ad\tmin", "LOCUST_INFLUXDB_PASSWORD": SECRET},
     "--influxdb-username (LOCUST_INFLUXDB_USERNAME): got 'ad\\tmin', which holds control characters; expected "
     "the user name alone"),
    ({"LOCUST_INFLUXDB_TOKEN": f"{SECRET} x\n"},
     "--influxdb-token (LOCUST_INFLUXDB_TOKEN): holds spaces or control characters; expected the token alone "
     "(not shown)"),
    ({"LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": "\n"},
     "--influxdb-username/--influxdb-password: give both or neither"),
    ({"LOCUST_INFLUXDB_TOKEN": SECRET, "LOCUST_INFLUXDB_USERNAME": "admin", "LOCUST_INFLUXDB_PASSWORD": SECRET},
     "--influxdb-token: give either a token or --influxdb-username/--influxdb-password, not both"),
]


@pytest.mark.parametrize("env, message", REFUSED)
def test_the_master_runs_and_spool_replay_refuse_the_same_credentials_alike(env, message, monkeypatch, tmp_path):
    with pytest.raises(CredentialsError) as err:
        read_credentials(env.get("LOCUST_INFLUXDB_USERNAME", ""), env.get("LOCUST_INFLUXDB_PASSWORD", ""),
                         env.get("LOCUST_INFLUXDB_TOKEN", ""))
    assert str(err.value) == message
    for name, value in {**env, "LOCUST_INFLUXDB_URL": UNREACHABLE}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        from_options(parse())
    assert str(err.value) == message
    for name, args in commands(tmp_path / "spool").items():
        result = locust_fleet(*args, env={**env, "LOCUST_INFLUXDB_URL": UNREACHABLE})
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert f"error: {message}" in " ".join(result.stderr.split()), (name, result.stderr)
        assert SECRET not in result.stdout + result.stderr


def test_a_password_from_a_file_reaches_a_real_influxdb_1x_without_its_newline(tmp_path):
    """A 1.x user whose password comes from a Secret made with --from-file: InfluxDB refused the
    right password sent with the file's newline (`runs` and `spool replay` exited 2, credentials
    refused). With it dropped, both read and write as that user."""
    with InfluxServer(tmp_path / "influxdb", auth=True) as influx:
        influx.create_admin("admin", SECRET)
        spool_dir = tmp_path / "spool"
        destination = spool.Destination.of(influx.url, "locust", "admin")
        spool.for_destination(spool_dir, destination).append(b"from_file,k=a seq=7i 1000000000\n")
        env = {"LOCUST_INFLUXDB_URL": influx.url, "LOCUST_INFLUXDB_USERNAME": "admin",
               "LOCUST_INFLUXDB_PASSWORD": SECRET + "\n"}

        replayed = locust_fleet("spool", "replay", destination.key, "--spool-dir", str(spool_dir), env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert "meant for" not in replayed.stdout  # the same identity as the master recorded
        assert [r["seq"] for r in rows(influx.query("SELECT seq FROM from_file"))] == [7]
        listed = locust_fleet("runs", "list", "--json", env=env)
        assert listed.returncode == 0 and listed.stdout.strip() == "[]", listed.stderr
        assert SECRET not in replayed.stdout + replayed.stderr + listed.stdout + listed.stderr


def test_a_password_in_the_url_is_read_by_the_same_rule_against_a_real_influxdb_1x(tmp_path):
    """`runs` and `spool replay` take USER:PASSWORD@ in --influxdb-url. requests sent that password
    as written, by no rule: %0A (a file's last newline, percent-encoded) went to InfluxDB, which
    refused the right password. It is now read as the options are: the line end dropped, the points
    replayed as the user the master recorded, the password in no output."""
    with InfluxServer(tmp_path / "influxdb", auth=True) as influx:
        influx.create_admin("admin", SECRET)
        spool_dir = tmp_path / "spool"
        destination = spool.Destination.of(influx.url, "locust", "admin")
        spool.for_destination(spool_dir, destination).append(b"from_url,k=a seq=8i 1000000000\n")
        env = {"LOCUST_INFLUXDB_URL": influx.url.replace("http://", f"http://admin:{SECRET}%0A@")}

        replayed = locust_fleet("spool", "replay", destination.key, "--spool-dir", str(spool_dir), env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert f"into database 'locust' at {influx.url} as user admin" in replayed.stdout, replayed.stdout
        assert "meant for" not in replayed.stdout
        assert [r["seq"] for r in rows(influx.query("SELECT seq FROM from_url"))] == [8]
        listed = locust_fleet("runs", "list", "--json", env=env)
        assert listed.returncode == 0 and listed.stdout.strip() == "[]", listed.stderr
        assert SECRET not in replayed.stdout + replayed.stderr + listed.stdout + listed.stderr


@pytest.mark.parametrize("url, message", [
    (f"http://admin:{SECRET}%09x@127.0.0.1:9",
     "--influxdb-url (its password): holds control characters; expected the password alone (not shown)"),
    (f"http://admin:{SECRET}@127.0.0.1:99999", "--influxdb-url: got 'http://admin:***@127.0.0.1:99999'; expected "
                                               "http://HOST:PORT or https://HOST:PORT (Port out of range 0-65535)"),
    (f"ftp://admin:{SECRET}@127.0.0.1:9", "--influxdb-url: got 'ftp://admin:***@127.0.0.1:9'; expected "
                                          "http://HOST:PORT or https://HOST:PORT"),
    (f"http://admin:{SECRET}@[::1", "--influxdb-url: got 'http://admin:***@[::1'; expected http://HOST:PORT or "
                                    "https://HOST:PORT (Invalid IPv6 URL)"),
    ("http://admin@127.0.0.1:9", "--influxdb-url: http://admin@127.0.0.1:9 names a user without a password"),
])
def test_a_url_with_credentials_is_checked_before_anything_connects_and_its_password_never_shown(url, message,
                                                                                                 tmp_path):
    # A port out of range or another scheme reached requests, whose traceback showed the URL whole.
    for name, args in commands(tmp_path / "spool").items():
        result = locust_fleet(*args, env={"LOCUST_INFLUXDB_URL": url})
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert f"error: {message}" in " ".join(result.stderr.split()), (name, result.stderr)
        assert SECRET not in result.stdout + result.stderr and "Traceback" not in result.stderr, (name, result.stderr)


def test_credentials_in_the_url_and_in_the_options_are_refused_together(tmp_path):
    env = {"LOCUST_INFLUXDB_URL": f"http://admin:{SECRET}@127.0.0.1:9", "LOCUST_INFLUXDB_TOKEN": "tok"}
    for name, args in commands(tmp_path / "spool").items():
        result = locust_fleet(*args, env=env)
        assert result.returncode == 2 and SECRET not in result.stdout + result.stderr, (name, result.stderr)
        assert "--influxdb-url: http://admin:***@127.0.0.1:9 names a user, and --influxdb-username, " \
               "--influxdb-password or --influxdb-token are given too" in " ".join(result.stderr.split()), name
