"""Headless Chromium (Debian's package) driven over the DevTools protocol: open a page and
evaluate JavaScript in it, so tests can check what a person would see (laid-out SVG geometry,
table text) rather than the HTML source."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import requests
import websocket

from .procs import wait_until

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class Chromium:
    def __init__(self, workdir: Path):
        binary = shutil.which("chromium")
        assert binary, "chromium is missing: `make setup` installs Debian's chromium package"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "chromium.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, *FLAGS, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                                      f"--user-data-dir={workdir / 'profile'}", "about:blank"],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        found = wait_until(lambda: re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/",
                                             self.log_path.read_text(errors="replace")), 30, "chromium's DevTools")
        self.http = f"http://127.0.0.1:{found.group(1)}"
        self.ws = None
        self.next_id = 0

    def open(self, url: str) -> None:
        """Open url in a new tab and wait until it has loaded."""
        tab = requests.put(f"{self.http}/json/new?{url}", timeout=10).json()
        self.ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        # The new tab starts on about:blank, which is "complete" at once: wait for url itself.
        wait_until(lambda: self.evaluate("location.href === %s && document.readyState === 'complete'"
                                         % json.dumps(url)), 30, f"{url} to load")

    def evaluate(self, expression: str):
        """The JSON-serialisable value of a JavaScript expression in the open tab."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                 "params": {"expression": expression, "returnByValue": True}}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                result = reply["result"]
                assert "exceptionDetails" not in result, result["exceptionDetails"]
                return result["result"].get("value")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
