"""End to end against a help desk (harness/helpdesk.py) with what everyday applications do and the
bookshop does not: a JWT that expires after a second, refreshed on any request's 401 with a rotating
refresh token and the request sent again (on_401); ETags on a list (304 expected); a JSON body built from the ids of
an earlier answer; a multipart upload of each agent's own file (a file: path naming its CSV row),
tagged with a list extracted from an answer (one part per label); a CSV of agents each user takes
a row of, across two workers, with one user more than rows; a portal that redirects to its login
page, with cookies scoped by Path and one deleted at sign-out; Unicode names in a path and a query; `+` and `%2B` in a query.

The scenario is written from docs/scenario.md alone. A real master and two Go workers run it for a
few seconds; the application records every request a client got wrong. Locust's count of every
row must equal what the application served."""

from __future__ import annotations

import sys

import pytest

from harness.apprun import headless_run, routes_wanted
from harness.helpdesk import attachment_of
from harness.procs import Procs, get_json, listening_on

pytestmark = pytest.mark.e2e

ROWS_IN_CSV, USERS, SECONDS = 4, 5, 6

# An access token lives 1 s and the users' tasks come every 300 ms: any authorised request may meet
# an expired token; on_401 refreshes it and the request is sent again.
SCENARIO = """
wait: {constant: 300ms}
data:
  agents: {csv: agents.csv, mode: unique}           # one row per user, fleet-wide: a 5th user has none
on_start:
  - name: token
    method: POST
    path: /api/auth/login
    json: {username: "{{ agents.user }}", password: "{{ agents.password }}"}
    extract: {access: {json: $.access_token}, refresh: {json: $.refresh_token}}
headers:
  Authorization: "Bearer {{ access }}"
on_401:                                              # the token expired: a new one, then the request again
  - name: refresh
    method: POST
    path: /api/auth/refresh
    headers: {Authorization: null}
    json: {refresh_token: "{{ refresh }}"}
    extract: {access: {json: $.access_token}, refresh: {json: $.refresh_token}}
tasks:
  - name: tickets
    weight: 2
    steps:
      - {name: tickets, path: /api/tickets, extract: {etag: {header: ETag}, ids: {json: "$.tickets[*].id"}, labels: {json: $.labels}}}
      - {name: tickets (cached), path: /api/tickets, headers: {If-None-Match: "{{ etag }}"}, expect_status: 304}
      - {name: close all, method: PUT, path: /api/tickets/bulk, json: {ids: "{{ ids | json }}"}}
      - name: upload
        method: POST
        path: /api/attachments
        multipart:
          file: {file: "files/{{ agents.user }}.log", content_type: text/plain}   # each agent's own
          tag: "{{ labels }}"                                                      # a part per label
        expect_status: 201
      - name: ticket of a list                         # a mistake: a list in one path ($.labels holds one)
        path: "/api/tickets/{{ labels }}"
        on_failure: continue
  - name: portal
    headers: {Authorization: null}
    steps:
      - {name: portal, path: /portal/, check: [{body_contains: 'action="/portal/login"'}]}   # its login page
      - name: portal sign in
        method: POST
        path: /portal/login
        form: {user: "{{ agents.user }}", password: "{{ agents.password }}"}
        check: [{body_contains: "Hallo {{ agents.user }}"}]
      - {name: settings, path: /portal/settings}
      - {name: sign out, method: POST, path: /portal/logout, expect_status: 204}
  - name: names
    steps:
      - {name: customer, path: "/api/kunden/Zoë Ångström", query: {stadt: Köln}}
      - {name: customer written escaped, path: "/api/kunden/Jos%C3%A9%20Núñez?stadt=M%C3%A1laga"}
      - {name: search, path: /api/search, query: {q: "C++ tips", lang: "de+en"}}
      - {name: search written, path: "/api/search?q=C%2B%2B+tips&lang=de%2Ben"}
"""

# Locust's rows -> the application's routes; a redirect is one row and two routes
# (a 401 and the request sent again after on_401 are two requests of one row)
ROWS = {("POST", "token"): ["POST /api/auth/login"], ("POST", "refresh"): ["POST /api/auth/refresh"],
        ("GET", "tickets"): ["GET /api/tickets"], ("GET", "tickets (cached)"): ["GET /api/tickets"],
        ("PUT", "close all"): ["PUT /api/tickets/bulk"], ("POST", "upload"): ["POST /api/attachments"],
        ("GET", "portal"): ["GET /portal/", "GET /portal/login"],
        ("POST", "portal sign in"): ["POST /portal/login", "GET /portal/"],
        ("GET", "settings"): ["GET /portal/settings"], ("POST", "sign out"): ["POST /portal/logout"],
        ("GET", "customer"): ["GET /api/kunden/{name}"], ("GET", "customer written escaped"): ["GET /api/kunden/{name}"],
        ("GET", "search"): ["GET /api/search"], ("GET", "search written"): ["GET /api/search"]}
LIST_IN_PATH = ("path: {{ labels }} is a list; expected one value in a path: one element (extract it with [0]), a "
                'loop over the list (loop: {over: labels, as: NAME}), or query: {NAME: "{{ labels }}"} (NAME=VALUE per '
                "element)")


def test_a_help_desk_served_exactly_what_locust_counts(go_bin, procs: Procs, tmp_path):
    app = procs.start("helpdesk", [sys.executable, "-m", "harness.helpdesk", "--listen", "127.0.0.1:0"])
    url = listening_on(app.log, "the help desk")
    agents = [f"agent{n}" for n in range(ROWS_IN_CSV)]
    (tmp_path / "agents.csv").write_text("user,password\n" + "".join(f"{a},pw-{a[5:]}\n" for a in agents))
    (tmp_path / "files").mkdir()
    for agent in agents:
        (tmp_path / "files" / f"{agent}.log").write_bytes(attachment_of(agent))
    scenario = tmp_path / "helpdesk.yaml"
    scenario.write_text(SCENARIO)

    code, entries, failures = headless_run(procs, go_bin["worker"], scenario, url, USERS, SECONDS)
    assert code == 1, failures  # the user without a row and the list in a path are failures
    served = get_json(url + "/_counts")
    assert get_json(url + "/_problems") == {}
    # the user without a row: once, not retried; the list in a path: never sent
    data_reason, data_times = failures.pop(("DATA", "agents"))
    assert data_times == 1 and data_reason.startswith("data agents: no row for user 4: agents.csv has 4 rows"), data_reason
    list_reason, list_times = failures.pop(("GET", "ticket of a list"))
    assert list_reason == LIST_IN_PATH and list_times == entries[("GET", "ticket of a list")]["num_requests"] > 0
    assert failures == {}
    assert served == routes_wanted(ROWS, entries), (served, entries)
    # the token expired and was refreshed, each expiry once (a user stopped right after a 401 refreshes no
    # more), and the requests it refused sent again
    expired, refreshed = get_json(url + "/_expired")["401"], entries[("POST", "refresh")]["num_requests"]
    assert 0 < refreshed <= expired <= refreshed + USERS, (refreshed, expired)
    assert entries[("GET", "tickets (cached)")]["num_requests"] > 0
    assert served["POST /api/attachments"] > 0 and served["GET /api/kunden/{name}"] > 0
