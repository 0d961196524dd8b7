"""Servers a user may mistake for InfluxDB, run as their own process:
`python -m harness.wrongservers DIR` (DIR for the TLS server's certificate) prints one line of
JSON naming each kind and its URL, then serves until it is stopped:

    html      any web server: 200 with an HTML page on every path
    empty     200 with an empty body and no headers of InfluxDB's
    notfound  404 with an HTML page
    redirect  301 to an https URL (a proxy sending plain HTTP elsewhere)
    silent    accepts connections and never answers
    tls       a TLS server (self-signed), which closes a plain-HTTP connection without an answer
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
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


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a failed TLS handshake is expected here
        pass


def tls_server(certs: Path) -> str:
    """A TLS server answering like any web server once the handshake is done."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(certs / "key.pem"), "-out", str(certs / "cert.pem")], check=True,
                   capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "cert.pem", certs / "key.pem")
    server = Server(("127.0.0.1", 0), handler("html"))
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"https://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    urls = {}
    for kind in ("html", "empty", "notfound", "redirect"):
        server = Server(("127.0.0.1", 0), handler(kind))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        urls[kind] = f"http://127.0.0.1:{server.server_address[1]}"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections complete in the backlog; nothing ever reads or answers them
    urls["silent"] = f"http://127.0.0.1:{silent.getsockname()[1]}"
    urls["tls"] = tls_server(Path(sys.argv[1]))
    print(json.dumps(urls), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
