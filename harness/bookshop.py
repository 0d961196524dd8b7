"""A bookshop of the kind teams test: an HTML sign-in with a CSRF token in a <meta> tag and a hidden
form field, a session cookie scoped by Path, a redirect chain across paths, a HAL+JSON API behind
HTTP Basic auth with ETags (If-None-Match gives 304), pages by `Link:` header, authors paged by an
opaque cursor, a GraphQL endpoint whose variables must keep their JSON types, gzip answers, a rate
limit that answers 429 with Retry-After, repeated query parameters and non-ASCII paths, and with
--keep-alive SECONDS idle connections closed as gunicorn and uvicorn close them.

Python's standard library only, on loopback. It counts what it served per route ("METHOD /route")
at /_counts and records every request a client got wrong (a CSRF token that does not match, a
variable sent as a string, a cookie sent where its Path does not reach) at /_problems, so a test
compares Locust's counts with what was served and asserts that no problem was seen.

    python -m harness.bookshop --listen 127.0.0.1:0     # prints "listening on http://..."
"""

from __future__ import annotations

import argparse
import base64
import gzip
import html
import hashlib
import json
import math
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_USER, API_PASSWORD = "reader", "s3cret: pässword"
ACCOUNTS = {f"user{n}": f"pw-{n}" for n in range(20)}
BOOKS = [{"id": 100 + n, "title": f"Bücher Band {n}", "price": round(4.5 + n * 1.25, 2), "in_stock": n % 3 != 0,
          "tags": ["sci-fi" if n % 2 else "fantasy", "classic" if n % 5 == 0 else "new"]} for n in range(24)]
AUTHORS = [{"id": n, "name": f"Author {n}"} for n in range(7)]
PAGE_SIZE = 5
CITIES = {"München": 1_488_000, "Zürich": 421_000, "São Paulo": 12_330_000}
ORDERS_PER_WINDOW = 1  # orders a session may place per RATE_WINDOW seconds before a 429
RATE_WINDOW = 2.0
GRAPHQL_QUERY = "query Book($id: Int!, $inStock: Boolean!) { book(id: $id) { title price } }"


def etag_of(value) -> str:
    return '"' + hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16] + '"'


def cursor_of(index: int) -> str:
    # opaque and full of characters a URL must escape (+ / =)
    return base64.b64encode(f"after:{index}:??>>".encode()).decode()


class State:
    def __init__(self):
        self.lock = threading.RLock()  # problem() is called with it held too
        self.counts: dict[str, int] = {}
        self.problems: dict[str, int] = {}
        self.csrf: dict[str, str] = {}  # csrf cookie -> the token its page gave
        self.sessions: dict[str, str] = {}  # sid -> user
        self.orders: dict[str, list[float]] = {}  # sid -> times of its accepted orders
        self.retry_at: dict[str, float] = {}  # sid -> when its last 429's Retry-After ends
        self.limited = 0  # 429s sent

    def count(self, route: str) -> None:
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + 1

    def problem(self, what: str) -> None:
        with self.lock:
            self.problems[what] = self.problems.get(what, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without it, 40 ms of delayed ACK each
    server_version = "bookshop/1.0"
    state: State
    routes: list  # (path pattern, "METHOD /route", method), set below ROUTES

    def log_message(self, format, *args):  # quiet: the load would flood the log
        pass

    # --- helpers -------------------------------------------------------------------------------
    def send(self, status: int, body: bytes = b"", ctype: str = "", headers=(), compress: bool = True) -> None:
        if compress and body and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers = [*headers, ("Content-Encoding", "gzip")]
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, value, headers=(), ctype="application/json") -> None:
        self.send(status, json.dumps(value, ensure_ascii=False).encode(), ctype, headers)

    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        for header in self.headers.get_all("Cookie") or []:
            jar.load(header)
        return {k: m.value for k, m in jar.items()}

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def basic_ok(self) -> bool:
        want = "Basic " + base64.b64encode(f"{API_USER}:{API_PASSWORD}".encode()).decode()
        return self.headers.get("Authorization") == want

    def session(self) -> str | None:
        sid = self.cookies().get("sid")
        return sid if sid in self.state.sessions else None

    # --- routing ---------------------------------------------------------------------------------
    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        method = self.command
        if path == "/favicon.ico":  # a browser's own request
            return self.send(404)
        if path.startswith("/_"):
            return self.control(path)
        for pattern, name, handler in self.routes:
            m = re.fullmatch(pattern, path)
            if m and name.split(" ")[0] == method:
                self.state.count(name)
                self.inspect(path)
                return handler(self, query, *m.groups())
        self.state.count(f"{method} unknown")
        self.state.problem(f"no route for {method} {self.path}")
        self.send_json(404, {"error": "not found", "path": self.path})

    def inspect(self, path: str) -> None:
        """Records what a client got wrong about any request of a route (an application's own rule)."""
        if "/api/" in path and "sid" in self.cookies():
            self.state.problem("the shop's sid cookie (Path=/shop) was sent to " + path)

    def control(self, path: str):
        if path == "/_counts":
            with self.state.lock:
                return self.send_json(200, self.state.counts, ctype="application/json")
        if path == "/_problems":
            with self.state.lock:
                return self.send_json(200, self.state.problems)
        if path == "/_limited":
            return self.send_json(200, {"429": self.state.limited})
        if path == "/_reset":
            with self.state.lock:
                self.state.counts.clear()
                self.state.problems.clear()
                self.state.limited = 0
            return self.send_json(200, {})
        self.send_json(404, {})

    # --- the shop (HTML) ---------------------------------------------------------------------------
    def home(self, query):
        self.send(302, headers=[("Location", "/shop/")])

    def shop(self, query):
        self.send(301, headers=[("Location", "login?next=%2Fshop%2Faccount%3Ftab%3Dorders%26lang%3Dde")])  # relative

    def login_page(self, query):
        csrf_cookie, token = secrets.token_hex(8), secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.csrf[csrf_cookie] = token
        form_id = secrets.token_hex(6)
        page = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="csrf-token" content="{token}"><title>Sign in</title></head><body>
<form method="post" action="{html.escape(f'/shop/login?client=web&step={form_id}')}">
<input type="hidden" name="form_id" value="{form_id}">
<input type="hidden" name="next" value="{html.escape(query.get('next', ['/shop/account'])[0])}">
<input name="user"><input name="password" type="password"><button>Sign in</button>
</form><script src="/shop/visit.js"></script></body></html>"""
        self.send(200, page.encode(), "text/html; charset=utf-8",
                  [("Set-Cookie", f"csrf={csrf_cookie}; Path=/shop; HttpOnly; SameSite=Lax"),
                   ("Set-Cookie", f"formid={form_id}; Path=/shop/login")])

    def visit_script(self, query):
        self.send(200, VISIT_JS.encode(), "text/javascript; charset=utf-8")

    def login(self, query):
        form = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True)
        cookies = self.cookies()
        with self.state.lock:
            want = self.state.csrf.pop(cookies.get("csrf", ""), None)
        if want is None or self.headers.get("X-CSRF-Token") != want:
            self.state.problem("sign-in without the page's X-CSRF-Token")
            return self.send(403, b"bad csrf token", "text/plain")
        if query.get("client") != ["web"] or query.get("step") != [cookies.get("formid")]:
            self.state.problem(f"sign-in posted to {self.path}, not to the form's action")
        if form.get("form_id") != [cookies.get("formid")]:
            self.state.problem("sign-in without the page's hidden form_id")
            return self.send(403, b"bad form", "text/plain")
        user, password = form.get("user", [""])[0], form.get("password", [""])[0]
        if ACCOUNTS.get(user) != password:
            self.state.problem(f"bad password for {user!r}")
            return self.send(401, b"bad password", "text/plain")
        sid = secrets.token_hex(12)
        with self.state.lock:
            self.state.sessions[sid] = user
        nxt = form.get("next", ["/shop/account"])[0]
        self.send(303, headers=[("Location", nxt), ("Set-Cookie", f"sid={sid}; Path=/shop; HttpOnly"),
                                ("Set-Cookie", "csrf=; Path=/shop; Max-Age=0"),
                                ("Set-Cookie", f"lang=de; Path=/; Domain={self.headers.get('Host', '').split(':')[0]}")])

    def account(self, query):
        sid = self.session()
        if not sid:
            self.state.problem("account page without a session")
            return self.send(302, headers=[("Location", "/shop/login")])
        if self.cookies().get("lang") != "de":
            self.state.problem("account page without the lang cookie (Path=/, Domain=the host)")
        if query.get("tab") != ["orders"] or query.get("lang") != ["de"]:
            self.state.problem(f"account page as {self.path}, not the form's next")
        user = self.state.sessions[sid]
        page = f"""<!doctype html><html><body><h1>Hallo {user}</h1>
<a class="orders" href="/shop/orders">orders</a></body></html>"""
        self.send(200, page.encode(), "text/html; charset=utf-8")

    def order(self, query):
        sid = self.session()
        body = self.body()
        if not sid:
            self.state.problem("order without a session")
            return self.send_json(401, {"error": "no session"})
        try:
            order = json.loads(body)
        except ValueError:
            self.state.problem("order body is not JSON")
            return self.send_json(400, {"error": "not json"})
        if not (type(order.get("book_id")) is int and type(order.get("quantity")) is int
                and type(order.get("gift")) is bool and type(order.get("price")) is float):
            self.state.problem("order fields not typed: " + json.dumps(order))
            return self.send_json(400, {"error": "book_id and quantity must be integers, gift a boolean, price a number"})
        now = time.monotonic()
        with self.state.lock:
            if now < self.state.retry_at.get(sid, 0):
                self.state.problem("an order sent before the Retry-After of the 429 before it")
            recent = [t for t in self.state.orders.get(sid, []) if now - t < RATE_WINDOW]
            if len(recent) >= ORDERS_PER_WINDOW:
                self.state.limited += 1
                retry = max(1, math.ceil(RATE_WINDOW - (now - recent[0])))
                self.state.orders[sid] = recent
                self.state.retry_at[sid] = now + retry
                return self.send_json(429, {"error": "slow down"}, [("Retry-After", str(retry))])
            self.state.orders[sid] = recent + [now]
        self.send_json(201, {"order_id": secrets.randbelow(10**9), **order},
                       [("Location", f"/shop/orders/{secrets.randbelow(10**6)}")])

    # --- the API (HAL+JSON, Basic auth) -------------------------------------------------------------
    def books(self, query):
        if not self.basic_ok():
            self.state.problem("books without Basic auth")
            return self.send_json(401, {"error": "auth"}, [("WWW-Authenticate", 'Basic realm="api"')])
        tags = query.get("tag", [])
        if tags != ["sci-fi", "new"]:
            self.state.problem(f"books with tags {tags}")
        found = [b for b in BOOKS if all(t in b["tags"] for t in tags)] if tags else BOOKS
        page = int(query.get("page", ["1"])[0])
        start = (page - 1) * PAGE_SIZE
        items = found[start:start + PAGE_SIZE]
        qs = urllib.parse.urlencode([("tag", t) for t in tags] + [("page", page + 1)])
        links = {"self": {"href": self.path}}
        headers = []
        if start + PAGE_SIZE < len(found):
            links["next"] = {"href": f"/api/books?{qs}"}
            # one Link field per relation, as JAX-RS and Spring add them: a client reads them all
            # (RFC 9110 5.3: fields of one name are one comma-separated list), as requests does
            headers += [("Link", '</api/books>; rel="first"'),
                        ("Link", f'<http://{self.headers["Host"]}/api/books?{qs}>; rel="next"')]
        body = {"_links": links, "count": len(found),
                "_embedded": {"books": [{**b, "_links": {"self": {"href": f"/api/books/{b['id']}"}}} for b in items]}}
        self.send_json(200, body, headers, ctype="application/hal+json")

    def book(self, query, book_id):
        if not self.basic_ok():
            self.state.problem("book without Basic auth")
            return self.send_json(401, {"error": "auth"})
        book = next((b for b in BOOKS if str(b["id"]) == book_id), None)
        if book is None:
            self.state.problem(f"no book {book_id}")
            return self.send_json(404, {"error": "no such book"})
        tag = etag_of(book)
        if self.headers.get("If-None-Match") == tag:
            return self.send(304, headers=[("ETag", tag)])
        if "If-None-Match" in self.headers:
            self.state.problem(f"If-None-Match {self.headers['If-None-Match']!r} is not the ETag {tag}")
        self.send_json(200, {**book, "_links": {"self": {"href": f"/api/books/{book_id}"}}},
                       [("ETag", tag), ("Cache-Control", "no-cache")], ctype="application/hal+json")

    def authors(self, query):
        cursor = query.get("cursor", [""])[0]
        start = 0
        if cursor:
            m = re.fullmatch(r"after:(\d+):\?\?>>", base64.b64decode(cursor + "==").decode(errors="replace"))
            if not m:
                self.state.problem(f"bad cursor {cursor!r}")
                return self.send_json(400, {"error": "bad cursor"})
            start = int(m.group(1))
        items = AUTHORS[start:start + 3]
        more = start + 3 < len(AUTHORS)
        self.send_json(200, {"data": [{"type": "authors", "id": str(a["id"]), "attributes": {"name": a["name"]}}
                                      for a in items],
                             "meta": {"has_more": more, "next_cursor": cursor_of(start + 3) if more else None}},
                       ctype="application/vnd.api+json")

    def city(self, query, name):
        if name not in CITIES:
            self.state.problem(f"unknown city {name!r} (raw {self.path})")
            return self.send_json(404, {"error": "no such city"})
        if query.get("q") != ["café & crème"]:
            self.state.problem(f"city query q={query.get('q')} (raw {self.path})")
        self.send_json(200, {"city": name, "population": CITIES[name]})

    def graphql(self, query):
        if not self.basic_ok():
            self.state.problem("graphql without Basic auth")
            return self.send_json(401, {"errors": [{"message": "auth"}]})
        try:
            req = json.loads(self.body())
        except ValueError:
            self.state.problem("graphql body is not JSON")
            return self.send_json(400, {"errors": [{"message": "not json"}]})
        variables = req.get("variables") or {}
        if req.get("query") != GRAPHQL_QUERY:
            self.state.problem("graphql query text changed: " + json.dumps(req.get("query")))
        if type(variables.get("id")) is not int or type(variables.get("inStock")) is not bool:
            self.state.problem("graphql variables not typed: " + json.dumps(variables))
            return self.send_json(200, {"errors": [{"message": "Variable $id of type Int! was given a wrong value"}]})
        book = next((b for b in BOOKS if b["id"] == variables["id"]), None)
        self.send_json(200, {"data": {"book": book and {"title": book["title"], "price": book["price"]}}})


# What a person's browser does on the sign-in page when it is opened as /shop/login#visit:USER:PASSWORD
# (the fragment is never sent): signs in as the page's script would (the CSRF token from the <meta>
# tag in X-CSRF-Token, the hidden fields), then uses the API as a single-page app does. A browser
# recording of it (a HAR) is what `locust-fleet scenario from-har` converts.
VISIT_JS = r"""
(async () => {
  const m = location.hash.match(/^#visit:([^:]+):(.+)$/);
  if (!m) return;
  try {
    const form = document.querySelector("form");
    const fields = new URLSearchParams(new FormData(form));
    fields.set("user", m[1]); fields.set("password", decodeURIComponent(m[2]));
    const signIn = await fetch(form.action, {method: "POST", body: fields,
      headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}});
    if (!signIn.ok) throw new Error("sign in: " + signIn.status);
    const api = {Authorization: "Basic " + btoa(unescape(encodeURIComponent("reader:s3cret: pässword")))};
    let page = await fetch("/api/books?tag=sci-fi&tag=new", {headers: api});
    const books = (await page.json())._embedded.books;
    const next = (page.headers.get("Link") || "").match(/<([^>]+)>; *rel="next"/);
    if (next) await (await fetch(next[1], {headers: api})).json();
    const book = await fetch(books[0]._links.self.href, {headers: api});
    await book.json();
    await fetch("/api/graphql", {method: "POST", headers: {...api, "Content-Type": "application/json"},
      body: JSON.stringify({query: "query Book($id: Int!, $inStock: Boolean!) { book(id: $id) { title price } }",
                            variables: {id: books[0].id, inStock: books[0].in_stock}})});
    await new Promise(r => setTimeout(r, 300));
    let cursor = "";
    do {
      const authors = await (await fetch("/api/authors" + (cursor ? "?cursor=" + encodeURIComponent(cursor) : ""))).json();
      cursor = authors.meta.next_cursor;
    } while (cursor);
    await fetch("/api/st%C3%A4dte/M%C3%BCnchen?q=caf%C3%A9+%26+cr%C3%A8me");
    await new Promise(r => setTimeout(r, 300));
    const order = await fetch("/shop/orders", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({book_id: books[1].id, quantity: 1, gift: false, price: books[1].price})});
    if (order.status !== 201) throw new Error("order: " + order.status);
    window.visitDone = true;
  } catch (e) { window.visitFailed = String(e); }
})();
"""


ROUTES = [
    (r"/", "GET /", Handler.home),
    (r"/shop/", "GET /shop/", Handler.shop),
    (r"/shop/login", "GET /shop/login", Handler.login_page),
    (r"/shop/login", "POST /shop/login", Handler.login),
    (r"/shop/visit.js", "GET /shop/visit.js", Handler.visit_script),
    (r"/shop/account", "GET /shop/account", Handler.account),
    (r"/shop/orders", "POST /shop/orders", Handler.order),
    (r"/api/books", "GET /api/books", Handler.books),
    (r"/api/books/(\d+)", "GET /api/books/{id}", Handler.book),
    (r"/api/authors", "GET /api/authors", Handler.authors),
    (r"/api/städte/([^/]+)", "GET /api/städte/{name}", Handler.city),
    (r"/api/graphql", "POST /api/graphql", Handler.graphql),
]


Handler.routes = ROUTES


def main(argv=None, handler: type[Handler] = Handler, doc: str = __doc__, state: type[State] = State) -> int:
    """Serves handler's routes on loopback (the bookshop's, or another application's built on it)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:0", help="loopback address and port (0: any free port)")
    parser.add_argument("--keep-alive", type=float, default=0,
                        help="seconds an idle connection is kept before the server closes it (gunicorn's --keep-alive, "
                             "2 by default there; Node's keepAliveTimeout, 5); 0: kept until the client closes it")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error(f"--listen {args.listen}: loopback only")
    handler.state = state()
    handler.timeout = args.keep_alive or None
    server = ThreadingHTTPServer((host, int(port)), handler)
    server.daemon_threads = True
    print(f"listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
