"""The plugin's options: parsed by Locust's own parser, validated once into one config, errors naming the option."""

import pytest
from locust.argument_parser import get_parser

from locust_fleet.options import ConfigError, add_arguments, from_options


def parse(*args: str, env: dict[str, str] | None = None, monkeypatch=None):
    parser = get_parser()
    add_arguments(parser)
    return parser.parse_args(["-f", "master/locustfile.py", *args])


def test_from_options_export_off_without_url():
    config = from_options(parse())
    assert config.export is None and config.drain_timeout == 30.0


def test_from_options_full_config():
    cfg = from_options(parse("--influxdb-url", "https://db.example:8086/", "--influxdb-database", "perf",
                             "--influxdb-username", "u", "--influxdb-password", "s3cret",
                             "--influxdb-interval", "2.5", "--run-tag", "env=staging", "--run-tag", "build=7",
                             "--run-description", "nightly")).export
    assert cfg.url == "https://db.example:8086" and cfg.database == "perf" and cfg.interval == 2.5
    assert cfg.run_tags == (("build", "7"), ("env", "staging"))
    assert cfg.description == "nightly" and cfg.password == "s3cret"
    assert "s3cret" not in repr(cfg)


def test_from_options_reads_env_vars(monkeypatch):
    monkeypatch.setenv("LOCUST_INFLUXDB_URL", "http://127.0.0.1:8086")
    monkeypatch.setenv("LOCUST_INFLUXDB_TOKEN", "tok")
    cfg = from_options(parse()).export
    assert cfg.url == "http://127.0.0.1:8086" and cfg.token == "tok" and "tok" not in repr(cfg)


@pytest.mark.parametrize("args, message", [
    (["--influxdb-url", "ftp://x"], "--influxdb-url: got 'ftp://x'; expected http://HOST:PORT or https://HOST:PORT"),
    (["--influxdb-url", "http://u:p@x:8086"],
     "--influxdb-url: credentials in the URL are not accepted; use --influxdb-username/--influxdb-password or --influxdb-token"),
    (["--influxdb-url", "http://x", "--influxdb-database", ""], "--influxdb-database: empty; expected a database name"),
    (["--influxdb-url", "http://x", "--influxdb-username", "u"],
     "--influxdb-username/--influxdb-password: give both or neither"),
    (["--influxdb-url", "http://x", "--influxdb-token", "t", "--influxdb-username", "u", "--influxdb-password", "p"],
     "--influxdb-token: give either a token or --influxdb-username/--influxdb-password, not both"),
    (["--influxdb-url", "http://x", "--influxdb-interval", "0"], "--influxdb-interval: got 0; expected a number of seconds > 0"),
    (["--influxdb-url", "http://x", "--influxdb-timeout", "-1"], "--influxdb-timeout: got -1; expected a number of seconds > 0"),
    (["--influxdb-url", "http://x", "--run-tag", "novalue"],
     "--run-tag: got 'novalue'; expected KEY=VALUE with KEY made of letters, digits and _"),
    (["--influxdb-url", "http://x", "--run-tag", "bad key=1"],
     "--run-tag: got 'bad key=1'; expected KEY=VALUE with KEY made of letters, digits and _"),
    (["--influxdb-url", "http://x", "--influxdb-ca-file", "/no/such/ca.pem"],
     "--influxdb-ca-file: cannot read '/no/such/ca.pem'; expected a PEM CA bundle"),
    (["--influxdb-url", "http://x", "--spool-dir", "/etc/hostname/spool"],
     "--spool-dir: got '/etc/hostname/spool'; '/etc/hostname' is not a directory"),
    (["--influxdb-url", "http://x", "--spool-dir", "/proc/locust-spool"],
     "--spool-dir: got '/proc/locust-spool'; '/proc' is not writable (No such file or directory)"),
    (["--influxdb-url", "http://x", "--run-tag", "run_id=1"],
     "--run-tag: 'run_id' is used by the data model; choose another key than event, method, name, run_id, user_class, worker"),
])
def test_from_options_rejects_bad_values(args, message):
    with pytest.raises(ConfigError) as err:
        from_options(parse(*args))
    assert str(err.value) == message


def test_from_options_drain_timeout_from_flag_or_env(monkeypatch):
    assert from_options(parse("--drain-timeout", "0")).drain_timeout == 0.0
    monkeypatch.setenv("LOCUST_DRAIN_TIMEOUT", "7.5")
    assert from_options(parse()).drain_timeout == 7.5


def test_from_options_rejects_a_negative_drain_timeout():
    with pytest.raises(ConfigError) as err:
        from_options(parse("--drain-timeout", "-1"))
    assert str(err.value) == "--drain-timeout: got -1; expected 0 (off) or a number of seconds"
