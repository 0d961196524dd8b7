"""The run record never carries a password that came in with Locust's --host."""

import pytest

from locust_fleet.points import run_point
from locust_fleet.run_record import Run, redact_url


@pytest.mark.parametrize("url, shown", [
    ("http://user:s3cret@example.com:8080/api", "http://user:***@example.com:8080/api"),
    ("https://user:s3cret@example.com", "https://user:***@example.com"),
    ("http://example.com:8080", "http://example.com:8080"),
    ("http://user@example.com", "http://user@example.com"),
    ("http://user:s3cret@[::1]:8080/a", "http://user:***@[::1]:8080/a"),  # brackets kept
    ("http://user:s3cret@example.com:99999", "http://user:***@example.com:99999"),  # no ValueError
    ("http://user:p@ss@Example.com", "http://user:***@Example.com"),
    ("http://user:s3cret@[::1", "http://user:***@[::1"),  # urlsplit refuses it: masked all the same
    ("", ""),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_run_point_keeps_the_redacted_host():
    point = run_point(Run("r1", 1.0, host=redact_url("http://u:s3cret@h:1")), None)
    assert point.fields["host"] == "http://u:***@h:1" and "s3cret" not in repr(point)
