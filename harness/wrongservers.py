"""Servers a user may mistake for InfluxDB, run as their own process: `python -m harness.wrongservers`
prints one line of JSON naming each kind and its URL, then serves until it is stopped:

    html      any web server: 200 with an HTML page on every path
    empty     200 with an empty body and no headers of InfluxDB's
    notfound  404 with an HTML page
    redirect  301 to an https URL (a proxy sending plain HTTP elsewhere)
    silent    accepts connections and never answers
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>"


def handler(kind: str):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, headers, body = {
                "html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
                "empty": (200, {}, b""),
                "notfound": (404, {"Content-Type": "text/html"}, b"<html><body>404 Not Found</body></html>"),
                "redirect": (301, {"Location": "https://influx.example.invalid:8086" + self.path}, b""),
            }[kind]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

    return Handler


def main() -> None:
    urls = {}
    for kind in ("html", "empty", "notfound", "redirect"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler(kind))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        urls[kind] = f"http://127.0.0.1:{server.server_address[1]}"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections complete in the backlog; nothing ever reads or answers them
    urls["silent"] = f"http://127.0.0.1:{silent.getsockname()[1]}"
    print(json.dumps(urls), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
