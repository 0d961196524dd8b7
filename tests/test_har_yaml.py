"""locust_fleet.har.yaml_text: scenario data written as YAML that reads back as the same data (PyYAML
here; the Go worker in test_har_cli.py), with comments above the lines they explain."""

from __future__ import annotations

import pytest
import yaml

from locust_fleet.har.yaml_text import dump, scalar

TRICKY = ["plain", "/items/[id]", "Bearer {{ token }}", "{{ env.PASSWORD }}", "yes", "No", "on", "OFF", "y", "null",
          "~", "true", "True", "3", "3.0", "1e3", "0x1F", "0o17", ".5", "-1", "+1", "1_000", "12:30", "2024-05-14",
          ".inf", "-.Inf", ".NaN", "", " leading", "trailing ", "a: b", "a:", "a #b", "#comment", "- item", "? key",
          "*/*", "&anchor", "*alias", "!tag", "%directive", "@at", "`tick", "|", ">", "'quoted'", '"double"',
          "<<", "=", "a\nb", "tab\there", "back\\slash", "nul\x00", "bell\x07", "del\x7f", "nel\x85",
          "line\u2028sep", "bom\ufeff", "é中😀", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
          "https://shop.example.com", "sv,en;q=0.9", "700ms", "1.25s", "2m5s", "[x]", "{x}", "x, y", "x,", "x]"]


@pytest.mark.parametrize("value", TRICKY)
def test_a_string_reads_back_as_itself(value):
    assert yaml.safe_load(dump({"v": value, value: "key"})) == {"v": value, value: "key"}


@pytest.mark.parametrize("value, want", [
    ("plain", "plain"), ("/items/[id]", "/items/[id]"), ("https://shop.example.com", "https://shop.example.com"),
    ("700ms", "700ms"), ("Bearer {{ token }}", '"Bearer {{ token }}"'), ("3", '"3"'), ("on", '"on"'),
    ("*/*", '"*/*"'), ("nel\x85", '"nel\\u0085"'), ("é中", '"é中"'), (3, "3"), (2.5, "2.5"), (True, "true"),
    (None, "null"),
])
def test_scalars_are_bare_when_yaml_reads_them_as_strings(value, want):
    assert scalar(value) == want


def test_dump_writes_block_style_with_comments_above_their_nodes():
    data = {"host": "https://shop.example.com",
            "tasks": [{"name": "visit", "steps": [{"path": "/", "headers": {"Accept": "*/*"}}, {"think": "1s"},
                                                  {"method": "POST", "path": "/login", "json": {"user": "a", "n": [1, {"k": None}]},
                                                   "extract": {}}]}]}
    comments = {("tasks", 0, "steps", 2): ["left out (secrets): JSON $.password; --secrets env sends them from "
                                           "environment variables, and this line is long enough to wrap"],
                ("host",): ["the site"]}
    text = dump(data, comments, head=["made from rec.har", "", "second line"])
    assert text == """\
# made from rec.har
#
# second line
# the site
host: https://shop.example.com
tasks:
  - name: visit
    steps:
      - path: /
        headers:
          Accept: "*/*"
      - think: 1s
      # left out (secrets): JSON $.password; --secrets env sends them from environment variables,
      #   and this line is long enough to wrap
      - method: POST
        path: /login
        json:
          user: a
          "n":
            - 1
            - k: null
        extract: {}
"""
    assert yaml.safe_load(text) == data
