"""Which recorded requests a load test repeats. By default: the site's own requests, not its static
assets (a CDN or the browser's cache serves those, and they drown the requests that matter), not
third-party hosts (analytics, fonts, ads: not yours to load), and nothing the browser did by itself
or never sent."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from .archive import Entry
from .naming import is_ip
from .redirects import Chain

STATIC_TYPES = frozenset({"script", "stylesheet", "image", "media", "font", "texttrack", "manifest"})
STATIC_MIMES = frozenset({"text/css", "text/javascript", "application/javascript", "application/x-javascript",
                          "application/ecmascript", "text/ecmascript", "application/wasm", "text/vtt",
                          "application/manifest+json", "application/font-woff", "application/font-woff2",
                          "application/x-font-ttf", "application/x-font-woff", "application/vnd.ms-fontobject"})
STATIC_MIME_PREFIXES = ("image/", "font/", "audio/", "video/")
STATIC_EXTENSIONS = frozenset({".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
                               ".avif", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".map", ".mp4", ".webm",
                               ".mp3", ".ogg", ".wav", ".vtt", ".wasm"})
# Two-label public suffixes under which a site is three labels (shop.example.co.uk is example.co.uk).
TWO_LABEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz",
    "org.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "com.br", "com.cn", "net.cn", "org.cn", "com.hk", "com.sg",
    "com.tw", "com.mx", "com.ar", "com.tr", "co.in", "co.za", "co.kr", "co.il", "com.pl", "com.es", "co.id"})

# Why a request is left out: the summary's words, and how to keep such requests.
REASONS = {
    "not_http": ("requests that are not HTTP (data:, blob:, extensions)", ""),
    "websocket": ("WebSocket connections (the worker sends HTTP requests)", ""),
    "excluded": ("requests excluded by --exclude", ""),
    "third_party": ("requests to third-party hosts", "--host or --all-hosts keeps them"),
    "static": ("static assets (scripts, styles, images, fonts, media)", "--keep-static keeps them"),
    "preflight": ("CORS preflights (the browser sends them by itself)", ""),
    "cache": ("requests answered from the browser's cache (never sent)", ""),
    "no_answer": ("requests without an answer in the browser (blocked, cancelled, failed)", ""),
}


class HostPattern:
    """--host: `example.com` (any port), `example.com:8080`, `*.example.com` (it and its
    subdomains), `https://api.example.com` (that origin)."""

    FORM = re.compile(r"^(?:(https?)://)?(\*\.)?([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?/?$")

    def __init__(self, text: str):
        m = self.FORM.match(text.strip())
        if not m:
            raise ValueError(f"--host: got {text!r}; expected a host (example.com), a host and port "
                             f"(example.com:8080), *.example.com (it and its subdomains) or an origin "
                             f"(https://api.example.com)")
        self.text = text
        self.scheme, self.wildcard, self.port = m.group(1), bool(m.group(2)), m.group(4)
        self.host = m.group(3).lower().strip("[]")
        if self.scheme and not self.port:
            self.port = "443" if self.scheme == "https" else "80"

    def matches(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.scheme and parts.scheme != self.scheme:
            return False
        if self.port and str(parts.port or (443 if parts.scheme == "https" else 80)) != self.port:
            return False
        return host == self.host or (self.wildcard and host.endswith("." + self.host))


@dataclass(frozen=True)
class Selection:
    kept: list[Chain]
    dropped: Counter  # reason -> requests
    third_party: Counter  # host -> requests left out as third-party
    site: str  # the recorded site (example.com), whose hosts are first-party

    def lines(self) -> list[str]:
        """What was left out, one line per reason, for the summary."""
        out = []
        for reason, (words, keep) in REASONS.items():
            n = self.dropped.get(reason, 0)
            if not n:
                continue
            line = f"{words}: {n}"
            if reason == "third_party":
                line += " (" + ", ".join(f"{h}: {c}" for h, c in self.third_party.most_common()) + ")"
            out.append(line + (f"; {keep}" if keep else ""))
        return out


@dataclass(frozen=True)
class Filters:
    hosts: tuple[HostPattern, ...] = ()
    all_hosts: bool = False
    keep_static: bool = False
    exclude: tuple[re.Pattern, ...] = ()


def select(chains: list[Chain], filters: Filters) -> Selection:
    http = [c for c in chains if is_http(c.first.url)]
    main = next((c.first for c in http if is_document(c.first) and c.first.status), http[0].first if http else None)
    site = site_of(urlsplit(main.url).hostname or "") if main else ""
    kept, dropped, third = [], Counter(), Counter()
    for chain in chains:
        reason = why_left_out(chain.first, filters, site)
        if reason is None:
            kept.append(chain)
            continue
        dropped[reason] += 1
        if reason == "third_party":
            third[urlsplit(chain.first.url).hostname or ""] += 1
    return Selection(kept, dropped, third, site)


def why_left_out(entry: Entry, filters: Filters, site: str) -> str | None:
    if entry.resource_type == "websocket" or entry.status == 101 or entry.url.lower().startswith(("ws:", "wss:")):
        return "websocket"
    if not is_http(entry.url):
        return "not_http"
    if any(p.search(entry.url) for p in filters.exclude):
        return "excluded"
    if not first_party(entry.url, filters, site):
        return "third_party"
    if not filters.keep_static and is_static(entry):
        return "static"
    if entry.resource_type == "preflight" or (entry.method == "OPTIONS" and entry.header("Access-Control-Request-Method")):
        return "preflight"
    if entry.from_cache:
        return "cache"
    if entry.status == 0:
        return "no_answer"
    return None


def first_party(url: str, filters: Filters, site: str) -> bool:
    if filters.all_hosts:
        return True
    if filters.hosts:
        return any(p.matches(url) for p in filters.hosts)
    return site_of(urlsplit(url).hostname or "") == site


def site_of(host: str) -> str:
    """The registrable part of a host, as browsers group hosts into sites: www.example.com and
    api.example.com are example.com. An IP address or a single label (localhost) is its own site."""
    host = host.lower().rstrip(".")
    if is_ip(host) or "." not in host:
        return host
    labels = host.split(".")
    n = 3 if ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES else 2
    return ".".join(labels[-n:])


def is_static(entry: Entry) -> bool:
    if entry.resource_type in STATIC_TYPES:
        return True
    if entry.resource_type not in (None, "other"):
        return False
    mime = entry.response_mime.split(";")[0].strip().lower()
    if mime in STATIC_MIMES or mime.startswith(STATIC_MIME_PREFIXES):
        return True
    path = urlsplit(entry.url).path.lower()
    return any(path.endswith(ext) for ext in STATIC_EXTENSIONS)


def is_document(entry: Entry) -> bool:
    if entry.resource_type is not None:
        return entry.resource_type == "document"
    return entry.method == "GET" and entry.response_mime.split(";")[0].strip().lower() == "text/html"


def is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"
