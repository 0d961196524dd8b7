"""locust_fleet.har.archive: a HAR file read into entries, or every mistake in it at once, named by
file and field, with the value and what was expected."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from locust_fleet.har.archive import HarError, parse_har, read_archive


def entry(**overrides) -> dict:
    e = {"startedDateTime": "2024-05-14T09:12:03.101Z", "time": 12.5,
         "request": {"method": "GET", "url": "https://shop.example.com/", "headers": []},
         "response": {"status": 200, "headers": [], "content": {"mimeType": "text/html", "text": "<html>"}}}
    for path, value in overrides.items():
        node = e
        *parents, last = path.split(".")
        for p in parents:
            node = node[p]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return e


def problems(text: str) -> list[str]:
    with pytest.raises(HarError) as raised:
        parse_har(text, "rec.har")
    return raised.value.problems


@pytest.mark.parametrize("text, want", [
    ("", 'rec.har: line 1 column 1: not JSON (Expecting value); expected a HAR file (JSON, as a browser\'s '
         'developer tools export it)'),
    ('{"log": {"entries": [}', 'rec.har: line 1 column 22: not JSON (Expecting value); expected a HAR file (JSON, '
                               'as a browser\'s developer tools export it)'),
    ("[1, 2]", 'rec.har: got a list ([1, 2]) without a "log" object; expected a HAR file ({"log": {"entries": [...]}}, as a '
               'browser\'s developer tools export it)'),
    ('{"entries": []}', 'rec.har: got an object ({"entries": []}) without a "log" object; expected a HAR file ({"log": {"entries": '
                        '[...]}}, as a browser\'s developer tools export it)'),
    ('{"log": {"entries": {}}}', "rec.har: log.entries: got an object ({}); expected the list of recorded requests"),
    ('{"log": {"version": "1.2"}}', "rec.har: log.entries: missing; expected the list of recorded requests"),
    ('{"log": {"entries": []}}', "rec.har: log.entries: empty; expected at least one recorded request (record with "
                                 "the developer tools' Network tab open, then export the HAR)"),
], ids=["empty file", "broken JSON", "a list", "no log", "entries not a list", "no entries", "empty entries"])
def test_parse_har_names_what_is_not_a_har(text, want):
    assert problems(text) == [want]


def test_parse_har_reports_every_bad_entry_at_once_by_field():
    bad = [entry(**{"request.url": "/relative"}), entry(**{"startedDateTime": "yesterday"}),
           entry(**{"request.url": "https://shop.example.com:99999/"}),
           entry(**{"response.status": "200"}), entry(**{"request.headers": {"Accept": "*/*"}}),
           entry(**{"request.method": ...}), "GET /", entry(**{"time": "12ms"}),
           entry(**{"request.postData": {"mimeType": "text/plain", "text": 7}}), entry()]
    assert problems(json.dumps({"log": {"entries": bad}})) == [
        'rec.har: log.entries[0].request.url: got "/relative"; expected an absolute URL such as https://example.com/path',
        'rec.har: log.entries[1].startedDateTime: got "yesterday"; expected an ISO 8601 date and time such as '
        '2024-03-11T14:56:24.937Z',
        'rec.har: log.entries[2].request.url: got "https://shop.example.com:99999/"; expected an absolute URL such as '
        'https://example.com/path',
        'rec.har: log.entries[3].response.status: got "200"; expected an HTTP status (0 when there was no answer)',
        'rec.har: log.entries[4].request.headers: got an object ({"Accept": "*/*"}); expected a list of '
        '{"name": ..., "value": ...}',
        "rec.har: log.entries[5].request.method: missing; expected an HTTP method such as GET",
        'rec.har: log.entries[6]: got "GET /"; expected an object with request, response and startedDateTime',
        'rec.har: log.entries[7].time: got "12ms"; expected the request\'s duration in milliseconds',
        "rec.har: log.entries[8].request.postData.text: got a number (7); expected the body as text",
    ]


def test_read_archive_takes_chrome_and_firefox_fields():
    chrome = entry(_resourceType="XHR", _fromCache="memory", _error="net::ERR_BLOCKED_BY_CLIENT", pageref="page_2",
                   **{"request.method": "post", "request.postData": {
                       "mimeType": "application/x-www-form-urlencoded",
                       "params": [{"name": "a", "value": "1"}, {"name": "f", "value": "", "fileName": "x.png",
                                                                "contentType": "image/png"}]}})
    firefox = entry(startedDateTime="2024-06-02T18:40:11.250+02:00", **{
        "response.content": {"mimeType": "application/json", "encoding": "base64",
                             "text": base64.b64encode('{"id": "é"}'.encode()).decode()}})
    no_answer = entry(**{"response": ..., "time": ...})
    archive = read_archive({"log": {"creator": {"name": "Firefox", "version": "126.0"},
                                    "pages": [{"id": "page_2", "title": "Shop"}],
                                    "entries": [chrome, firefox, no_answer]}}, "rec.har")
    c, f, n = archive.entries
    assert (archive.creator, archive.pages) == ("Firefox 126.0", {"page_2": "Shop"})
    assert (c.method, c.resource_type, c.from_cache, c.error, c.page) == ("POST", "xhr", True,
                                                                          "net::ERR_BLOCKED_BY_CLIENT", "page_2")
    assert c.post.text is None and [(p.name, p.file_name, p.content_type) for p in c.post.params] == [
        ("a", None, None), ("f", "x.png", "image/png")]
    assert f.started == datetime(2024, 6, 2, 16, 40, 11, 250000, tzinfo=timezone.utc)
    assert f.response_text == '{"id": "é"}'
    assert (n.status, n.time_ms, n.response_text) == (0, 0.0, None)
    assert c.ended - c.started == timedelta(milliseconds=12.5)


def test_parse_har_reads_a_byte_order_mark_and_dates_without_a_zone_as_utc():
    text = "\ufeff" + json.dumps({"log": {"entries": [entry(startedDateTime="2024-05-14T09:12:03.1234567")]}})
    (e,) = parse_har(text, "rec.har").entries
    assert e.started == datetime(2024, 5, 14, 9, 12, 3, 123456, tzinfo=timezone.utc)
