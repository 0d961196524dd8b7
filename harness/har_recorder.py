"""A HAR recorded by really browsing: headless Chromium's DevTools network events, gathered while a
page runs, written as Chrome's own "Export HAR" writes them (`_resourceType`, `_initiator`,
`serverIPAddress`, one entry per redirect hop, the headers the browser actually sent, cookies
included). Tests convert it with `locust-fleet scenario from-har`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import requests
import websocket

from .chromium import Chromium


@dataclass
class Hop:
    """One request the browser sent: a page, an asset, a call, or one hop of a redirect."""

    request_id: str
    request: dict
    started: float  # the DevTools monotonic clock, seconds
    wall: float  # Unix seconds
    resource_type: str
    initiator: dict
    page: str
    response: dict | None = None
    ended: float | None = None
    error: str | None = None
    from_cache: bool = False
    post_data: str | None = None
    body: str | None = None
    body_base64: bool = False
    sent_headers: dict | None = None  # what requestWillBeSentExtraInfo says went on the wire
    received_headers: dict | None = None


@dataclass
class Recording:
    hops: list[Hop] = field(default_factory=list)
    current: dict[str, Hop] = field(default_factory=dict)  # request id -> its latest hop
    sent_extra: dict[str, list[dict]] = field(default_factory=dict)
    received_extra: dict[str, list[dict]] = field(default_factory=dict)


class DevTools:
    """One tab's DevTools connection: commands answered in order, events kept for the recording."""

    def __init__(self, browser: Chromium):
        tab = requests.put(f"{browser.http}/json/new?about:blank", timeout=10).json()
        self.ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.settimeout(30)
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            if "method" in message:
                self.events.append(message)

    def close(self) -> None:
        self.ws.close()


def record(browser: Chromium, url: str, done: str, timeout: float = 30) -> dict:
    """Open url in a new tab and record its network until the JavaScript expression done is true
    and every request has ended; the HAR, as a dict."""
    tools = DevTools(browser)
    try:
        tools.call("Network.enable", maxPostDataSize=1 << 20)
        tools.call("Network.setCacheDisabled", cacheDisabled=True)
        tools.call("Page.enable")
        tools.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        recording = Recording()
        while True:
            finished = tools.call("Runtime.evaluate", expression=f"Boolean({done})", returnByValue=True)
            # Events come in order on the connection: those received while waiting for the answer
            # are everything the page did before done was read.
            for event in tools.events:
                on_event(recording, event)
            tools.events.clear()
            pending = [h for h in recording.current.values() if h.ended is None]
            if finished["result"].get("value") is True and not pending:
                break
            if time.monotonic() > deadline:
                failed = tools.call("Runtime.evaluate", expression="String(window.visitFailed)", returnByValue=True)
                raise AssertionError(f"{url}: {done} not true, or requests still open ({[h.request['url'] for h in pending]}), "
                                     f"after {timeout}s; the page says {failed['result'].get('value')}")
            time.sleep(0.1)
        fetch_bodies(tools, recording)
        return har(recording, url)
    finally:
        tools.close()


def on_event(rec: Recording, event: dict) -> None:
    method, p = event["method"], event.get("params", {})
    rid = p.get("requestId")
    if method == "Network.requestWillBeSent":
        previous = rec.current.get(rid)
        if previous is not None and p.get("redirectResponse"):
            previous.response, previous.ended = p["redirectResponse"], p["timestamp"]
        hop = Hop(rid, p["request"], p["timestamp"], p["wallTime"], p.get("type", "Other"), p.get("initiator", {}),
                  "page_1", post_data=p["request"].get("postData"))
        rec.hops.append(hop)
        rec.current[rid] = hop
    elif method == "Network.requestWillBeSentExtraInfo":
        rec.sent_extra.setdefault(rid, []).append(p.get("headers", {}))
    elif method == "Network.responseReceivedExtraInfo":
        rec.received_extra.setdefault(rid, []).append(p.get("headers", {}))
    elif method == "Network.responseReceived" and rid in rec.current:
        rec.current[rid].response = p["response"]
        rec.current[rid].resource_type = p.get("type", rec.current[rid].resource_type)
    elif method == "Network.requestServedFromCache" and rid in rec.current:
        rec.current[rid].from_cache = True
    elif method == "Network.loadingFinished" and rid in rec.current:
        rec.current[rid].ended = p["timestamp"]
    elif method == "Network.loadingFailed" and rid in rec.current:
        rec.current[rid].ended, rec.current[rid].error = p["timestamp"], p.get("errorText", "failed")


def fetch_bodies(tools: DevTools, rec: Recording) -> None:
    """Response bodies of the final hops, post data DevTools did not inline, and the headers that
    went on the wire (in hop order per request id)."""
    by_id: dict[str, list[Hop]] = {}
    for hop in rec.hops:
        by_id.setdefault(hop.request_id, []).append(hop)
    for rid, hops in by_id.items():
        for hop, headers in zip(hops, rec.sent_extra.get(rid, [])):
            hop.sent_headers = headers
        for hop, headers in zip(hops, rec.received_extra.get(rid, [])):
            hop.received_headers = headers
        last = hops[-1]
        if last.error is None and last.response is not None and last.resource_type not in ("Preflight",):
            try:
                body = tools.call("Network.getResponseBody", requestId=rid)
                last.body, last.body_base64 = body["body"], body["base64Encoded"]
            except RuntimeError:
                pass  # e.g. an opaque no-cors answer: DevTools keeps no body
        for hop in hops:
            if hop.post_data is None and hop.request.get("hasPostData"):
                try:
                    hop.post_data = tools.call("Network.getRequestPostData", requestId=rid)["postData"]
                except RuntimeError:
                    pass


def header_list(headers: dict) -> list[dict]:
    """DevTools joins a repeated header's values with newlines; a HAR lists each."""
    return [{"name": name, "value": value} for name, values in headers.items() for value in str(values).split("\n")]


def iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def har(rec: Recording, url: str) -> dict:
    entries = []
    for hop in rec.hops:
        response = hop.response or {}
        sent = hop.sent_headers or hop.request.get("headers", {})
        received = hop.received_headers or response.get("headers", {})
        request_headers = header_list(sent)
        content_type = next((h["value"] for h in request_headers if h["name"].lower() == "content-type"), "")
        cookies = [{"name": n, "value": v} for h in request_headers if h["name"].lower() == "cookie"
                   for n, v in (pair.strip().split("=", 1) for pair in h["value"].split(";") if "=" in pair)]
        location = next((h["value"] for h in header_list(received) if h["name"].lower() == "location"), "")
        request = {"method": hop.request["method"], "url": hop.request["url"],
                   "httpVersion": response.get("protocol", "http/1.1"), "headers": request_headers,
                   "queryString": [{"name": n, "value": v} for n, v in parse_qsl(urlsplit(hop.request["url"]).query,
                                                                                keep_blank_values=True)],
                   "cookies": cookies, "headersSize": -1, "bodySize": len(hop.post_data or "")}
        if hop.post_data is not None:
            request["postData"] = {"mimeType": content_type, "text": hop.post_data}
        content = {"size": len(hop.body or ""), "mimeType": response.get("mimeType", "x-unknown")}
        if hop.body is not None:
            content["text"] = hop.body
            if hop.body_base64:
                content["encoding"] = "base64"
        ended = hop.ended if hop.ended is not None else hop.started
        entries.append({
            "_initiator": hop.initiator, "_priority": hop.request.get("initialPriority", "High"),
            "_resourceType": hop.resource_type.lower(), "cache": {}, "connection": str(response.get("connectionId", "")),
            "pageref": hop.page, "request": request,
            "response": {"status": response.get("status", 0), "statusText": response.get("statusText", ""),
                         "httpVersion": response.get("protocol", "http/1.1"), "headers": header_list(received),
                         "cookies": [], "content": content, "redirectURL": location, "headersSize": -1,
                         "bodySize": -1, "_transferSize": response.get("encodedDataLength", 0), "_error": hop.error},
            "serverIPAddress": response.get("remoteIPAddress", ""), "startedDateTime": iso(hop.wall),
            "time": (ended - hop.started) * 1000,
            "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0,
                        "wait": (ended - hop.started) * 1000, "receive": 0},
            **({"_fromCache": "memory"} if hop.from_cache else {}),
        })
    entries.sort(key=lambda e: e["startedDateTime"])
    first = entries[0]["startedDateTime"] if entries else iso(time.time())
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                    "pages": [{"startedDateTime": first, "id": "page_1", "title": url,
                               "pageTimings": {"onContentLoad": -1, "onLoad": -1}}],
                    "entries": entries}}
