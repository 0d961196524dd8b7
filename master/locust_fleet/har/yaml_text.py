"""Scenario data written as YAML a person reads and edits: block style, strings bare when YAML
cannot read them as anything else, else double-quoted with JSON's escapes (which YAML reads
alike), and comments above the lines they explain.

A small writer of its own rather than a YAML library's: no library writes comments, and this keeps
the command's dependencies those of the master."""

from __future__ import annotations

import json
import re
import textwrap

# Bare strings: plain text YAML reads as a string in every schema (no indicator first, no ": " or
# " #", nothing a resolver reads as a number, boolean, null, timestamp or merge key). Commas and
# brackets are plain text in block style, which is the only style written here.
BARE = re.compile(r"^[A-Za-z_/.][A-Za-z0-9_./()\[\]:,;=+*@&?~%-]*(?: [A-Za-z0-9_./()\[\]:,;=+*@&?~%-]+)*$")
NOT_STRINGS = re.compile(r"^(?:y|n|yes|no|on|off|true|false|null|nan|inf|[-+]?\.(?:inf|nan))$", re.IGNORECASE)
NUMBERISH = re.compile(r"^[-+]?[0-9._:]|^\.[0-9]")
GO_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|ms|s|m|h))+$")
# Characters YAML does not allow in a document as they are, or reads as line breaks or a BOM.
ESCAPE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        return string(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def string(text: str) -> str:
    if GO_DURATION.match(text):
        return text
    if BARE.match(text) and not NOT_STRINGS.match(text) and not NUMBERISH.match(text) and ": " not in text \
            and not text.endswith(":"):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def dump(data: dict, comments: dict[tuple, list[str]] | None = None, head: list[str] = ()) -> str:
    """data as YAML; comments[path] are written above the node at path (a tuple of keys and list
    indexes from the top); head above everything."""
    lines = [comment(line, 0) for line in head]
    Writer(lines, comments or {}).mapping(data, 0, (), "")
    return "\n".join(lines) + "\n"


def comment(text: str, indent: int) -> str:
    """A comment, wrapped to about 100 columns (lines after the first indented under it)."""
    lead = " " * indent + "# "
    lines = textwrap.wrap(" ".join(text.split()), width=max(100 - len(lead), 40), break_long_words=False,
                          break_on_hyphens=False, subsequent_indent="  ")
    return "\n".join(lead + line for line in lines) if lines else lead.rstrip()


class Writer:
    def __init__(self, lines: list[str], comments: dict[tuple, list[str]]):
        self.lines, self.comments = lines, comments

    def notes(self, path: tuple, indent: int) -> None:
        for text in self.comments.get(path, ()):
            self.lines.append(comment(text, indent))

    def mapping(self, data: dict, indent: int, path: tuple, first_prefix: str) -> None:
        """A mapping's keys at indent; the first line starts with first_prefix instead ("- " of a
        list item) when it is given."""
        for i, (key, value) in enumerate(data.items()):
            lead = first_prefix if i == 0 and first_prefix else " " * indent
            if not (i == 0 and first_prefix):
                self.notes(path + (key,), indent)
            self.entry(lead + string(str(key)) + ":", value, indent, path + (key,))

    def entry(self, lead: str, value: object, indent: int, path: tuple) -> None:
        if isinstance(value, dict) and value:
            self.lines.append(lead)
            self.mapping(value, indent + 2, path, "")
        elif isinstance(value, list) and value:
            self.lines.append(lead)
            self.sequence(value, indent + 2, path)
        else:
            self.lines.append(f"{lead} {inline(value)}")

    def sequence(self, items: list, indent: int, path: tuple) -> None:
        for i, item in enumerate(items):
            self.notes(path + (i,), indent)
            if isinstance(item, dict) and item:
                self.mapping(item, indent + 2, path + (i,), " " * indent + "- ")
            elif isinstance(item, list) and item:
                self.lines.append(" " * indent + "-")
                self.sequence(item, indent + 2, path + (i,))
            else:
                self.lines.append(" " * indent + "- " + inline(item))


def inline(value: object) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)
