"""workers-go/cmd/ratebench, the user runtime alone at a set rate, pinned to the generator's core:
built once per benchmark run, and run with its JSON result read back (section 6)."""

from __future__ import annotations

import json
import subprocess

from bench.loadgen import GENERATOR_CPU
from harness.procs import GO_BIN, REPO

USERS = 50
WARMUP_S = 1  # ratebench's warm-up before its measured seconds
RATEBENCH = GO_BIN / "ratebench"


def build() -> None:
    subprocess.run(["go", "build", "-o", str(RATEBENCH), "./cmd/ratebench"], cwd=REPO / "workers-go", check=True)


def run(url: str, model: str, rate: float, seconds: int, path: str = "/") -> dict:
    """One ratebench run of USERS users sending GET `path` on url; its JSON result."""
    out = subprocess.run(["taskset", "-c", GENERATOR_CPU, str(RATEBENCH), "-target", url, "-path", path,
                          "-rate", f"{rate:g}", "-users", str(USERS), "-seconds", str(seconds), "-model", model],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)
