"""The docs stand alone: every link of every Markdown file in the repository leads to a file of the
repository (or a web address), and every `docs/...` or `workers-go/...` path they name in code
spans exists."""

from __future__ import annotations

import re
import subprocess

import pytest

from harness.procs import REPO

DOCS = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True,
                      check=True).stdout.split()
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH = re.compile(r"`((?:docs|workers-go|master|deploy|harness|tests|tools|bench|py_bridge)/[\w./-]+)`")


@pytest.mark.parametrize("doc", DOCS)
def test_links_lead_to_files_of_the_repository(doc):
    path = REPO / doc
    text = path.read_text()
    for link in LINK.findall(text):
        if re.match(r"[a-z]+://|mailto:|#", link):
            continue
        target = (path.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(REPO) and target.exists(), \
            f"{doc}: link to {link!r}, which is not in the repository"


@pytest.mark.parametrize("doc", DOCS)
def test_named_paths_exist(doc):
    for named in PATH.findall((REPO / doc).read_text()):
        if any(c in named for c in "*{}") or named.endswith("/"):
            continue
        assert (REPO / named.split(":")[0]).exists(), f"{doc}: names {named!r}, not in the repository"
