"""End to end against an application of the kind teams test, written in Python (harness/bookshop.py)
rather than the project's Go target: an HTML sign-in whose form action and hidden field hold
`&amp;` and whose CSRF token is in a <meta> tag, a session cookie scoped to /shop, a redirect chain
across paths, a HAL API behind Basic auth (a non-ASCII password) that pages with a Link field per
relation, ETags and 304s, authors paged by a cursor full of + / =, a GraphQL endpoint that refuses
variables sent as strings, a non-ASCII path, gzip, a rate limit that answers 429 with Retry-After,
and idle keep-alive connections closed by the server after half a second (gunicorn's and uvicorn's
habit, made short) while users wait longer than that between tasks.

The scenario is written from docs/scenario.md alone. A real master and two Go workers run it for a
few seconds; the application records every request a client got wrong (a retry before its
Retry-After, a form posted to the wrong action, a cookie sent outside its Path, an untyped
variable...). Locust's count of every row must equal what the application served, with no failure
and no problem."""

from __future__ import annotations

import sys

import pytest

from harness.apprun import headless_run, routes_wanted
from harness.procs import Procs, get_json, listening_on

pytestmark = pytest.mark.e2e

USERS, SECONDS = 6, 6
API_PASSWORD = "s3cret: pässword"

SCENARIO = """
wait: {between: [600ms, 900ms]}          # longer than the server keeps an idle connection (--keep-alive 0.5)
data:
  accounts: {csv: accounts.csv, mode: unique}
x-api: &api
  auth: {basic: {user: reader, password: "{{ env.API_PASSWORD }}"}}
x-order: &order
  method: POST
  path: /shop/orders
  json: {book_id: "{{ book | number }}", quantity: 1, gift: false, price: "{{ price | number }}"}
  expect_status: [201, 429]
  extract: {retry_after: {header: Retry-After, default: ""}}
on_start:
  - name: login page                      # / -> /shop/ -> login?next=... (relative)
    path: /
    extract:
      csrf: {regex: '<meta name="csrf-token" content="([^"]+)"'}
      action: {regex: '<form method="post" action="([^"]+)"'}
      form_id: {regex: 'name="form_id" value="([^"]+)"'}
      next: {regex: 'name="next" value="([^"]+)"'}
  - name: sign in                         # 303 -> the form's next
    method: POST
    path: "{{ action | htmldecode }}"
    headers: {X-CSRF-Token: "{{ csrf | htmldecode }}"}
    form: {form_id: "{{ form_id }}", next: "{{ next | htmldecode }}", user: "{{ accounts.user }}", password: "{{ accounts.password }}"}
    expect_status: 200
    check: [{body_contains: "Hallo {{ accounts.user }}"}]
tasks:
  - name: books
    weight: 2
    <<: *api
    steps:
      - name: books
        path: /api/books
        query: {tag: [sci-fi, new]}
        extract:
          book: {json: "$._embedded.books[0].id"}
          in_stock: {json: "$._embedded.books[0].in_stock"}
          next: {header: Link, regex: '<([^>]+)>; *rel="next"', default: ""}
      - loop: {count: 5}
        steps:
          - if: {var: next}
            steps:
              - name: books next page
                path: "{{ next }}"
                extract: {next: {header: Link, regex: '<([^>]+)>; *rel="next"', default: ""}}
      - {name: book, path: "/api/books/{{ book }}", extract: {etag: {header: ETag}}}
      - {name: book (cached), path: "/api/books/{{ book }}", headers: {If-None-Match: "{{ etag }}"}, expect_status: 304}
      - name: graphql book
        method: POST
        path: /api/graphql
        json:
          query: "query Book($id: Int!, $inStock: Boolean!) { book(id: $id) { title price } }"
          variables: {id: "{{ book | number }}", inStock: "{{ in_stock | bool }}"}
        check: [{json: $.errors, exists: false}]
  - name: authors
    steps:
      - {name: authors, path: /api/authors, extract: {cursor: {json: $.meta.next_cursor, default: ""}}}
      - loop: {count: 10}
        steps:
          - if: {var: cursor}
            steps:
              - {name: authors next, path: /api/authors, query: {cursor: "{{ cursor }}"}, extract: {cursor: {json: $.meta.next_cursor, default: ""}}}
  - {name: city, path: /api/städte/München, query: {q: "café & crème"}, check: [{json: $.population, gt: 0}]}
  - name: order twice                     # a second order within 2 s is refused with a Retry-After
    weight: 2
    steps:
      - {<<: *api, name: books for order, path: /api/books, query: {tag: [sci-fi, new]}, extract: {book: {json: "$._embedded.books[1].id"}, price: {json: "$._embedded.books[1].price"}}}
      - {<<: *order, name: order}
      - &retry
        if: {var: retry_after}              # refused: wait as long as the server asks, then again
        steps:
          - think: "{{ retry_after }}"
          - {<<: *order, name: order (retry)}
      - {<<: *order, name: order again}
      - *retry
"""

# Locust's rows -> the application's route; a redirect chain is one row and several routes
ROWS = {("GET", "login page"): ["GET /", "GET /shop/", "GET /shop/login"],
        ("POST", "sign in"): ["POST /shop/login", "GET /shop/account"],
        ("GET", "books"): ["GET /api/books"], ("GET", "books next page"): ["GET /api/books"],
        ("GET", "books for order"): ["GET /api/books"],
        ("GET", "book"): ["GET /api/books/{id}"], ("GET", "book (cached)"): ["GET /api/books/{id}"],
        ("POST", "graphql book"): ["POST /api/graphql"],
        ("GET", "authors"): ["GET /api/authors"], ("GET", "authors next"): ["GET /api/authors"],
        ("GET", "city"): ["GET /api/städte/{name}"],
        ("POST", "order"): ["POST /shop/orders"], ("POST", "order again"): ["POST /shop/orders"],
        ("POST", "order (retry)"): ["POST /shop/orders"]}


def test_a_python_application_served_exactly_what_locust_counts(go_bin, procs: Procs, tmp_path):
    app = procs.start("bookshop", [sys.executable, "-m", "harness.bookshop", "--listen", "127.0.0.1:0",
                                   "--keep-alive", "0.5"])
    url = listening_on(app.log, "the bookshop")
    (tmp_path / "accounts.csv").write_text("user,password\n" + "".join(f"user{n},pw-{n}\n" for n in range(USERS)))
    scenario = tmp_path / "bookshop.yaml"
    scenario.write_text(SCENARIO)

    code, entries, failures = headless_run(procs, go_bin["worker"], scenario, url, USERS, SECONDS,
                                           env={"API_PASSWORD": API_PASSWORD})
    assert code == 0, failures
    served = get_json(url + "/_counts")
    assert get_json(url + "/_problems") == {}
    assert {k: e["num_failures"] for k, e in entries.items() if e["num_failures"]} == {}, failures
    assert set(entries) <= set(ROWS), sorted(set(entries) - set(ROWS))
    # a task the run's few seconds never picked is a row Locust does not show and a route not served
    assert served == routes_wanted(ROWS, entries), (served, entries)
    # every part ran: pages by Link, the 304, cursors, the rate limit and its retries
    for key in [("GET", "books next page"), ("GET", "book (cached)"), ("GET", "authors next"), ("POST", "order (retry)")]:
        assert entries[key]["num_requests"] > 0, key
    refused = get_json(url + "/_limited")["429"]
    retried = entries[("POST", "order (retry)")]["num_requests"]
    assert retried <= refused <= retried + USERS, (retried, refused)  # a user stopped in its wait retries no more
