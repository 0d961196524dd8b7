"""A recorded request body read back into what it was: JSON, form fields, multipart parts, or text.

The kind follows the recorded Content-Type, as the server read it: a JSON text sent as text/plain
stays text. A HAR may hold a form or multipart body only as `params` (Chrome leaves `text` out at
times; browsers leave file contents out of multipart bodies)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from .archive import PostData

JSON, FORM, MULTIPART, TEXT = "json", "form", "multipart", "text"


@dataclass(frozen=True)
class Part:
    name: str
    value: str  # a text field's value, or what the HAR holds of a file's content
    filename: str | None = None  # set for a file part
    content_type: str | None = None


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def kind(content_type: str) -> str:
    media = media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        return JSON
    if media == "application/x-www-form-urlencoded":
        return FORM
    if media == "multipart/form-data":
        return MULTIPART
    return TEXT


def json_value(text: str) -> tuple[bool, object]:
    try:
        return True, json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False, None


def form_fields(post: PostData) -> list[tuple[str, str]]:
    """The fields of a urlencoded body, decoded: from its text, else from params (which browsers
    write encoded as they were sent)."""
    if post.text is not None:
        return parse_qsl(post.text, keep_blank_values=True)
    return [(unquote_plus(p.name), unquote_plus(p.value)) for p in post.params or ()]


def multipart_parts(post: PostData, content_type: str) -> list[Part] | None:
    """The parts of a multipart body, or None when the HAR holds them in no form this reads."""
    if post.params:
        return [Part(p.name, p.value, p.file_name, p.content_type) for p in post.params]
    if post.text is None:
        return None
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    boundary = found.group(1) if found else first_boundary(post.text)
    if not boundary:
        return None
    parts = []
    for chunk in post.text.split("--" + boundary)[1:]:
        if chunk.startswith("--"):  # the closing delimiter
            break
        chunk = chunk.removeprefix("\r\n").removeprefix("\n")
        head, sep, body = chunk.partition("\r\n\r\n")
        if not sep:
            head, sep, body = chunk.partition("\n\n")
        if not sep:
            return None
        body = body.removesuffix("\r\n") if body.endswith("\r\n") else body.removesuffix("\n")
        fields = part_headers(head)
        disposition = fields.get("content-disposition", "")
        name = disposition_param(disposition, "name")
        if name is None:
            return None
        parts.append(Part(name, body, disposition_param(disposition, "filename"), fields.get("content-type")))
    return parts


def first_boundary(text: str) -> str | None:
    line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    return line[2:] if line.startswith("--") and len(line) > 2 else None


def part_headers(head: str) -> dict[str, str]:
    out = {}
    for line in re.split(r"\r?\n", head):
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def disposition_param(disposition: str, param: str) -> str | None:
    found = re.search(r'(?:^|;)\s*' + param + r'="((?:[^"\\]|\\.)*)"', disposition) or \
        re.search(r'(?:^|;)\s*' + param + r'=([^;\s]+)', disposition)
    if not found:
        return None
    # Browsers write a " in a field or file name as %22 and a line break as %0D%0A.
    return found.group(1).replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
