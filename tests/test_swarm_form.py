"""The web UI's start form: which hosts the Go workers can honour."""

from locust_fleet.swarm_form import host_problem


def test_the_masters_own_host_or_none_is_taken_as_the_go_worker_reads_urls():
    for asked in ("", "  ", "http://127.0.0.1:8080", "HTTP://127.0.0.1:8080/", "http://127.0.0.1:8080 "):
        assert host_problem(asked, "http://127.0.0.1:8080") == "", asked
    assert host_problem("https://API.example.com/v2/", "https://api.example.com/v2") == ""
    assert host_problem("", None) == ""


def test_another_host_is_refused_naming_the_field_the_value_and_what_to_do():
    assert host_problem("http://127.0.0.1:9090", "http://127.0.0.1:8080") == (
        "host: got 'http://127.0.0.1:9090'; the Go workers send to the host they were started with (--target, "
        "else their scenario's host), which a start from the web UI cannot change: leave it as "
        "'http://127.0.0.1:8080', or start the workers with --target and the master with -H naming the new host")
    assert host_problem("https://api.example.com/v3", "https://api.example.com/v2").startswith("host: got ")
    without = host_problem("http://127.0.0.1:9090", None)
    assert without.endswith("cannot change: leave it empty, or start the master with -H naming the workers' host")


def test_a_password_in_either_host_is_not_shown():
    problem = host_problem("http://user:s3cret@other:80", "http://user:pw-master@h:80")
    assert "s3cret" not in problem and "pw-master" not in problem and "user:***@other:80" in problem
