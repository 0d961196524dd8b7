"""locust_fleet.har.convert: a recording turned into scenario data, feature by feature (filters,
hosts, headers, secrets, bodies, think times, names, redirects, values from earlier responses), and
the Chrome and Firefox exports of tests/har/ as a whole."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from locust_fleet.har.archive import parse_har, read_archive
from locust_fleet.har.convert import ConversionError, Options, convert
from locust_fleet.har.filters import Filters, HostPattern
from locust_fleet.har.headers import HeaderRules
from locust_fleet.har.yaml_text import dump

FIXTURES = Path(__file__).parent / "har"
T0 = datetime(2024, 5, 14, 9, 0, tzinfo=timezone.utc)
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0NzExIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def entry(url: str = "https://shop.example.com/", method: str = "GET", status: int = 200, at: float = 0,
          took: float = 50, headers: dict | list = (), post: dict | None = None, rtype: str | None = "fetch",
          mime: str = "application/json", body: str | None = None, resp_headers: dict | list = (),
          redirect: str = "", **extra) -> dict:
    def pairs(h):
        return [{"name": n, "value": v} for n, v in (h.items() if isinstance(h, dict) else h)]

    e = {"startedDateTime": (T0 + timedelta(milliseconds=at)).isoformat().replace("+00:00", "Z"), "time": took,
         "request": {"method": method, "url": url, "headers": pairs(headers)},
         "response": {"status": status, "headers": pairs(resp_headers), "redirectURL": redirect,
                      "content": {"mimeType": mime, **({"text": body} if body is not None else {})}}}
    if post is not None:
        e["request"]["postData"] = post
    if rtype is not None:
        e["_resourceType"] = rtype
    e.update(extra)
    return e


def page(url: str = "https://shop.example.com/", **kw) -> dict:
    return entry(url, rtype="document", mime="text/html", **kw)


def run(*entries: dict, **options):
    filters = {k: options.pop(k) for k in ("hosts", "all_hosts", "keep_static", "exclude") if k in options}
    if "hosts" in filters:
        filters["hosts"] = tuple(HostPattern(h) for h in filters["hosts"])
    if "exclude" in filters:
        filters["exclude"] = tuple(re.compile(x) for x in filters["exclude"])
    rules = {k: options.pop(k) for k in ("user_agent", "keep", "drop") if k in options}
    archive = read_archive({"log": {"entries": list(entries)}}, "rec.har")
    return convert(archive, "rec.har", Options(filters=Filters(**filters), headers=HeaderRules(**rules), **options))


def requests_of(result) -> list[dict]:
    return [s for s in result.scenario["tasks"][0]["steps"] if "path" in s]


def paths(result) -> list[str]:
    return [s["path"] for s in requests_of(result)]


def json_post(value, mime="application/json") -> dict:
    return {"mimeType": mime, "text": json.dumps(value)}


def form_post(text=None, params=None) -> dict:
    post = {"mimeType": "application/x-www-form-urlencoded"}
    if text is not None:
        post["text"] = text
    if params is not None:
        post["params"] = [{"name": n, "value": v} for n, v in params]
    return post


# -- filters ------------------------------------------------------------------------------------

STATIC_AND_NOT = [
    ("chrome script", entry("https://shop.example.com/app.js", rtype="script", mime="text/javascript"), False),
    ("chrome stylesheet", entry("https://shop.example.com/s", rtype="stylesheet", mime="text/css"), False),
    ("chrome image", entry("https://shop.example.com/i", rtype="image", mime="image/png"), False),
    ("chrome font", entry("https://shop.example.com/f", rtype="font", mime="font/woff2"), False),
    ("chrome media", entry("https://shop.example.com/v", rtype="media", mime="video/mp4"), False),
    ("chrome favicon (other)", entry("https://shop.example.com/favicon.ico", rtype="other", mime="image/x-icon"), False),
    ("chrome fetch of JSON", entry("https://shop.example.com/api/items", rtype="fetch"), True),
    ("chrome xhr named .js", entry("https://shop.example.com/api/config.js", rtype="xhr"), True),
    ("firefox css by type", entry("https://shop.example.com/s", rtype=None, mime="text/css"), False),
    ("firefox script by type", entry("https://shop.example.com/s", rtype=None, mime="application/javascript; charset=utf-8"), False),
    ("firefox image by type", entry("https://shop.example.com/s", rtype=None, mime="image/webp"), False),
    ("firefox font by extension", entry("https://shop.example.com/f.woff2", rtype=None, mime=""), False),
    ("firefox JSON", entry("https://shop.example.com/api", rtype=None), True),
]


@pytest.mark.parametrize("name, static, kept", STATIC_AND_NOT, ids=[c[0] for c in STATIC_AND_NOT])
def test_static_assets_are_left_out_unless_kept(name, static, kept):
    site = page(at=0)
    assert paths(run(site, static)) == ["/"] + ([static["request"]["url"].split(".com", 1)[1]] if kept else [])
    assert len(requests_of(run(site, static, keep_static=True))) == 2


HOSTS = [
    # (name, page URL, other URL, kept by default)
    ("subdomain of the site", "https://www.example.com/", "https://api.example.com/v1", True),
    ("the site itself", "https://www.example.com/", "https://example.com/v1", True),
    ("another site", "https://www.example.com/", "https://www.google-analytics.com/collect", False),
    ("a suffix that is not the site", "https://www.example.com/", "https://notexample.com/x", False),
    ("two-label public suffix", "https://shop.example.co.uk/", "https://api.example.co.uk/x", True),
    ("another site under co.uk", "https://shop.example.co.uk/", "https://other.co.uk/x", False),
    ("same IP address, other port", "http://127.0.0.1:8080/", "http://127.0.0.1:9090/x", True),
    ("localhost beside an IP address", "http://127.0.0.1:8080/", "http://localhost:8080/x", False),
]


@pytest.mark.parametrize("name, site, other, kept", HOSTS, ids=[c[0] for c in HOSTS])
def test_third_party_hosts_are_left_out_by_site(name, site, other, kept):
    result = run(page(site), entry(other, at=10))
    assert len(requests_of(result)) == (2 if kept else 1)
    if not kept:
        host = other.split("//")[1].split("/")[0].split(":")[0]
        assert f"left out: requests to third-party hosts: 1 ({host}: 1); --host or --all-hosts keeps them" in result.summary
    assert len(requests_of(run(page(site), entry(other, at=10), all_hosts=True))) == 2


@pytest.mark.parametrize("patterns, want", [
    (["api.example.com"], ["/v1"]),
    (["*.example.com"], ["/", "/v1"]),
    (["example.com", "cdn.other.net"], ["/x"]),
    (["https://api.example.com"], ["/v1"]),
    (["http://api.example.com"], []),
    (["api.example.com:8443"], []),
    (["cdn.other.net:443"], ["/x"]),
], ids=["a host", "a wildcard: it and its subdomains", "several", "an origin", "another scheme", "another port",
        "a default port"])
def test_host_options_choose_the_hosts(patterns, want):
    entries = [page("https://www.example.com/"), entry("https://api.example.com/v1", at=10),
               entry("https://cdn.other.net/x", at=20)]
    if not want:
        with pytest.raises(ConversionError):
            run(*entries, hosts=patterns)
        return
    assert paths(run(*entries, hosts=patterns)) == want


def test_host_pattern_refuses_what_is_not_a_host():
    with pytest.raises(ValueError) as raised:
        HostPattern("https://api.example.com/v1/path")
    assert str(raised.value) == ("--host: got 'https://api.example.com/v1/path'; expected a host (example.com), a host "
                                 "and port (example.com:8080), *.example.com (it and its subdomains) or an origin "
                                 "(https://api.example.com)")


def test_what_the_browser_did_by_itself_or_never_sent_is_left_out():
    entries = [
        page(),
        entry("https://shop.example.com/api/session", method="OPTIONS", at=10, rtype="other",
              headers={"Access-Control-Request-Method": "POST"}),
        entry("https://shop.example.com/api/x", method="OPTIONS", at=11, rtype="preflight"),
        entry("https://shop.example.com/api/config", at=20, _fromCache="disk"),
        entry("https://shop.example.com/track", at=30, status=0, _error="net::ERR_BLOCKED_BY_CLIENT"),
        entry("wss://shop.example.com/live", at=40, status=101, rtype="websocket"),
        entry("data:image/png;base64,iVBO", at=50, rtype="image"),
        entry("chrome-extension://abcdef/script.js", at=60),
        entry("https://shop.example.com/api/keep", at=70),
        entry("https://shop.example.com/api/beacon", at=80),
        entry("https://shop.example.com/api/OPTIONS-is-fine", method="OPTIONS", at=90),
    ]
    result = run(*entries, exclude=["beacon$"])
    assert paths(result) == ["/", "/api/keep", "/api/OPTIONS-is-fine"]
    assert [line for line in result.summary if line.startswith("left out")] == [
        "left out: requests that are not HTTP (data:, blob:, extensions): 2",
        "left out: WebSocket connections (the worker sends HTTP requests): 1",
        "left out: requests excluded by --exclude: 1",
        "left out: CORS preflights (the browser sends them by itself): 2",
        "left out: requests answered from the browser's cache (never sent): 1",
        "left out: requests without an answer in the browser (blocked, cancelled, failed): 1",
    ]


def test_a_recording_with_nothing_left_to_convert_says_why():
    with pytest.raises(ConversionError) as raised:
        run(entry("https://cdn.other.net/a.js", rtype="script"), entry("https://ads.example.net/x", at=5))
    assert raised.value.problems == [
        "rec.har: none of its 2 recorded requests is left to convert: requests to third-party hosts: 1 "
        "(ads.example.net: 1); --host or --all-hosts keeps them; static assets (scripts, styles, images, fonts, "
        "media): 1; --keep-static keeps them; expected at least one request of the site"]


# -- hosts --------------------------------------------------------------------------------------

def test_each_origin_is_a_host_named_by_its_first_label():
    result = run(page("https://www.example.com/"), entry("https://api.example.com/v1/items", at=10),
                 entry("https://login.example.com:8443/token", at=20), entry("http://api.example.com/old", at=30),
                 entry("https://www.example.com:444/x", at=40), entry("https://api.example.com:443/v1/more", at=50))
    assert result.scenario["host"] == "https://www.example.com"
    assert result.scenario["hosts"] == {"api": "https://api.example.com", "login": "https://login.example.com:8443",
                                        "api_example_com": "http://api.example.com",
                                        "www_example_com_444": "https://www.example.com:444"}
    assert [(s.get("host"), s.get("name")) for s in requests_of(result)] == [
        (None, None), ("api", None), ("login", None), ("api_example_com", None), ("www_example_com_444", None),
        ("api", None)]


def test_the_first_page_is_the_default_host_else_the_first_request():
    assert run(entry("https://api.example.com/a"), page("https://www.example.com/", at=5)).scenario["host"] == \
        "https://www.example.com"
    assert run(entry("https://api.example.com/a"), entry("https://www.example.com/b", at=5)).scenario["host"] == \
        "https://api.example.com"


# -- headers ------------------------------------------------------------------------------------

CHROME_HEADERS = [(":authority", "shop.example.com"), (":method", "GET"), (":path", "/api"), (":scheme", "https"),
                  ("accept", "application/json"), ("accept-encoding", "gzip, deflate, br, zstd"),
                  ("accept-language", "en-GB,en;q=0.9"), ("cache-control", "no-cache"), ("cookie", "sid=abc123def"),
                  ("if-none-match", 'W/"5"'), ("origin", "https://shop.example.com"), ("pragma", "no-cache"),
                  ("priority", "u=1, i"), ("referer", "https://shop.example.com/"), ("sec-ch-ua", '"Chromium";v="124"'),
                  ("sec-fetch-mode", "cors"), ("user-agent", "Mozilla/5.0 Chrome/124"), ("x-shop-client", "web/1.0"),
                  ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("dnt", "1"), ("tenant", "t1"),
                  ("accept", "text/plain")]


@pytest.mark.parametrize("rules, want", [
    ({}, {"Accept": "application/json, text/plain", "Accept-Language": "en-GB,en;q=0.9",
          "Origin": "https://shop.example.com", "X-Shop-Client": "web/1.0",
          "X-B3-Traceid": "80f198ee56343ba864fe8b2a57d3eff7", "Tenant": "t1"}),
    ({"user_agent": "recorded"}, {"User-Agent": "Mozilla/5.0 Chrome/124"}),
    ({"keep": frozenset({"referer", "cookie", "dnt"})}, {"Referer": "https://shop.example.com/", "Dnt": "1"}),
    ({"drop": frozenset({"x-b3-traceid", "origin"})}, {"X-B3-Traceid": None, "Origin": None}),
], ids=["default", "the browser's user agent", "kept by name, never Cookie", "dropped by name"])
def test_headers_that_matter_are_kept_and_browser_noise_dropped(rules, want):
    (step,) = requests_of(run(entry("https://shop.example.com/api", headers=CHROME_HEADERS), **rules))
    got = step["headers"]
    for name, value in want.items():
        assert got.get(name) == value, (name, got)
    assert not {"Cookie", "Accept-Encoding", "Cache-Control", "Pragma", "Priority", "Sec-Ch-Ua", "If-None-Match"} & set(got)
    assert not [n for n in got if n.startswith(":")]
    if "user_agent" not in rules:
        assert "User-Agent" not in got


def test_a_user_agent_of_ones_own_is_sent_by_every_request():
    result = run(page(headers={"User-Agent": "Mozilla/5.0"}), entry(at=10), user_agent="load-test/1.0")
    assert result.scenario["headers"] == {"User-Agent": "load-test/1.0"}
    assert all("headers" not in s for s in requests_of(result))


def test_headers_every_request_sends_alike_go_to_the_scenario_once():
    result = run(page(headers={"Accept-Language": "de", "X-App": "a", "Accept": "text/html"}),
                 entry("https://shop.example.com/api", at=10, headers={"accept-language": "de", "X-App": "a",
                                                                       "Accept": "application/json"}),
                 entry("https://shop.example.com/api2", at=20, headers={"Accept-Language": "de", "X-App": "b"}))
    assert result.scenario["headers"] == {"Accept-Language": "de"}
    assert [s.get("headers") for s in requests_of(result)] == [
        {"X-App": "a", "Accept": "text/html"}, {"X-App": "a", "Accept": "application/json"}, {"X-App": "b"}]


# -- secrets ------------------------------------------------------------------------------------

SECRETS = [
    # (name, the recorded request, what the step holds per mode: drop, env, keep, the env variables)
    ("bearer token",
     entry(headers={"Authorization": "Bearer " + JWT, "Accept": "*/*"}),
     {"headers": {"Accept": "*/*"}},
     {"headers": {"Accept": "*/*", "Authorization": "Bearer {{ env.BEARER_TOKEN }}"}},
     {"headers": {"Accept": "*/*", "Authorization": "Bearer " + JWT}},
     {"BEARER_TOKEN": ["header Authorization"]}),
    ("basic auth",
     entry(headers={"Authorization": "Basic " + base64.b64encode(b"bob:s3cret:pass").decode()}),
     {}, {"auth": {"basic": {"user": "bob", "password": "{{ env.BASIC_PASSWORD }}"}}},
     {"auth": {"basic": {"user": "bob", "password": "s3cret:pass"}}},
     {"BASIC_PASSWORD": ["header Authorization (Basic)"]}),
    ("api key header",
     entry(headers={"X-Api-Key": "k-9a8b7c6d5e"}),
     {}, {"headers": {"X-Api-Key": "{{ env.X_API_KEY }}"}}, {"headers": {"X-Api-Key": "k-9a8b7c6d5e"}},
     {"X_API_KEY": ["header X-Api-Key"]}),
    ("token in a query string",
     entry("https://shop.example.com/feed?access_token=tok-1a2b3c4d&limit=5"),
     {"path": "/feed?limit=5", "name": "/feed"}, {"path": "/feed?access_token={{ env.ACCESS_TOKEN }}&limit=5", "name": "/feed"},
     {"path": "/feed?access_token=tok-1a2b3c4d&limit=5", "name": "/feed"},
     {"ACCESS_TOKEN": ["query parameter access_token"]}),
    ("password in a form",
     entry(method="POST", post=form_post("user=bob&newPassword=p%40ss+word&remember=1")),
     {"form": {"user": "bob", "remember": "1"}},
     {"form": {"user": "bob", "newPassword": "{{ env.NEW_PASSWORD }}", "remember": "1"}},
     {"form": {"user": "bob", "newPassword": "p@ss word", "remember": "1"}},
     {"NEW_PASSWORD": ["form field newPassword"]}),
    ("password deep in JSON, a token under a harmless name",
     entry(method="POST", post=json_post({"login": {"email": "a@b.c", "password": "hunter22"}, "note": JWT})),
     {"json": {"login": {"email": "a@b.c"}}},
     {"json": {"login": {"email": "a@b.c", "password": "{{ env.PASSWORD }}"}, "note": "{{ env.NOTE }}"}},
     {"json": {"login": {"email": "a@b.c", "password": "hunter22"}, "note": JWT}},
     {"PASSWORD": ["JSON $.login.password"], "NOTE": ["JSON $.note"]}),
    ("credentials in the URL",
     entry("https://bob:url-pass-77@shop.example.com/admin"),
     {"path": "/admin"}, {"path": "/admin", "auth": {"basic": {"user": "bob", "password": "{{ env.BASIC_PASSWORD }}"}}},
     {"path": "/admin", "auth": {"basic": {"user": "bob", "password": "url-pass-77"}}},
     {"BASIC_PASSWORD": ["URL credentials"]}),
    ("a secret in a text body",
     entry(method="POST", post={"mimeType": "text/plain", "text": f"token={JWT}&x=1"}),
     {"body": "token=REDACTED&x=1", "headers": {"Content-Type": "text/plain"}},
     {"body": "token={{ env.SECRET }}&x=1", "headers": {"Content-Type": "text/plain"}},
     {"body": f"token={JWT}&x=1", "headers": {"Content-Type": "text/plain"}},
     {"SECRET": ["a secret in the body"]}),
]


@pytest.mark.parametrize("mode", ["drop", "env", "keep"])
@pytest.mark.parametrize("name, recorded, dropped, from_env, kept, env", SECRETS, ids=[c[0] for c in SECRETS])
def test_secrets_are_left_out_or_from_the_environment_unless_kept(name, recorded, dropped, from_env, kept, env, mode):
    result = run(recorded, secrets=mode)
    (step,) = requests_of(result)
    want = {"drop": dropped, "env": from_env, "keep": kept}[mode]
    for key in ("headers", "auth", "form", "json", "body", "path", "name"):
        assert step.get(key, {} if key != "path" else "/") == want.get(key, {} if key != "path" else "/"), (key, step)
    assert result.env == (env if mode == "env" else {})
    text = dump(result.scenario, result.comments, result.summary)
    secret_values = [JWT, "s3cret:pass", "k-9a8b7c6d5e", "tok-1a2b3c4d", "p@ss word", "p%40ss", "hunter22", "url-pass-77",
                     base64.b64encode(b"bob:s3cret:pass").decode()]
    leaked = [v for v in secret_values if v in text]
    assert (leaked != []) == (mode == "keep"), leaked


def test_the_comments_and_the_summary_say_which_secrets_were_left_out_and_how_to_send_them():
    recorded = entry(method="POST", headers={"Authorization": "Bearer " + JWT},
                     post=form_post("user=bob&password=hunter22"))
    result = run(recorded, entry("https://shop.example.com/b", at=10, headers={"Authorization": "Bearer " + JWT}))
    assert result.comments[("tasks", 0, "steps", 0)] == [
        "left out (secrets): header Authorization, form field password; --secrets env sends them from environment "
        "variables"]
    assert "secrets left out: header Authorization (2 steps), form field password; --secrets env sends them from " \
           "environment variables" in result.summary
    env = run(recorded, secrets="env")
    assert env.comments[("tasks", 0, "steps", 0)] == [
        "secrets from the environment: header Authorization from BEARER_TOKEN, form field password from PASSWORD"]
    assert "needs the environment variable PASSWORD: form field password" in env.summary
    kept = run(recorded, secrets="keep")
    assert "secrets written as recorded (--secrets keep): header Authorization, form field password; keep this file " \
           "private" in kept.summary


def test_a_secret_sent_again_under_a_harmless_name_is_still_a_secret():
    result = run(entry(headers={"Authorization": "Bearer opaque-token-55"}),
                 entry("https://shop.example.com/dl?t=opaque-token-55", at=10))
    assert paths(result) == ["/", "/dl"]
    env = run(entry(headers={"Authorization": "Bearer opaque-token-55"}),
              entry("https://shop.example.com/dl?t=opaque-token-55", at=10), secrets="env")
    assert paths(env)[1] == "/dl?t={{ env.BEARER_TOKEN }}"


def test_the_same_name_with_another_value_gets_its_own_variable():
    result = run(entry(method="POST", post=form_post("password=one-1111")),
                 entry("https://shop.example.com/b", method="POST", at=10, post=form_post("password=two-2222")),
                 entry("https://shop.example.com/c", method="POST", at=20, post=form_post("password=one-1111")),
                 secrets="env")
    assert [s["form"]["password"] for s in requests_of(result)] == [
        "{{ env.PASSWORD }}", "{{ env.PASSWORD_2 }}", "{{ env.PASSWORD }}"]


# -- bodies -------------------------------------------------------------------------------------

BODIES = [
    ("JSON keeps its types", json_post({"n": 3, "f": 2.5, "ok": True, "none": None, "list": [1, "a"], "o": {}}),
     "", {"json": {"n": 3, "f": 2.5, "ok": True, "none": None, "list": [1, "a"], "o": {}}}),
    ("JSON with charset needs no header", json_post({"a": 1}, mime="application/json; charset=utf-8"),
     "", {"json": {"a": 1}}),
    ("a JSON media type of its own is sent", json_post({"data": []}, mime="application/vnd.api+json"),
     "", {"json": {"data": []}, "headers": {"Content-Type": "application/vnd.api+json"}}),
    ("a top-level JSON list", json_post([1, 2]), "", {"json": [1, 2]}),
    ("JSON sent as text stays text", {"mimeType": "text/plain;charset=UTF-8", "text": '{"a":1}'},
     "", {"body": '{"a":1}', "headers": {"Content-Type": "text/plain;charset=UTF-8"}}),
    ("not JSON under a JSON type", {"mimeType": "application/json", "text": "{oops"},
     "", {"body": "{oops", "headers": {"Content-Type": "application/json"}}),
    ("a form from its text", form_post("q=blue+shoes&tag=a&tag=b%26c&empty="),
     "", {"form": {"q": "blue shoes", "tag": ["a", "b&c"], "empty": ""}}),
    ("a form only as params, encoded as sent (Chrome)", form_post(params=[("name", "Alice%20Example"), ("a+b", "1%2B1")]),
     "", {"form": {"name": "Alice Example", "a b": "1+1"}}),
    ("a form with a charset", form_post("a=1") | {"mimeType": "application/x-www-form-urlencoded; charset=UTF-8"},
     "", {"form": {"a": "1"}}),
    ("XML", {"mimeType": "application/xml", "text": "<a>1</a>"},
     "", {"body": "<a>1</a>", "headers": {"Content-Type": "application/xml"}}),
    ("a body the HAR does not hold", {"mimeType": "application/octet-stream"}, "the recording holds no body for "
     "this request (the browser left it out of the HAR): add it by hand",
     {"headers": {"Content-Type": "application/octet-stream"}}),
]


@pytest.mark.parametrize("name, post, note, want", BODIES, ids=[c[0] for c in BODIES])
def test_request_bodies_become_json_form_or_text(name, post, note, want):
    result = run(entry(method="POST", post=post, headers={"Content-Type": post["mimeType"]}))
    (step,) = requests_of(result)
    for key in ("json", "form", "body", "multipart", "body_file"):
        assert step.get(key) == want.get(key), (key, step)
    assert step.get("headers", {}) == want.get("headers", {})
    assert (note in result.comments.get(("tasks", 0, "steps", 0), [])) if note else True


def test_a_get_with_an_empty_body_sends_none():
    (step,) = requests_of(run(entry(post={"mimeType": "", "text": ""})))
    assert "body" not in step and "headers" not in step


MULTIPART_TEXT = ('------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name="caption"\r\n\r\nAt the "beach"\r\n'
                  '------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: '
                  'application/json\r\n\r\n{"a": 1}\r\n'
                  '------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name="avatar"; filename="me.jpg"\r\n'
                  'Content-Type: image/jpeg\r\n\r\n\r\n'
                  '------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name="doc"; filename="notes.txt"\r\n'
                  'Content-Type: text/plain\r\n\r\nline 1\nline 2\r\n'
                  '------WebKitFormBoundaryX\r\nContent-Disposition: form-data; name="doc"; filename="notes.txt"\r\n\r\n'
                  'again\r\n------WebKitFormBoundaryX--\r\n')


def test_multipart_text_fields_stay_and_files_are_written_beside_the_scenario():
    post = {"mimeType": "multipart/form-data; boundary=----WebKitFormBoundaryX", "text": MULTIPART_TEXT}
    result = run(entry("https://shop.example.com/upload", method="POST", post=post,
                       headers={"Content-Type": post["mimeType"]}), files_dir="rec-files")
    (step,) = requests_of(result)
    assert step["multipart"] == {
        "caption": 'At the "beach"', "meta": {"value": '{"a": 1}', "content_type": "application/json"},
        "avatar": {"file": "rec-files/me.jpg", "content_type": "image/jpeg"},
        "doc": [{"file": "rec-files/notes.txt", "content_type": "text/plain"},
                {"file": "rec-files/notes-2.txt", "filename": "notes.txt"}]}
    assert "headers" not in step  # the worker's own boundary
    assert result.files == {"rec-files/me.jpg": b"", "rec-files/notes.txt": b"line 1\nline 2",
                            "rec-files/notes-2.txt": b"again"}
    assert result.comments[("tasks", 0, "steps", 0)] == [
        "multipart file 'avatar' (me.jpg) is rec-files/me.jpg: the HAR holds none of its bytes (browsers leave file "
        "contents out): replace it with the real file",
        "multipart file 'doc' (notes.txt) is rec-files/notes.txt: written from the HAR (13 bytes; a HAR holds text: check "
        "a binary file)",
        "multipart file 'doc' (notes.txt) is rec-files/notes-2.txt: written from the HAR (5 bytes; a HAR holds text: check "
        "a binary file)"]


def test_multipart_as_params_and_password_parts_are_secrets():
    post = {"mimeType": "multipart/form-data; boundary=x",
            "params": [{"name": "user", "value": "bob"}, {"name": "password", "value": "pw-123456"},
                       {"name": "f", "value": "", "fileName": "../../etc/a b.png", "contentType": "image/png"}]}
    (step,) = requests_of(run(entry(method="POST", post=post)))
    assert step["multipart"] == {"user": "bob", "f": {"file": "files/a_b.png", "content_type": "image/png",
                                                      "filename": "../../etc/a b.png"}}


def test_a_body_holding_braces_is_sent_from_a_file_as_it_is():
    text = json.dumps({"template": "Hello {{name}}", "token": "tok-55aa66bb"})
    result = run(entry(method="POST", post=json_post({"template": "Hello {{name}}", "token": "tok-55aa66bb"})))
    (step,) = requests_of(result)
    assert step["body_file"] == "files/body-0.txt" and step["headers"] == {"Content-Type": "application/json"}
    assert result.files == {"files/body-0.txt": text.replace("tok-55aa66bb", "REDACTED").encode()}


# A text body (XML, plain text, a JSON type whose text is not JSON) holding "{{" went the same way
# and failed with a TypeError traceback (body_file was called without its secrets).
@pytest.mark.parametrize("mime, text", [
    ("text/plain", "hello {{ world }}"),
    ("application/xml; charset=utf-8", "<a>{{x}}</a>"),
    ("application/json", "not json {{"),
])
def test_a_text_body_holding_braces_is_sent_from_a_file_as_it_is(mime, text):
    result = run(entry(method="POST", post={"mimeType": mime, "text": text}))
    (step,) = requests_of(result)
    assert step["body_file"] == "files/body-0.txt" and step["headers"] == {"Content-Type": mime}
    assert result.files == {"files/body-0.txt": text.encode()}


# -- think times --------------------------------------------------------------------------------

@pytest.mark.parametrize("starts, options, want", [
    ([(0, 100), (1600, 50)], {}, ["1.5s"]),
    ([(0, 100), (400, 50)], {}, []),
    ([(0, 100), (400, 50)], {"min_think_ms": 0}, ["300ms"]),
    ([(0, 100), (50, 500), (1200, 50)], {}, ["650ms"]),
    ([(0, 100), (60_100, 10)], {}, ["1m"]),
    ([(0, 100), (125_123, 10)], {}, ["2m5.02s"]),
    ([(0, 100), (125_123, 10)], {"max_think_ms": 30_000}, ["30s"]),
    ([(0, 100), (5000, 10)], {"think": False}, []),
    ([(0, 100), (1834, 10), (2700, 10)], {}, ["1.73s", "860ms"]),
], ids=["a pause", "too short", "every pause", "after the slowest of parallel requests", "a minute",
        "minutes and seconds", "cut to max", "none", "rounded to 10ms"])
def test_think_times_are_the_recorded_pauses(starts, options, want):
    entries = [entry(f"https://shop.example.com/{i}", at=at, took=took) for i, (at, took) in enumerate(starts)]
    steps = run(*entries, **options).scenario["tasks"][0]["steps"]
    assert [s["think"] for s in steps if "think" in s] == want
    assert [s["path"] for s in steps if "path" in s] == [f"/{i}" for i in range(len(starts))]


def test_steps_follow_the_order_requests_started_whatever_the_har_order():
    entries = [entry("https://shop.example.com/b", at=20), entry("https://shop.example.com/a", at=10),
               entry("https://shop.example.com/c", at=30)]
    assert paths(run(*entries)) == ["/a", "/b", "/c"]


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, path, name", [
    ("https://shop.example.com/items", "/items", None),
    ("https://shop.example.com/items/4711", "/items/4711", "/items/[id]"),
    ("https://shop.example.com/u/8f14e45f-ceea-467f-a0e6-0123456789ab/x", "/u/8f14e45f-ceea-467f-a0e6-0123456789ab/x",
     "/u/[id]/x"),
    ("https://shop.example.com/c/5f2b9c0e1a7d", "/c/5f2b9c0e1a7d", "/c/[id]"),
    ("https://shop.example.com/t/AbCdEf0123456789xyz", "/t/AbCdEf0123456789xyz", "/t/[id]"),
    ("https://shop.example.com/v2/items/shoes", "/v2/items/shoes", None),
    ("https://shop.example.com/search?q=blue+shoes&p=2#top", "/search?q=blue+shoes&p=2", "/search"),
    ("https://shop.example.com/a%20b/%7B%7Bx%7D%7D?f={{x}}", "/a%20b/%7B%7Bx%7D%7D?f=%7B%7Bx%7D%7D", "/a%20b/%7B%7Bx%7D%7D"),
    ("https://shop.example.com", "/", None),
    ("https://shop.example.com/api/st%C3%A4dte/M%c3%bcnchen/4711?q=caf%C3%A9+%26+cr%C3%A8me&x=1%2B1",
     "/api/städte/München/4711?q=café+%26+crème&x=1%2B1", "/api/städte/München/[id]"),
    ("https://shop.example.com/%E2%82%AC%20%F0%9F%93%A6/%C2%A0%FF%C3", "/€%20📦/%C2%A0%FF%C3", None),
], ids=["a plain path", "a number", "a uuid", "a hash", "a token", "words and versions", "a query string",
        "braces escaped", "no path", "non-ASCII letters as they read", "ASCII escapes and what is no letter kept"])
def test_rows_are_named_by_the_path_with_ids_replaced(url, path, name):
    (step,) = requests_of(run(entry(url)))
    assert (step["path"], step.get("name")) == (path, name)


def test_a_named_host_follows_the_name_as_the_worker_writes_it():
    result = run(page("https://www.example.com/"), entry("https://api.example.com/items/12345?x=1", at=10),
                 entry("https://api.example.com/items", at=20))
    assert [s.get("name") for s in requests_of(result)] == [None, "/items/[id] (api)", None]


# -- redirects ----------------------------------------------------------------------------------

def test_a_redirect_chain_is_one_step_answered_by_its_last_hop():
    result = run(
        page("https://www.example.com/"),
        entry("https://www.example.com/login", method="POST", at=100, status=302, redirect="https://sso.example.net/auth?c=1",
              post=form_post("user=bob")),
        entry("https://sso.example.net/auth?c=1", at=150, status=303, resp_headers={"Location": "/done#frag"}),
        entry("https://sso.example.net/done", at=180, status=401),
        entry("https://www.example.com/next", at=300),
    )
    assert paths(result) == ["/", "/login", "/next"]
    login = requests_of(result)[1]
    assert login["expect_status"] == 401 and login["form"] == {"user": "bob"}
    assert result.comments[("tasks", 0, "steps", 1)] == [
        "redirected: 302 to https://sso.example.net/auth?c=1 -> 303 to /done#frag (the worker follows redirects: one "
        "request, as Locust counts it)", "the recording's answer was 401"]
    assert "redirects: 2 hops followed by the worker itself, not steps of their own" in result.summary


def test_a_redirect_whose_hop_was_not_recorded_stays_one_request():
    result = run(entry(status=302, redirect="/elsewhere"), entry("https://shop.example.com/other", at=10))
    assert paths(result) == ["/", "/other"]


# -- values from earlier responses --------------------------------------------------------------

def login_and_list(**options):
    return run(
        entry("https://api.example.com/session", method="POST", post=json_post({"user": "bob"}),
              body=json.dumps({"token": JWT, "user": {"id": 4711}}),
              resp_headers=[("X-Csrf-Token", "csrf-5f6e7d8c9b"), ("Set-Cookie", "xsrf=xs-1a2b3c4d5e; Path=/")]),
        entry("https://api.example.com/items", at=10, headers={"Authorization": "Bearer " + JWT},
              body=json.dumps({"items": [{"id": 901, "sku": "SKU-AB12CD"}, {"id": 902, "sku": "SKU-EF34GH"}], "count": 2})),
        entry("https://api.example.com/items/902", at=20, headers={"Authorization": "Bearer " + JWT}),
        entry("https://api.example.com/cart", method="POST", at=30,
              headers={"X-CSRF-Token": "csrf-5f6e7d8c9b", "X-Xsrf": "xs-1a2b3c4d5e"},
              post=json_post({"item": 902, "sku": "SKU-EF34GH", "qty": 2, "owner": "4711"})),
        **options)


def test_ids_and_tokens_an_earlier_response_gave_are_extracted_from_it():
    steps = requests_of(login_and_list())
    assert steps[0]["extract"] == {"token": {"json": "$.token"}, "user_id_value": {"json": "$.user.id"},
                                   "csrf_token": {"header": "X-Csrf-Token"}, "xsrf": {"cookie": "xsrf"}}
    assert steps[1]["headers"] == {"Authorization": "Bearer {{ token }}"}
    assert steps[1]["extract"] == {"item_id": {"json": "$.items[1].id"}, "sku": {"json": "$.items[1].sku"}}
    assert (steps[2]["path"], steps[2].get("name")) == ("/items/{{ item_id }}", None)
    assert steps[3]["headers"] == {"X-CSRF-Token": "{{ csrf_token }}", "X-Xsrf": "{{ xsrf }}"}
    assert steps[3]["json"] == {"item": "{{ item_id | number }}", "sku": "{{ sku }}", "qty": 2, "owner": "{{ user_id_value }}"}


def test_no_correlate_sends_what_was_recorded():
    steps = requests_of(login_and_list(correlate=False))
    assert "extract" not in steps[0]
    assert steps[2]["path"] == "/items/902" and steps[3]["json"]["item"] == 902


def test_a_token_in_an_html_page_is_extracted_by_a_regular_expression():
    html = '<html>\n<form><input type="hidden" name="csrf" value="Zq8v2kT9pL1xW4mN"> <a href="/x?y=1">\n</form>'
    result = run(page("https://forum.example.org/login", body=html),
                 entry("https://forum.example.org/login", method="POST", at=10,
                       post=form_post("user=bob&csrf=Zq8v2kT9pL1xW4mN")))
    first, second = requests_of(result)
    assert first["extract"] == {"csrf": {"regex": 'name="csrf" value="([A-Za-z0-9_-]+)'}}
    assert second["form"] == {"user": "bob", "csrf": "{{ csrf }}"}
    assert re.search(first["extract"]["csrf"]["regex"], html).group(1) == "Zq8v2kT9pL1xW4mN"


def test_a_next_link_an_earlier_answer_gave_is_followed_not_replayed():
    """A cursor's next page: the recorded URL holds the recording's cursor; the step follows the
    link the previous page gives (absolute, from /, or relative to that page's URL)."""
    cursor1, cursor2, cursor3 = "Y3Vyc29yOjEwMA", "Y3Vyc29yOjIwMA", "Y3Vyc29yOjMwMA"
    result = run(
        entry("https://api.example.com/v1/items?limit=2", body=json.dumps({"next": f"https://api.example.com/v1/items?cursor={cursor1}"})),
        entry(f"https://api.example.com/v1/items?cursor={cursor1}", at=10,
              body=json.dumps({"links": {"next": f"/v1/items?cursor={cursor2}"}})),
        entry(f"https://api.example.com/v1/items?cursor={cursor2}", at=20, body=json.dumps({"next": f"items?cursor={cursor3}"})),
        entry(f"https://api.example.com/v1/items?cursor={cursor3}", at=30, body=json.dumps({"next": None})),
        entry("https://api.example.com/v1/about", at=40))
    steps = requests_of(result)
    assert [s["path"] for s in steps] == ["/v1/items?limit=2", "{{ next }}", "{{ next_2 }}", "{{ next_3 }}", "/v1/about"]
    assert [s.get("extract") for s in steps[:3]] == [
        {"next": {"json": "$.next"}}, {"next_2": {"json": "$.links.next"}}, {"next_3": {"json": "$.next"}}]
    assert steps[1]["name"] == "/v1/items"
    assert result.comments[("tasks", 0, "steps", 1)] == ["follows the link next an earlier answer gave, instead of the recorded URL"]


def test_a_next_link_in_a_link_header_is_followed():
    """GitHub's pagination: the next page is in a Link header (RFC 8288), found by its rel."""
    link = '<https://api.example.com/repos/x/issues?after=Y3Vyc29yOjE>; rel="next", <https://api.example.com/repos/x/issues?after=Y3Vyc29yOjk>; rel="last"'
    result = run(entry("https://api.example.com/repos/x/issues", body="[]", resp_headers={"Link": link}),
                 entry("https://api.example.com/repos/x/issues?after=Y3Vyc29yOjE", at=10, body="[]"))
    first, second = requests_of(result)
    pattern = '<([^>]+)>[^,<]*rel="?next(?:"|;|,|\\s|$)'
    assert first["extract"] == {"next": {"header": "Link", "regex": pattern}}
    assert re.search(pattern, link).group(1) == "https://api.example.com/repos/x/issues?after=Y3Vyc29yOjE"
    assert (second["path"], second["name"]) == ("{{ next }}", "/repos/x/issues")


def test_a_link_without_an_id_or_token_is_sent_as_recorded():
    result = run(entry(body=json.dumps({"next": "/items?page=2", "home": "/"})),
                 entry("https://shop.example.com/items?page=2", at=10), entry("https://shop.example.com/", at=20))
    assert paths(result) == ["/", "/items?page=2", "/"]


@pytest.mark.parametrize("value", ["7", "42", "true", "blue", "shoes"])
def test_small_numbers_and_words_are_never_followed(value):
    result = run(entry(body=json.dumps({"n": value, "id": value})),
                 entry(f"https://shop.example.com/x/{value}", at=10, method="POST", post=json_post({"v": value})))
    assert "extract" not in requests_of(result)[0]


# -- requests that cannot be steps --------------------------------------------------------------

def test_requests_that_cannot_be_steps_are_all_named_at_once():
    with pytest.raises(ConversionError) as raised:
        run(page(), entry("https://shop.example.com/dav", method="PROPFIND", at=10),
            entry("https://shop.example.com/t", at=20, headers={"X-Template": "{{ user }}"}))
    assert raised.value.problems == [
        "rec.har: log.entries[1].request.method: got 'PROPFIND'; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, "
        "OPTIONS (the methods a scenario sends) (PROPFIND https://shop.example.com/dav; --exclude REGEX leaves a "
        "request out)",
        'rec.har: log.entries[2].request.headers: header X-Template holds "{{", which a scenario cannot send as '
        "written; expected a value without it (GET https://shop.example.com/t; --exclude REGEX leaves a request out)"]


# -- whole exports ------------------------------------------------------------------------------

def fixture(name: str, **options):
    archive = parse_har((FIXTURES / name).read_text(), name)
    return convert(archive, name, Options(name="visit", **options))


def test_the_chrome_export_becomes_the_visit_of_the_site():
    result = fixture("chrome-shop.har", files_dir="shop-files")
    steps = result.scenario["tasks"][0]["steps"]
    assert result.scenario["host"] == "https://shop.example.com"
    assert result.scenario["hosts"] == {"api": "https://api.example.com"}
    assert result.scenario["headers"] == {"Accept-Language": "en-GB,en;q=0.9"}
    assert [(s.get("method", "GET"), s.get("name") or s["path"]) if "path" in s else s["think"] for s in steps] == [
        ("GET", "/"), "1.54s", ("POST", "/v1/session"), "1.23s", ("GET", "/v1/products (api)"), "2.24s",
        ("GET", "/v1/products/{{ product_id }}"), "1.7s", ("POST", "/v1/cart/items"), ("GET", "/v1/cart/{{ cart_id }}"),
        ("GET", "/v1/wishlist"), "4.62s", ("POST", "/checkout"), "8.32s", ("POST", "/account/avatar"),
        ("GET", "/v1/recommendations (api)")]
    assert result.summary[:8] == [
        "21 recorded requests -> 10 steps on 2 hosts, 6 think times",
        "left out: WebSocket connections (the worker sends HTTP requests): 1",
        "left out: requests to third-party hosts: 2 (fonts.gstatic.com: 1, www.google-analytics.com: 1); --host or "
        "--all-hosts keeps them",
        "left out: static assets (scripts, styles, images, fonts, media): 4; --keep-static keeps them",
        "left out: CORS preflights (the browser sends them by itself): 1",
        "left out: requests answered from the browser's cache (never sent): 1",
        "left out: requests without an answer in the browser (blocked, cancelled, failed): 1",
        "redirects: 1 hop followed by the worker itself, not steps of their own"]
    text = dump(result.scenario, result.comments, result.summary)
    for secret in ("correct horse battery", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "s%3A9fK2mQ7xL4",
                   "v-20240514-a1", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"):
        assert secret not in text, secret
    checkout = next(s for s in steps if s.get("path") == "/checkout")
    assert checkout["form"] == {"cart": "{{ cart_id }}", "name": "Alice Example", "delivery": "express"}


def test_the_firefox_export_becomes_the_visit_of_the_forum():
    result = fixture("firefox-forum.har", secrets="env")
    steps = requests_of(result)
    assert result.scenario["host"] == "https://forum.example.org" and "hosts" not in result.scenario
    assert [(s.get("method", "GET"), s.get("name") or s["path"]) for s in steps] == [
        ("GET", "/login"), ("POST", "/login"), ("GET", "/api/threads"), ("GET", "/t/welcome-to-the-forum/{{ thread_id }}"),
        ("POST", "/api/threads/{{ thread_id }}/replies"), ("GET", "/api/notifications")]
    assert steps[0]["extract"] == {"csrf_token": {"regex": "name=csrf content=([A-Za-z0-9_-]+)"}}
    assert steps[1]["form"] == {"username": "bob", "password": "{{ env.PASSWORD }}", "csrf_token": "{{ csrf_token }}",
                                "remember": "on"}
    assert steps[1]["extract"] == {"csrf_token_2": {"header": "X-CSRF-Token"}}
    assert steps[4]["headers"]["X-CSRF-Token"] == "{{ csrf_token_2 }}" and steps[4]["body_file"] == "files/body-8.txt"
    # the Basic password is the form's password: one secret, one variable
    assert steps[5]["auth"] == {"basic": {"user": "bob", "password": "{{ env.PASSWORD }}"}}
    assert result.env == {"PASSWORD": ["form field password", "header Authorization (Basic)"]}
    assert [c for c in result.comments.values() if any(line.startswith("page:") for line in c)] == [
        ["page: Sign in – Example forum"], ["page: Example forum"], ["page: Welcome – Example forum"]]


# -- the worker reads what it writes ------------------------------------------------------------

def every_case():
    """(name, conversion) for the cases above: each must load in the worker."""
    for name, recorded, *_ in SECRETS:
        for mode in ("drop", "env", "keep"):
            yield f"secrets {name} {mode}", run(recorded, secrets=mode)
    for name, post, *_ in BODIES:
        yield f"body {name}", run(entry(method="POST", post=post, headers={"Content-Type": post["mimeType"]}))
    multipart = {"mimeType": "multipart/form-data; boundary=----WebKitFormBoundaryX", "text": MULTIPART_TEXT}
    yield "multipart", run(entry("https://shop.example.com/upload", method="POST", post=multipart))
    yield "braces", run(entry(method="POST", post=json_post({"t": "Hello {{name}}"})))
    yield "headers", run(entry("https://shop.example.com/api", headers=CHROME_HEADERS), user_agent="recorded")
    yield "values from responses", login_and_list()
    yield "odd URLs", run(page("http://[::1]:8080/"), entry("http://[::1]:8080/search?q=blue shoes&x=é", at=10),
                          entry("http://[::1]:8080/a b/ü/%2F/{x}", at=20), entry("https://api.example.com:8443/x", at=30))


@pytest.mark.builds
def test_every_case_here_passes_the_worker_s_check(go_bin, tmp_path):
    failed = []
    for i, (name, result) in enumerate(every_case()):
        folder = tmp_path / str(i)
        folder.mkdir()
        for path, content in result.files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(content)
        (folder / "scenario.yaml").write_text(dump(result.scenario, result.comments, result.summary))
        env = {**os.environ, **{variable: "from-the-environment" for variable in result.env}}
        check = subprocess.run([str(go_bin["worker"]), "--scenario", str(folder / "scenario.yaml"), "--check"],
                               capture_output=True, text=True, timeout=60, env=env)
        if check.returncode != 0:
            failed.append((name, check.stderr))
    assert failed == []
