"""Which recorded request headers a step sends. The ones that say what the client wants or who it
is (Accept, Accept-Language, Content-Type, Origin, custom X- headers, Authorization when asked) are
kept; what the browser adds by itself (sec-*, client hints, cache validators, Referer, the HTTP/2
pseudo-headers, Connection, Content-Length) is dropped, and Accept-Encoding is the worker's own
(it decodes gzip, deflate and br; a browser also asks for zstd). Cookies are never written: the
worker's cookie jar keeps what the site sets, per user."""

from __future__ import annotations

from dataclasses import dataclass

from .archive import Header

# Dropped unless --keep-header names them (lower case).
NOISE = frozenset({
    "host", "connection", "keep-alive", "proxy-connection", "content-length", "transfer-encoding", "te", "upgrade",
    "expect", "accept-encoding", "referer", "upgrade-insecure-requests", "priority", "pragma", "cache-control", "dnt",
    "if-none-match", "if-modified-since", "if-range", "purpose", "x-moz", "user-agent",
})
NOISE_PREFIXES = (":", "sec-")
NEVER = frozenset({"cookie"})  # whatever the options: the cookie jar sends cookies


@dataclass(frozen=True)
class HeaderRules:
    user_agent: str | None = None  # None: the worker's own; "recorded": the browser's; else this text
    keep: frozenset[str] = frozenset()  # lower-case names kept although they are noise
    drop: frozenset[str] = frozenset()  # lower-case names dropped besides the noise


def is_noise(name: str, rules: HeaderRules) -> bool:
    lowered = name.lower()
    if lowered in NEVER or lowered in rules.drop:
        return True
    if lowered == "user-agent":
        return rules.user_agent != "recorded" and lowered not in rules.keep
    if lowered in rules.keep:
        return False
    return lowered in NOISE or lowered.startswith(NOISE_PREFIXES)


def kept(headers: tuple[Header, ...], rules: HeaderRules) -> dict[str, str]:
    """The headers a step sends, by name as written (HTTP/2's lower case made canonical), a
    header given twice as one with its values joined by ", "."""
    out: dict[str, str] = {}
    by_lower: dict[str, str] = {}
    for h in headers:
        if is_noise(h.name, rules):
            continue
        lowered = h.name.lower()
        if lowered in by_lower:
            out[by_lower[lowered]] += ", " + h.value
            continue
        name = canonical(h.name)
        by_lower[lowered] = name
        out[name] = h.value
    return out


def canonical(name: str) -> str:
    """x-csrf-token -> X-Csrf-Token; a name with capitals is kept as written (X-CSRF-Token)."""
    if name != name.lower():
        return name
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def names_cookies(headers: tuple[Header, ...]) -> list[str]:
    """The names of the cookies a request's Cookie headers sent."""
    out = []
    for h in headers:
        if h.name.lower() != "cookie":
            continue
        for pair in h.value.split(";"):
            name = pair.split("=", 1)[0].strip()
            if name and name not in out:
                out.append(name)
    return out


def set_cookies(headers: tuple[Header, ...]) -> dict[str, str]:
    """Cookies a response set: name -> value."""
    out = {}
    for h in headers:
        if h.name.lower() != "set-cookie":
            continue
        # Firefox joins several Set-Cookie headers with newlines into one.
        for line in h.value.split("\n"):
            pair = line.split(";", 1)[0]
            if "=" in pair:
                name, value = pair.split("=", 1)
                out[name.strip()] = value.strip()
    return out
