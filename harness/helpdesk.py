"""A help desk of the kind teams test, for what the bookshop (harness/bookshop.py) does not cover: a
JWT bearer token that expires after a second and is refreshed with a rotating refresh token (an
expired one is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`), ETags on a list
and its items (If-None-Match gives 304), a JSON body built from the ids of an earlier answer, a
multipart upload of each user's own file, a portal that redirects to its login page without a
session and whose cookies are scoped by Path (a sign-out deletes one), a non-ASCII path and query (Unicode names), and a
search whose query holds both `+` (a space) and `%2B` (a plus).

Python's standard library only, on loopback, built on the bookshop's handler: it counts what it
served per route at /_counts and records every request a client got wrong at /_problems.

    python -m harness.helpdesk --listen 127.0.0.1:0     # prints "listening on http://..."
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP

from harness.bookshop import Handler, State, etag_of, main as serve

ACCOUNTS = {f"agent{n}": f"pw-{n}" for n in range(20)}
TOKEN_TTL = 1.0  # seconds an access token is valid: the users' tasks outlive it
KEY = secrets.token_bytes(32)
TICKETS = [{"id": 7000 + n, "subject": f"Störung Nr. {n}", "status": "open"} for n in range(6)]
LABELS = ["urgent", "network"]  # the labels an upload is tagged with, one multipart part each
CUSTOMERS = {"Zoë Ångström": {"city": "Köln", "tickets": 3}, "José Núñez": {"city": "Málaga", "tickets": 1}}


def attachment_of(user: str) -> bytes:
    """The file each agent uploads: its own, so that a mix-up shows."""
    return f"log of {user}\n".encode() + bytes(range(256))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(user: str, ttl: float) -> str:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": user, "exp": time.time() + ttl}).encode())
    sig = b64url(hmac.new(KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def jwt_claims(token: str) -> dict | None:
    try:
        head, body, sig = token.split(".")
        want = b64url(hmac.new(KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, want):
            return None
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None


class DeskState(State):
    def __init__(self):
        super().__init__()
        self.refresh: dict[str, str] = {}  # refresh token -> user (each works once)
        self.sessions: dict[str, str] = {}  # portal session -> user
        self.logged_in: set[str] = set()
        self.expired = 0  # 401s sent for an expired access token


class HelpDesk(Handler):
    server_version = "helpdesk/1.0"
    state: DeskState

    def control(self, path: str):
        if path == "/_expired":
            return self.send_json(200, {"401": self.state.expired})
        super().control(path)

    def inspect(self, path: str) -> None:
        cookies = self.cookies()
        if path.startswith("/api/") and ("session" in cookies or "prefs" in cookies):
            self.state.problem("a portal cookie (Path=/portal) was sent to " + path)
        if path == "/portal/" and "prefs" in cookies:
            self.state.problem("the prefs cookie (Path=/portal/settings) was sent to /portal/")

    def do_PUT(self):
        self.route()

    # --- tokens --------------------------------------------------------------------------------
    def token_pair(self, user: str) -> dict:
        refresh = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.refresh[refresh] = user
        return {"access_token": jwt(user, TOKEN_TTL), "token_type": "Bearer", "expires_in": TOKEN_TTL,
                "refresh_token": refresh}

    def login(self, query):
        try:
            creds = json.loads(self.body())
        except ValueError:
            creds = {}
        user = creds.get("username")
        if ACCOUNTS.get(user) != creds.get("password"):
            self.state.problem(f"bad password for {user!r}")
            return self.send_json(401, {"error": "invalid_grant"})
        with self.state.lock:
            if user in self.state.logged_in:
                self.state.problem(f"{user} logged in twice: two users share a row of a unique CSV")
            self.state.logged_in.add(user)
        self.send_json(200, self.token_pair(user))

    def refresh(self, query):
        try:
            token = json.loads(self.body()).get("refresh_token")
        except (ValueError, AttributeError):
            token = None
        with self.state.lock:
            user = self.state.refresh.pop(token, None)  # rotated: each refresh token works once
        if user is None:
            self.state.problem("a refresh with a refresh token already used or never given")
            return self.send_json(401, {"error": "invalid_grant"})
        self.send_json(200, self.token_pair(user))

    def agent(self) -> str | None:
        """The token's user; None after answering 401 (a missing, forged or expired token)."""
        auth = self.headers.get("Authorization", "")
        claims = jwt_claims(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
        if claims is None or claims["exp"] < time.time():
            # read what was sent, as servers do: a body left unread is taken for the next request on the
            # connection, and closing it unread resets it, which the client sees as its next request's failure
            self.body()
        if claims is None:
            self.state.problem(f"{self.command} {self.path} without a valid bearer token ({auth[:20]!r})")
            self.send_json(401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer realm="helpdesk"')])
            return None
        if claims["exp"] < time.time():
            with self.state.lock:
                self.state.expired += 1
            self.send_json(401, {"error": "invalid_token"},
                           [("WWW-Authenticate", 'Bearer realm="helpdesk", error="invalid_token", '
                                                 'error_description="The access token expired"')])
            return None
        return claims["sub"]

    # --- tickets: ETags, a body from an earlier answer ------------------------------------------
    def cached(self, value) -> bool:
        """Sends 304 when If-None-Match is the value's ETag (reports whether it did)."""
        tag = etag_of(value)
        sent = self.headers.get("If-None-Match")
        if sent == tag:
            self.send(304, headers=[("ETag", tag)])
            return True
        if sent is not None:
            self.state.problem(f"If-None-Match {sent!r} is not the ETag {tag}")
        return False

    def tickets(self, query):
        if not self.agent() or self.cached(TICKETS):
            return
        self.send_json(200, {"tickets": TICKETS, "labels": LABELS}, [("ETag", etag_of(TICKETS))])

    def ticket(self, query, ticket_id):
        if not self.agent():
            return
        ticket = next((t for t in TICKETS if str(t["id"]) == ticket_id), None)
        if ticket is None:
            self.state.problem(f"no ticket {ticket_id!r} (raw {self.path})")
            return self.send_json(404, {"error": "no such ticket"})
        if not self.cached(ticket):
            self.send_json(200, ticket, [("ETag", etag_of(ticket))])

    def bulk(self, query):
        if not self.agent():
            return
        try:
            ids = json.loads(self.body()).get("ids")
        except (ValueError, AttributeError):
            ids = None
        if ids != [t["id"] for t in TICKETS]:
            self.state.problem(f"bulk update of {ids!r}; expected the ids of the list, as numbers")
            return self.send_json(400, {"error": "ids must be the ticket ids"})
        self.send_json(200, {"updated": len(ids)})

    # --- an upload of each agent's own file ----------------------------------------------------
    def upload(self, query):
        user = self.agent()
        if not user:
            return
        head = f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body())
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        file, tags = parts.get("file"), [p.get_content() for p in message.iter_parts()
                                          if p.get_param("name", header="content-disposition") == "tag"]
        if file is None or file.get_filename() != f"{user}.log" or file.get_payload(decode=True) != attachment_of(user):
            self.state.problem(f"{user} uploaded {file and file.get_filename()!r}, not its own {user}.log")
        if tags != LABELS:
            self.state.problem(f"upload tags {tags!r}; expected the part tag once per label, {LABELS}")
        self.send_json(201, {"stored": f"{user}.log"})

    # --- the portal: a redirect to its login page, cookies by Path -----------------------------------
    def portal(self, query):
        with self.state.lock:
            user = self.state.sessions.get(self.cookies().get("session", ""))
        if user is None:
            return self.send(302, headers=[("Location", "/portal/login?next=%2Fportal%2F")])
        self.send(200, f"<h1>Hallo {user}</h1>".encode(), "text/html; charset=utf-8")

    def portal_login_page(self, query):
        if query.get("next") != ["/portal/"]:
            self.state.problem(f"login page with next={query.get('next')}")
        self.send(200, b'<form method="post" action="/portal/login"><input name="user"></form>', "text/html")

    def portal_login(self, query):
        form = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True)
        user = form.get("user", [""])[0]
        if ACCOUNTS.get(user) != form.get("password", [""])[0]:
            self.state.problem(f"portal sign-in of {user!r} with a wrong password")
            return self.send(401, b"no", "text/plain")
        sid = secrets.token_hex(8)
        with self.state.lock:
            self.state.sessions[sid] = user
        self.send(303, headers=[("Location", "/portal/"), ("Set-Cookie", f"session={sid}; Path=/portal; HttpOnly"),
                                ("Set-Cookie", "prefs=dark; Path=/portal/settings")])

    def portal_logout(self, query):
        with self.state.lock:
            if self.state.sessions.pop(self.cookies().get("session", ""), None) is None:
                self.state.problem("a portal sign-out without a session")
        self.send(204, headers=[("Set-Cookie", "session=; Path=/portal; Max-Age=0")])

    def portal_settings(self, query):
        cookies = self.cookies()
        if cookies.get("prefs") != "dark" or "session" not in cookies:
            self.state.problem(f"settings without its cookies: {sorted(cookies)}")
        self.send(200, b"settings", "text/plain")

    # --- Unicode names, + and %2B --------------------------------------------------------------
    def customer(self, query, name):
        if not self.agent():
            return
        if name not in CUSTOMERS or query.get("stadt") != [CUSTOMERS.get(name, {}).get("city")]:
            self.state.problem(f"customer {name!r} of {query.get('stadt')} (raw {self.path})")
            return self.send_json(404, {"error": "no such customer"})
        self.send_json(200, {"name": name, **CUSTOMERS[name]})

    def search(self, query):
        if not self.agent():
            return
        if query.get("q") != ["C++ tips"] or query.get("lang") != ["de+en"]:
            self.state.problem(f"search q={query.get('q')} lang={query.get('lang')} (raw {self.path})")
        self.send_json(200, {"hits": 2})


HelpDesk.routes = [
    (r"/api/auth/login", "POST /api/auth/login", HelpDesk.login),
    (r"/api/auth/refresh", "POST /api/auth/refresh", HelpDesk.refresh),
    (r"/api/tickets", "GET /api/tickets", HelpDesk.tickets),
    (r"/api/tickets/([^/]+)", "GET /api/tickets/{id}", HelpDesk.ticket),
    (r"/api/tickets/bulk", "PUT /api/tickets/bulk", HelpDesk.bulk),
    (r"/api/attachments", "POST /api/attachments", HelpDesk.upload),
    (r"/api/kunden/([^/]+)", "GET /api/kunden/{name}", HelpDesk.customer),
    (r"/api/search", "GET /api/search", HelpDesk.search),
    (r"/portal/", "GET /portal/", HelpDesk.portal),
    (r"/portal/login", "GET /portal/login", HelpDesk.portal_login_page),
    (r"/portal/login", "POST /portal/login", HelpDesk.portal_login),
    (r"/portal/settings", "GET /portal/settings", HelpDesk.portal_settings),
    (r"/portal/logout", "POST /portal/logout", HelpDesk.portal_logout),
]


if __name__ == "__main__":
    sys.exit(serve(handler=HelpDesk, doc=__doc__, state=DeskState))
