"""Values a recording sent that an earlier response gave it: a token from the login's JSON, an item
id from a list, a CSRF token from a header, a cookie or a form's HTML. Sent as recorded they are
stale (another user, another session); the scenario extracts them from that response instead
(`extract:`) and sends the variable, as a k6 or Locust user correlates by hand. Only ids and tokens
are followed, never words or small numbers an unrelated field could hold too. In JSON the value's
path is exact; in other text (HTML) a regular expression takes it from after the text that
precedes it, checked to find it first in the recorded response."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from .archive import Entry
from .headers import set_cookies
from .naming import Names, singular, worth_following

GENERIC_KEYS = frozenset({"id", "uuid", "key", "value", "slug", "ref", "code"})
MAX_BODY = 5_000_000  # characters: larger bodies are not searched
MAX_LEAVES = 20_000
PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Response headers that describe the message, not the application: never a source.
TEXT_MIMES = ("text/", "application/xhtml+xml", "application/xml")
WORD_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")
REGEX_SPECIAL = re.compile(r"([\\.^$*+?()\[\]{}|])")
MESSAGE_HEADERS = frozenset({"date", "content-length", "content-type", "etag", "last-modified", "expires", "age",
                             "server", "via", "vary", "connection", "keep-alive", "set-cookie", "location"})


@dataclass(frozen=True)
class Source:
    step: int  # the step whose response holds the value
    extractor: dict  # as a scenario writes it: {"json": "$.items[0].id"}, {"header": ...}, {"cookie": ...}
    wanted: str  # the variable name it suggests
    number: bool = False  # a JSON number


def json_path(keys: list) -> str | None:
    """The scenario's JSONPath for a list of keys and indexes, or None when a key cannot be written."""
    out = "$"
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        elif PLAIN_KEY.match(k):
            out += "." + k
        elif '"' not in k and "\\" not in k:
            out += f'["{k}"]'
        elif "'" not in k and "\\" not in k:
            out += f"['{k}']"
        else:
            return None
    return out


def leaves(value: object, keys: list, out: list) -> None:
    if len(out) >= MAX_LEAVES:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            leaves(v, keys + [k], out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            leaves(v, keys + [i], out)
    elif isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        out.append((keys, value))


def wanted_name(keys: list) -> str:
    """$.token -> token; $.items[0].id -> item_id (a generic key takes its parent's name)."""
    names = [k for k in keys if isinstance(k, str)]
    if not names:
        return "value"
    last = names[-1]
    if last.lower() in GENERIC_KEYS and len(names) > 1:
        return f"{singular(names[-2])}_{last}"
    return last


def sources(step: int, entry: Entry) -> dict[str, Source]:
    """The values of entry's response worth following, by their text (as an extraction stores it);
    within one response an id or token key wins, then the first in the document."""
    found: dict[str, tuple[int, Source]] = {}

    def offer(text: str, rank: int, source) -> None:
        """source: the Source, or a function making it (made only for a value that is kept)."""
        if worth_following(text) and (text not in found or rank < found[text][0]):
            found[text] = (rank, source() if callable(source) else source)

    body = entry.response_text
    if body is not None and len(body) <= MAX_BODY and body.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(body)
        except (json.JSONDecodeError, RecursionError):
            parsed = None
        collected: list = []
        leaves(parsed, [], collected)
        for keys, value in collected:
            text = value if isinstance(value, str) else json.dumps(value)
            last = next((k for k in reversed(keys) if isinstance(k, str)), "").lower()
            rank = 0 if ("id" in last or "token" in last or last in GENERIC_KEYS) else 1
            if (path := json_path(keys)) is not None:
                offer(text, rank, lambda keys=keys, path=path, value=value:
                      Source(step, {"json": path}, wanted_name(keys), not isinstance(value, str)))
    for h in entry.response_headers:
        if h.name.lower() not in MESSAGE_HEADERS:
            offer(h.value, 2, Source(step, {"header": h.name}, h.name.lower().removeprefix("x-")))
    for name, value in set_cookies(entry.response_headers).items():
        offer(value, 3, Source(step, {"cookie": name}, name))
    return {text: source for text, (_, source) in found.items()}


LINK_HEADER_ENTRY = re.compile(r'<([^>]*)>([^,<]*)')
LINK_REL = re.compile(r'rel="?([A-Za-z][A-Za-z0-9.-]*)')


def link_header_sources(step: int, entry: Entry, found: dict[str, "Source"]) -> None:
    """The links of entry's Link headers (RFC 8288, GitHub's pagination): each by the absolute URL
    it leads to, taken by a regular expression on the header that finds it by its rel."""
    for h in entry.response_headers:
        if h.name.lower() != "link":
            continue
        for target, params in LINK_HEADER_ENTRY.findall(h.value):
            rel = LINK_REL.search(params)
            if rel is None:
                continue
            pattern = '<([^>]+)>[^,<]*rel="?' + rel.group(1).replace(".", "\\.") + '(?:"|;|,|\\s|$)'
            first = re.search(pattern, h.value)
            url = urljoin(entry.url, target.strip()).partition("#")[0]
            if first and first.group(1) == target and url.startswith(("http://", "https://")) and url not in found:
                found[url] = Source(step, {"header": h.name, "regex": pattern}, rel.group(1).replace(".", "_").replace("-", "_"))


def link_sources(step: int, entry: Entry) -> dict[str, Source]:
    """The links of entry's answer, in its JSON (a "next" page, an "href") or its Link headers, by
    the absolute URL they lead to: resolved against the answer's URL, as the worker resolves a
    link path."""
    found: dict[str, Source] = {}
    link_header_sources(step, entry, found)
    body = entry.response_text
    if body is None or len(body) > MAX_BODY or body.lstrip()[:1] not in ("{", "["):
        return found
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return found
    collected: list = []
    leaves(parsed, [], collected)
    for keys, value in collected:
        if not isinstance(value, str) or not ("/" in value or "?" in value) or any(c.isspace() for c in value.strip()):
            continue
        url = urljoin(entry.url, value.strip()).partition("#")[0]
        if url.startswith(("http://", "https://")) and url not in found and (path := json_path(keys)) is not None:
            found[url] = Source(step, {"json": path}, wanted_name(keys))
    return found


def carries_state(url: str) -> bool:
    """A URL worth following as a link: one of its path segments or query values is an id or a
    token (a cursor, a page token), which a recorded URL would send stale."""
    parts = urlsplit(url)
    return any(worth_following(unquote(s)) for s in parts.path.split("/")) or \
        any(worth_following(v) for _, v in parse_qsl(parts.query))


@dataclass
class Correlator:
    """Follows values from responses to the requests that send them again. Each value gets one
    variable, extracted by the latest step before its first use whose response held it."""

    names: Names
    enabled: bool = True
    cache: dict = field(default_factory=dict)  # (step, entry index) -> its sources, shared between passes
    known: dict[str, Source] = field(default_factory=dict)  # value -> latest source so far
    bound: dict[str, tuple[str, Source]] = field(default_factory=dict)  # value -> variable
    extractions: dict[int, dict[str, dict]] = field(default_factory=dict)  # step -> {variable: extractor}
    link_cache: dict = field(default_factory=dict)  # (step, entry index) -> its links
    links: dict[str, Source] = field(default_factory=dict)  # absolute URL -> the latest link to it so far

    texts: list[tuple[int, str]] = field(default_factory=list)  # (step, body) of text answers

    def answered(self, step: int, entry: Entry) -> None:
        """Step's response is known: its values may be followed from now on."""
        if not self.enabled:
            return
        key = (step, entry.index)
        if key not in self.cache:
            self.cache[key] = sources(step, entry)
        self.known.update(self.cache[key])
        if key not in self.link_cache:
            self.link_cache[key] = link_sources(step, entry)
        self.links.update(self.link_cache[key])
        body = entry.response_text
        if body and len(body) <= MAX_BODY and entry.response_mime.lower().startswith(TEXT_MIMES):
            self.texts.append((step, body))

    def variable(self, value: str, hint: str = "") -> tuple[str, Source] | None:
        """The variable that stands for value in a request (sent as hint: a field's or a header's
        name), with where it comes from, if any."""
        if not self.enabled:
            return None
        if value in self.bound:
            return self.bound[value]
        if not worth_following(value):
            return None
        source = self.known.get(value) or self.in_text(value, hint)
        if source is None:
            return None
        var = self.names.new(source.wanted)
        self.extractions.setdefault(source.step, {})[var] = source.extractor
        self.bound[value] = (var, source)
        return var, source

    def link(self, url: str) -> tuple[str, Source] | None:
        """The variable holding a link an earlier JSON answer gave to url (a cursor's next page),
        when url carries an id or a token; the step then follows it (path: "{{ next }}")."""
        if not self.enabled:
            return None
        url = url.partition("#")[0]
        if url in self.bound:
            return self.bound[url]
        source = self.links.get(url)
        if source is None or not carries_state(url):
            return None
        var = self.names.new(source.wanted)
        self.extractions.setdefault(source.step, {})[var] = source.extractor
        self.bound[url] = (var, source)
        return var, source

    def in_text(self, value: str, hint: str) -> Source | None:
        """The latest text answer holding value, with a regular expression that finds it there."""
        for step, body in reversed(self.texts):
            at = body.find(value)
            if at >= 0 and (pattern := left_bounded(body, at, value)) is not None:
                return Source(step, {"regex": pattern}, hint or "value")
        return None


def left_bounded(body: str, at: int, value: str) -> str | None:
    """A regular expression (RE2 and Python alike) whose group is value at body[at:], found by the
    text before it on its line; None when no such text finds value first."""
    capture = "([A-Za-z0-9_-]+)" if WORD_VALUE.match(value) else "([^\"'<>\\s]+)"
    if not re.fullmatch(capture, value):
        return None
    line_start = body.rfind("\n", 0, at) + 1
    for width in (16, 32, 64):
        start = max(line_start, at - width)
        # Start at a word: after the nearest space, tag or quote before start (at most 16 more).
        boundary = max(body.rfind(c, max(line_start, start - 16), start + 1) for c in ' <>"\'')
        start = boundary + 1 if boundary >= 0 and boundary < at - 1 else start
        left = body[start:at]
        if not left.strip():
            return None
        pattern = REGEX_SPECIAL.sub(r"\\\1", left) + capture
        found = re.search(pattern, body)
        if found and found.start(1) == at and found.group(1) == value:
            return pattern
        if at - width <= line_start:
            return None
    return None
