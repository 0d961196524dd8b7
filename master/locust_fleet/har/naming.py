"""Names: of Locust's rows (bounded, whatever ids a recording holds), of hosts and of variables.

A Locust row per endpoint, not per URL: a path segment that is an id (a number, a UUID, a hash, a
long token) is named `[id]`, as Locust users write `name="/items/[id]"`, and the query string is
left out of the name."""

from __future__ import annotations

import ipaddress
import re

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEX = re.compile(r"^[0-9a-fA-F]{8,}$")
TOKEN = re.compile(r"^[A-Za-z0-9_\-.~+/=]{16,}$")
MIXED = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_-]{6,}$")
# Names the scenario language keeps for itself (built-ins, loops, environment variables).
RESERVED = frozenset({"user_id", "iteration", "uuid", "random", "random_string", "now_unix", "now_ms", "now_iso",
                      "env", "loop_index", "loop_item"})
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_id(segment: str) -> bool:
    """A path segment (decoded) that identifies a thing rather than naming an endpoint."""
    if segment.isdigit():
        return True
    if UUID.match(segment):
        return True
    has_digit = any(c.isdigit() for c in segment)
    if HEX.match(segment) and has_digit:
        return True
    if TOKEN.match(segment) and has_digit and any(c.isalpha() for c in segment):
        return True
    return bool(MIXED.match(segment)) and sum(c.isdigit() for c in segment) >= 2


def worth_following(value: str) -> bool:
    """A value worth looking for in earlier responses: an id or token, not a word or a small number
    that an unrelated field could hold too."""
    if value.isdigit():
        return len(value) >= 3
    return is_id(value)


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return word[:-1]
    return word


def identifier(text: str) -> str:
    """Any text as a variable or host name: letters, digits and _, not starting with a digit."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    name = re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower()
    if not name:
        return "value"
    return "v_" + name if name[0].isdigit() else name


class Names:
    """Distinct names: a second `token` becomes `token_2`; reserved names get a suffix."""

    def __init__(self, reserved: frozenset[str] = RESERVED):
        self.taken = set(reserved)
        self.numbers: dict[str, int] = {}  # base -> the last number given to it

    def new(self, wanted: str) -> str:
        base = identifier(wanted)
        if base in RESERVED:
            base += "_value"
        name, n = base, self.numbers.get(base, 1)
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.numbers[base] = n
        self.taken.add(name)
        return name


def host_names(origins: list[str], main: str) -> dict[str, str]:
    """A name per origin other than main: the host's first label (api.example.com -> api), else the
    host and port (127.0.0.1:8081 -> v_127_0_0_1_8081), else the scheme too."""
    names = Names(frozenset())
    out: dict[str, str] = {}
    for origin in origins:
        if origin == main or origin in out:
            continue
        scheme, _, hostport = origin.partition("://")
        host = hostport if hostport.endswith("]") else hostport.rsplit(":", 1)[0]
        label = host.split(".")[0]
        options = [label] if "." in host and not is_ip(host) and label != "www" else []
        options += [hostport, f"{scheme}_{hostport}"]
        out[origin] = names.new(next((o for o in options if identifier(o) not in names.taken), options[-1]))
    return out


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
