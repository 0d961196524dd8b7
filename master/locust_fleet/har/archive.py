"""A HAR file read into entries the converter can trust, or every mistake in it at once.

Browsers export HAR 1.2 with their own fields and omissions: Chrome adds `_resourceType`,
`_initiator`, `_fromCache` and `_error` and may leave `postData.text` out; Firefox adds no resource
type, writes times with a UTC offset and gives form fields both as `text` and as `params`. What is
optional in practice (headers, a response body, `time`) reads as absent; what a request cannot do
without (its method, URL and start time) is a mistake naming the field, its value and what was
expected."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .problems import Problems
from .secrets import shown_url


class HarError(Problems):
    """Input that is not a HAR this tool can read; problems holds one line per mistake."""


@dataclass(frozen=True)
class Header:
    name: str
    value: str


@dataclass(frozen=True)
class Param:
    """A field of postData.params: a form field, or a multipart part (a file when file_name is set)."""

    name: str
    value: str
    file_name: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class PostData:
    mime: str
    text: str | None
    params: tuple[Param, ...] | None


@dataclass(frozen=True)
class Entry:
    index: int  # its place in log.entries, for messages
    started: datetime
    time_ms: float
    method: str
    url: str
    headers: tuple[Header, ...]
    post: PostData | None
    status: int  # 0: no answer (blocked, cancelled, failed)
    redirect_url: str
    response_headers: tuple[Header, ...]
    response_mime: str
    response_text: str | None  # the body as text, when the HAR holds it and it is text
    resource_type: str | None  # Chrome's _resourceType, lower case
    from_cache: bool
    error: str | None
    page: str | None

    @property
    def ended(self) -> datetime:
        return self.started + timedelta(milliseconds=max(self.time_ms, 0))

    @property
    def where(self) -> str:
        """How messages name the entry: its place and request."""
        return f"log.entries[{self.index}] ({self.method} {shown_url(self.url)})"

    def header(self, name: str) -> str | None:
        return first(self.headers, name)

    def response_header(self, name: str) -> str | None:
        return first(self.response_headers, name)


@dataclass(frozen=True)
class Archive:
    creator: str  # e.g. "WebInspector 537.36" (Chrome), "Firefox 128.0"
    entries: tuple[Entry, ...]
    pages: dict[str, str]  # page id -> title


def first(headers: tuple[Header, ...], name: str) -> str | None:
    lowered = name.lower()
    return next((h.value for h in headers if h.name.lower() == lowered), None)


def parse_har(text: str, source: str) -> Archive:
    """The archive in text (the content of file source, named in messages)."""
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as e:
        raise HarError([f"{source}: line {e.lineno} column {e.colno}: not JSON ({e.msg}); expected a HAR file "
                        f"(JSON, as a browser's developer tools export it)"]) from None
    return read_archive(data, source)


def read_archive(data: object, source: str) -> Archive:
    problems: list[str] = []
    log = data.get("log") if isinstance(data, dict) else None
    if not isinstance(log, dict):
        raise HarError([f"{source}: {describe(data)} without a \"log\" object; expected a HAR file "
                        f"({{\"log\": {{\"entries\": [...]}}}}, as a browser's developer tools export it)"])
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise HarError([f"{source}: log.entries: {describe(entries)}; expected the list of recorded requests"])
    if not entries:
        raise HarError([f"{source}: log.entries: empty; expected at least one recorded request (record with the "
                        f"developer tools' Network tab open, then export the HAR)"])
    read = []
    for i, raw in enumerate(entries):
        entry = read_entry(raw, i, lambda field, message: problems.append(f"{source}: log.entries[{i}]{field}: {message}"))
        if entry is not None:
            read.append(entry)
    if problems:
        raise HarError(problems)
    creator = log.get("creator") if isinstance(log.get("creator"), dict) else {}
    pages = {p["id"]: str(p.get("title") or p["id"]) for p in log.get("pages") or []
             if isinstance(p, dict) and isinstance(p.get("id"), str)}
    return Archive(creator=" ".join(str(creator[k]) for k in ("name", "version") if creator.get(k)),
                   entries=tuple(read), pages=pages)


def read_entry(raw: object, index: int, problem) -> Entry | None:
    if not isinstance(raw, dict):
        problem("", f"{describe(raw)}; expected an object with request, response and startedDateTime")
        return None
    request, response = raw.get("request"), raw.get("response")
    ok = True
    if not isinstance(request, dict):
        problem(".request", f"{describe(request)}; expected an object with method and url")
        return None
    method = request.get("method")
    if not isinstance(method, str) or not method.strip():
        problem(".request.method", f"{describe(method)}; expected an HTTP method such as GET")
        ok = False
    url = request.get("url")
    if not isinstance(url, str) or not url_has_scheme(url):
        shown = describe(shown_url(url) if isinstance(url, str) else url)
        problem(".request.url", f"{shown}; expected an absolute URL such as https://example.com/path")
        ok = False
    started = parse_time(raw.get("startedDateTime"))
    if started is None:
        problem(".startedDateTime", f"{describe(raw.get('startedDateTime'))}; expected an ISO 8601 date and time "
                                    f"such as 2024-03-11T14:56:24.937Z")
        ok = False
    time_ms = raw.get("time", 0)
    if not is_number(time_ms):
        problem(".time", f"{describe(time_ms)}; expected the request's duration in milliseconds")
        ok = False
    if response is None:
        response = {}
    if not isinstance(response, dict):
        problem(".response", f"{describe(response)}; expected an object with status")
        return None
    status = response.get("status", 0)
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 999:
        problem(".response.status", f"{describe(status)}; expected an HTTP status (0 when there was no answer)")
        ok = False
    headers = read_headers(request.get("headers"), ".request.headers", problem)
    response_headers = read_headers(response.get("headers"), ".response.headers", problem)
    post = read_post(request.get("postData"), problem)
    if not ok or headers is None or response_headers is None or post is False:
        return None
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    resource_type = raw.get("_resourceType")
    error = raw.get("_error") or response.get("_error")
    return Entry(index=index, started=started, time_ms=float(time_ms), method=method.strip().upper(), url=url,
                 headers=headers, post=post, status=status, redirect_url=str(response.get("redirectURL") or ""),
                 response_headers=response_headers, response_mime=str(content.get("mimeType") or ""),
                 response_text=content_text(content),
                 resource_type=resource_type.lower() if isinstance(resource_type, str) else None,
                 from_cache=bool(raw.get("_fromCache")), error=str(error) if error else None,
                 page=raw.get("pageref") if isinstance(raw.get("pageref"), str) else None)


def read_headers(raw: object, field: str, problem) -> tuple[Header, ...] | None:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problem(field, f"{describe(raw)}; expected a list of {{\"name\": ..., \"value\": ...}}")
        return None
    out = []
    for i, h in enumerate(raw):
        if not isinstance(h, dict) or not isinstance(h.get("name"), str) or not isinstance(h.get("value", ""), str):
            problem(f"{field}[{i}]", f"{describe(h)}; expected {{\"name\": TEXT, \"value\": TEXT}}")
            return None
        out.append(Header(h["name"], h.get("value", "")))
    return tuple(out)


def read_post(raw: object, problem) -> PostData | None | bool:
    """The request body as recorded; None without one; False after a problem."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        problem(".request.postData", f"{describe(raw)}; expected an object with mimeType and text or params")
        return False
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        problem(".request.postData.text", f"{describe(text)}; expected the body as text")
        return False
    params = raw.get("params")
    read = None
    if params is not None:
        if not isinstance(params, list):
            problem(".request.postData.params", f"{describe(params)}; expected a list of {{\"name\": ..., \"value\": ...}}")
            return False
        read = []
        for i, p in enumerate(params):
            if not isinstance(p, dict) or not isinstance(p.get("name"), str) or \
                    not all(isinstance(p.get(k), (str, type(None))) for k in ("value", "fileName", "contentType")):
                problem(f".request.postData.params[{i}]",
                        f"{describe(p)}; expected {{\"name\": TEXT, \"value\": TEXT}} (and fileName, contentType for a file)")
                return False
            read.append(Param(p["name"], p.get("value") or "", p.get("fileName"), p.get("contentType")))
        read = tuple(read)
    return PostData(mime=str(raw.get("mimeType") or ""), text=text, params=read)


def content_text(content: dict) -> str | None:
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return text


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def url_has_scheme(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number from 0 to 65535)
    except ValueError:
        return False
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe(value: object) -> str:
    """A value as messages quote it: short, and its JSON type when it is not text."""
    if value is None:
        return "missing"
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:80] + "…"
        return f"got {json.dumps(shown, ensure_ascii=False)}"
    kind = {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a value")
    shown = json.dumps(value, ensure_ascii=False)
    return f"got {kind}" + (f" ({shown})" if len(shown) <= 60 else "")
