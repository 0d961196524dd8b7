"""Redirect chains: a HAR holds every hop of a redirect as its own entry, while the worker follows
redirects itself and Locust counts the chain as one request. A chain is the first request and the
hops that followed it; it becomes one step."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from .archive import Entry

REDIRECTS = (301, 302, 303, 307, 308)
HOP_WINDOW = 200  # entries after a redirect searched for its hop: a browser sends it at once


@dataclass(frozen=True)
class Chain:
    first: Entry
    hops: tuple[Entry, ...] = ()  # the requests the redirects made, in order

    @property
    def final(self) -> Entry:
        """The entry holding the answer the chain ended with."""
        return self.hops[-1] if self.hops else self.first

    @property
    def ended(self):
        return max(e.ended for e in (self.first, *self.hops))


def location(entry: Entry) -> str | None:
    """Where a redirect answer sends the browser, absolute and without its fragment."""
    if entry.status not in REDIRECTS:
        return None
    target = entry.redirect_url or entry.response_header("Location")
    if not target:
        return None
    return urldefrag(urljoin(entry.url, target)).url


def chains(entries: list[Entry]) -> list[Chain]:
    """entries (in the order they started) grouped into chains, in the order their first requests
    started. A hop is the first later entry for the URL a redirect named."""
    taken: set[int] = set()
    out = []
    for i, entry in enumerate(entries):
        if i in taken:
            continue
        hops = []
        current, at = entry, i
        while (target := location(current)) is not None:
            nxt = next((j for j in range(at + 1, min(at + 1 + HOP_WINDOW, len(entries)))
                        if j not in taken and urldefrag(entries[j].url).url == target), None)
            if nxt is None:
                break
            taken.add(nxt)
            hops.append(entries[nxt])
            current, at = entries[nxt], nxt
        out.append(Chain(entry, tuple(hops)))
    return out
