"""The plugin's options: parsed by Locust's own parser, validated once into one config, errors naming the option."""

import random

import locust.runners
import pytest
import requests
import urllib3
from locust.argument_parser import get_parser

from locust_fleet import missing_workers
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


def test_a_token_read_from_a_file_is_taken_without_its_last_newline(monkeypatch):
    """kubectl create secret --from-file keeps the file's last newline; no token ends with one."""
    monkeypatch.setenv("LOCUST_INFLUXDB_URL", "http://127.0.0.1:8086")
    monkeypatch.setenv("LOCUST_INFLUXDB_TOKEN", "tok-1\r\n")
    assert from_options(parse()).export.token == "tok-1"


@pytest.mark.parametrize("args, message", [
    (["--influxdb-url", "ftp://x"], "--influxdb-url: got 'ftp://x'; expected http://HOST:PORT or https://HOST:PORT"),
    (["--influxdb-url", "http://u:p@x:8086"],
     "--influxdb-url: credentials in the URL are not accepted; use --influxdb-username/--influxdb-password or --influxdb-token"),
    # the URL's other mistakes were said with the URL whole, its password in the master's log
    (["--influxdb-url", "http://u:s3cret@x:99999"], "--influxdb-url: got 'http://u:***@x:99999'; expected "
                                                   "http://HOST:PORT or https://HOST:PORT (Port out of range 0-65535)"),
    (["--influxdb-url", "http://u:s3 cret@x"], "--influxdb-url: got 'http://u:***@x'; expected http://HOST:PORT or "
                                               "https://HOST:PORT, without spaces or control characters"),
    (["--influxdb-url", "http://x", "--influxdb-database", ""], "--influxdb-database: empty; expected a database name"),
    (["--influxdb-url", "http://x", "--influxdb-username", "u"],
     "--influxdb-username/--influxdb-password: give both or neither"),
    (["--influxdb-url", "http://x", "--influxdb-token", "t", "--influxdb-username", "u", "--influxdb-password", "p"],
     "--influxdb-token: give either a token or --influxdb-username/--influxdb-password, not both"),
    (["--influxdb-url", "http://x", "--influxdb-token", "tok en"],
     "--influxdb-token (LOCUST_INFLUXDB_TOKEN): holds spaces or control characters; expected the token alone "
     "(not shown)"),
    (["--influxdb-url", "http://x", "--influxdb-token", "tok\x00en"],
     "--influxdb-token (LOCUST_INFLUXDB_TOKEN): holds spaces or control characters; expected the token alone "
     "(not shown)"),
    (["--influxdb-url", "http://x", "--influxdb-interval", "0"], "--influxdb-interval: got 0; expected a number of seconds >= 1"),
    (["--influxdb-url", "http://x", "--influxdb-interval", "0.5"], "--influxdb-interval: got 0.5; expected a number of seconds >= 1"),
    (["--influxdb-url", "http://x", "--influxdb-timeout", "-1"], "--influxdb-timeout: got -1; expected a number of seconds > 0"),
    (["--influxdb-url", "http://x", "--run-tag", "novalue"],
     "--run-tag: got 'novalue'; expected KEY=VALUE with KEY made of letters, digits and _"),
    (["--influxdb-url", "http://x", "--run-tag", "bad key=1"],
     "--run-tag: got 'bad key=1'; expected KEY=VALUE with KEY made of letters, digits and _"),
    (["--influxdb-url", "http://x:8086", "--influxdb-ca-file", "/etc/hostname"],
     "--influxdb-ca-file: given, but --influxdb-url http://x:8086 is plain HTTP; a CA verifies an https:// URL: use "
     "https:// or leave --influxdb-ca-file out"),
    (["--influxdb-url", "https://x", "--influxdb-ca-file", "/no/such/ca.pem"],
     "--influxdb-ca-file: cannot read '/no/such/ca.pem'; expected a PEM CA bundle"),
    (["--influxdb-url", "http://x", "--spool-dir", "/etc/hostname/spool"],
     "--spool-dir: got '/etc/hostname/spool'; '/etc/hostname' is not a directory"),
    (["--influxdb-url", "http://x", "--spool-dir", "/proc/locust-spool"],
     "--spool-dir: got '/proc/locust-spool'; '/proc' is not writable (No such file or directory)"),
    (["--influxdb-url", "http://x", "--run-tag", "run_id=1"],
     "--run-tag: 'run_id' is used by the data model; choose another key than check, event, method, name, run_id, user_class, worker"),
])
def test_from_options_rejects_bad_values(args, message):
    with pytest.raises(ConfigError) as err:
        from_options(parse(*args))
    assert str(err.value) == message


def test_an_influxdb_ca_file_without_a_certificate_is_refused_at_start(tmp_path):
    """A CA file that holds no certificate (a key, a text file, a directory) would fail every https
    request as if no CA had been given; it is refused at start, naming the option and the file."""
    key = tmp_path / "server.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    for path, message in [(key, f"--influxdb-ca-file: '{key}' holds no PEM certificate; expected a PEM CA bundle "
                                "(-----BEGIN CERTIFICATE-----)"),
                          (tmp_path, f"--influxdb-ca-file: '{tmp_path}' is a directory; expected a PEM CA bundle file")]:
        with pytest.raises(ConfigError) as err:
            from_options(parse("--influxdb-url", "https://x", "--influxdb-ca-file", str(path)))
        assert str(err.value) == message


def test_an_influxdb_variable_that_is_no_option_is_refused_naming_it(monkeypatch):
    """InfluxDB 2.x users write LOCUST_INFLUXDB_BUCKET and _ORG, and a typo is easy: such a variable
    was ignored without a word and the run written to the default database. It is refused at start,
    named with what to set (its value, perhaps a secret, is not shown)."""
    monkeypatch.setenv("LOCUST_INFLUXDB_BUCKET", "perf")
    monkeypatch.setenv("LOCUST_INFLUXDB_TOKN", "tok-a91c")
    with pytest.raises(ConfigError) as err:
        from_options(parse("--influxdb-url", "http://x:8086"))
    assert str(err.value) == (
        "LOCUST_INFLUXDB_BUCKET: not a setting of the master; a 2.x bucket is written as the database of its name "
        "(or the one mapped to it): set LOCUST_INFLUXDB_DATABASE; LOCUST_INFLUXDB_TOKN: not a setting of the master; "
        "expected one of LOCUST_INFLUXDB_CA_FILE, LOCUST_INFLUXDB_DATABASE, LOCUST_INFLUXDB_INTERVAL, "
        "LOCUST_INFLUXDB_PASSWORD, LOCUST_INFLUXDB_SERVER, LOCUST_INFLUXDB_TIMEOUT, LOCUST_INFLUXDB_TOKEN, "
        "LOCUST_INFLUXDB_URL, LOCUST_INFLUXDB_USERNAME")
    monkeypatch.delenv("LOCUST_INFLUXDB_BUCKET")
    monkeypatch.delenv("LOCUST_INFLUXDB_TOKN")
    monkeypatch.setenv("LOCUST_INFLUXDB_DATABASE", "perf")
    assert from_options(parse("--influxdb-url", "http://x:8086")).export.database == "perf"


def test_from_options_drain_timeout_from_flag_or_env(monkeypatch):
    assert from_options(parse("--drain-timeout", "0")).drain_timeout == 0.0
    monkeypatch.setenv("LOCUST_DRAIN_TIMEOUT", "7.5")
    assert from_options(parse()).drain_timeout == 7.5


def test_a_missing_worker_is_kept_60_s_as_locust_keeps_it_unless_told(monkeypatch):
    assert from_options(parse()).missing_worker_timeout == 60 == -locust.runners.HEARTBEAT_DEAD_INTERNAL
    assert from_options(parse("--missing-worker-timeout", "5")).missing_worker_timeout == 5
    monkeypatch.setenv("LOCUST_MISSING_WORKER_TIMEOUT", "120")
    assert from_options(parse()).missing_worker_timeout == 120
    # Locust's heartbeat loop reads its module's constant on every tick
    monkeypatch.setattr(locust.runners, "HEARTBEAT_DEAD_INTERNAL", locust.runners.HEARTBEAT_DEAD_INTERNAL)
    missing_workers.install(5)
    assert locust.runners.HEARTBEAT_DEAD_INTERNAL == -5


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "nan", "inf"])
def test_a_missing_worker_timeout_that_is_no_whole_number_of_seconds_is_rejected(value):
    with pytest.raises(ConfigError) as err:
        from_options(parse("--missing-worker-timeout", value))
    assert str(err.value) == (f"--missing-worker-timeout: got {float(value):g}; expected a whole number of seconds "
                              ">= 1 (the master checks its workers' heartbeats once a second)")


def test_from_options_rejects_a_negative_drain_timeout():
    with pytest.raises(ConfigError) as err:
        from_options(parse("--drain-timeout", "-1"))
    assert str(err.value) == "--drain-timeout: got -1; expected 0 (off) or a number of seconds"


def mutated_urls(count: int, seed: int = 13) -> list[str]:
    """Valid InfluxDB URLs, each broken in one or two random ways: characters inserted, deleted or
    replaced (brackets, colons, spaces, control and non-ASCII characters among them), ports out of
    range or not numbers, schemes changed."""
    rnd = random.Random(seed)
    valid = ["http://127.0.0.1:8086", "https://db.example:8086/", "http://[::1]:8086", "http://influx/proxy/",
             "https://[2001:db8::7]", "http://localhost"]
    alphabet = "[]:/@?#% \t\n\x00\x7fé-._~0123456789abcXYZ" + "".join(chr(c) for c in range(33, 127))
    ports = ["99999", "65536", "0", "-1", "", "8o86", "1e3", "٣٣", " 80", "+80", "0x50", "8086:1"]
    out = []
    for _ in range(count):
        url = rnd.choice(valid)
        for _ in range(rnd.randint(1, 2)):
            kind = rnd.randrange(5)
            i = rnd.randrange(len(url) + 1)
            if kind == 0:
                url = url[:i] + rnd.choice(alphabet) + url[i:]
            elif kind == 1 and url:
                url = url[:i] + url[i + 1:]
            elif kind == 2 and url:
                url = url[:i] + rnd.choice(alphabet) + url[i + 1:]
            elif kind == 3:
                head, _, _ = url.partition("://")
                rest = url.split("://", 1)[-1].split("/", 1)
                host = rest[0].rsplit(":", 1)[0] if not rest[0].endswith("]") else rest[0]
                url = f"{head}://{host}:{rnd.choice(ports)}" + ("/" + rest[1] if len(rest) > 1 else "")
            else:
                url = rnd.choice(["htp", "HTTP", "ftp", "http:", "", "https:/"]) + url[url.find("://"):]
        out.append(url)
    return out


def well_formed(url: str) -> bool:
    """What the export's HTTP client can use: requests prepares it, with a port it can connect to."""
    try:
        prepared = requests.Request("GET", url.rstrip("/") + "/ping").prepare()
        parsed = urllib3.util.parse_url(prepared.url)
    except Exception:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host) and (parsed.port is None or 0 < parsed.port < 65536)


def test_influxdb_url_generated_bad_values_are_rejected_naming_the_option():
    rejected = 0
    options = parse()
    for url in mutated_urls(3000):
        options.influxdb_url = url
        try:
            cfg = from_options(options)
        except ConfigError as e:
            assert str(e).startswith("--influxdb-url: "), (url, str(e))
            rejected += 1
            continue
        if cfg.export is not None:  # accepted: the HTTP client can use it
            assert well_formed(cfg.export.url), url
    assert rejected > 2000  # most mutations break a URL; the rest must still be usable


@pytest.mark.parametrize("url, message", [
    ("http://[::1", "--influxdb-url: got 'http://[::1'; expected http://HOST:PORT or https://HOST:PORT"),
    ("http://127.0.0.1:99999", "--influxdb-url: got 'http://127.0.0.1:99999'; expected http://HOST:PORT"),
    ("http://127.0.0.1:0", "the port must be a number from 1 to 65535"),
    ("http://127.0.0.1:", "the port must be a number from 1 to 65535"),
    ("http://[::zz]:8086", "('::zz' does not appear to be an IPv4 or IPv6 address)"),
    ("http://exa mple:8086", "without spaces or control characters"),
    ("http://exa_mple:8086", "'exa_mple' is not a host name or IP address"),
    ("http://db:8086/?db=x", "without query, fragment, spaces or control characters"),
])
def test_influxdb_url_errors_say_what_is_wrong(url, message):
    with pytest.raises(ConfigError) as e:
        from_options(parse("--influxdb-url", url))
    assert message in str(e.value)


@pytest.mark.parametrize("option", ["--drain-timeout", "--influxdb-interval", "--influxdb-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_seconds_that_are_not_finite_are_rejected(option, value):
    with pytest.raises(ConfigError, match=f"^{option}: got {value}; expected"):
        from_options(parse("--influxdb-url", "http://x", option, value))


def test_thresholds_from_repeated_flags_or_the_env_var_separated_by_semicolons(monkeypatch):
    config = from_options(parse("--threshold", "fail_ratio<1%", "--threshold", "p95<500ms"))
    assert [t.text for t in config.thresholds] == ["fail_ratio<1%", "p95<500ms"] and config.junit_xml == ""
    monkeypatch.setenv("LOCUST_THRESHOLDS", "fail_ratio<1%; POST /login: p99<1s;")
    assert [t.text for t in from_options(parse()).thresholds] == ["fail_ratio<1%", "POST /login: p99<1s"]
    assert from_options(parse()).thresholds[1].limit == 1000.0


def test_every_malformed_threshold_is_named_at_once():
    with pytest.raises(ConfigError) as e:
        from_options(parse("--threshold", "p95<<5", "--threshold", "p95<5", "--threshold", "bogus>1"))
    assert str(e.value).splitlines() == [
        "--threshold: got 'p95<<5'; expected a number after '<' such as 500 or 0.5, found '<5'",
        "--threshold: got 'bogus>1'; unknown metric 'bogus'; expected fail_ratio, failures, requests, not_started, "
        "rps, avg, min, max, med, users, checks or a percentile such as p50, p95, p99.9 (also p(95))"]


def test_junit_xml_needs_thresholds_and_a_writable_place(tmp_path):
    path = tmp_path / "reports" / "thresholds.xml"  # a missing directory is created when the file is written
    assert from_options(parse("--threshold", "p95<1s", "--junit-xml", str(path))).junit_xml == str(path)


@pytest.mark.parametrize("args, message", [
    (["--junit-xml", "out.xml"], "--junit-xml: got 'out.xml' but no --threshold; the file would hold no test case"),
    (["--threshold", "p95<1s", "--junit-xml", "/etc/hostname/out.xml"],
     "--junit-xml: got '/etc/hostname/out.xml'; '/etc/hostname' is not a directory"),
    (["--threshold", "p95<1s", "--junit-xml", "/tmp"],
     "--junit-xml: got '/tmp'; it is a directory, expected a file path such as reports/thresholds.xml"),
])
def test_junit_xml_bad_values(args, message):
    with pytest.raises(ConfigError) as e:
        from_options(parse(*args))
    assert str(e.value) == message
