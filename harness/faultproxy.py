"""An HTTP proxy in front of InfluxDB that misbehaves on demand, run as its own process:
`python -m harness.faultproxy UPSTREAM_URL` prints `listening on http://127.0.0.1:PORT` and forwards every
request, except that `POST /_fault/MODE[/ARG]` switches its mode:

    pass        forward as is
    slow/S      forward, but answer S seconds late
    error/CODE  answer CODE (e.g. 500) without forwarding

It counts what it saw per mode at `GET /_fault` (JSON)."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mode, self.arg = "pass", ""
        self.seen: dict[str, int] = {}


def make_handler(upstream: str, state: State):
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:  # quiet
            pass

        def reply(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up waiting (a slow answer past its timeout)
                self.close_connection = True

        def control(self) -> bool:
            if not self.path.startswith("/_fault"):
                return False
            if self.command == "POST":
                parts = self.path.strip("/").split("/")[1:]
                with state.lock:
                    state.mode, state.arg = parts[0], (parts[1] if len(parts) > 1 else "")
            with state.lock:
                body = json.dumps({"mode": state.mode, "arg": state.arg, "seen": state.seen}).encode()
            self.reply(200, body, {"Content-Type": "application/json"})
            return True

        def forward(self) -> None:
            if self.control():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                mode, arg = state.mode, state.arg
                state.seen[mode] = state.seen.get(mode, 0) + 1
            if mode == "error":
                self.reply(int(arg or 500), b'{"error":"injected by faultproxy"}', {"Content-Type": "application/json"})
                return
            if mode == "slow":
                time.sleep(float(arg or 3))
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.reply(resp.status, data, {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP})
            except OSError:
                self.reply(502, b'{"error":"upstream unreachable"}')
            finally:
                conn.close()

        do_GET = do_POST = forward

    return Handler


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(sys.argv[1], State()))
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
