"""Frames of Locust's master/worker protocol: a msgpack array [type, data, node_id], encoded and
decoded byte for byte as Locust does (datetime travels as {"__datetime__": True, "as_str": ...};
map keys may be ints). Pure; no Locust import, so the contract stands on its own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import msgpack

DATETIME_FORMAT = "%Y%m%dT%H:%M:%S.%f"


class DecodeError(ValueError):
    """Bytes that are not a protocol frame; the message says what was wrong, `kind` which rule the
    bytes broke (a receiver that logs once per kind needs no parsing of the message)."""

    kind = "frame"


class NotMsgpack(DecodeError):
    kind = "not msgpack"


class NotAFrame(DecodeError):
    """A msgpack value other than an array of three."""

    kind = "shape"


class BadType(DecodeError):
    kind = "type"


class BadNodeId(DecodeError):
    kind = "node_id"


@dataclass(frozen=True)
class Frame:
    type: str
    data: Any
    node_id: str


def _encode_ext(obj: Any) -> Any:
    if isinstance(obj, datetime.datetime):
        return {"__datetime__": True, "as_str": obj.strftime(DATETIME_FORMAT)}
    raise TypeError(f"cannot encode {type(obj).__name__} in a protocol frame")


def _decode_ext(obj: dict) -> Any:
    if "__datetime__" in obj:
        return datetime.datetime.strptime(obj["as_str"], DATETIME_FORMAT)
    return obj


def encode(msg_type: str, data: Any, node_id: str) -> bytes:
    """Bytes identical to locust.rpc.protocol.Message(msg_type, data, node_id).serialize()."""
    return msgpack.dumps((msg_type, data, node_id), default=_encode_ext)


def decode(raw: bytes) -> Frame:
    try:
        obj = msgpack.loads(raw, raw=False, strict_map_key=False, object_hook=_decode_ext)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, TypeError) as e:
        raise NotMsgpack(f"not a msgpack value: {e}") from None
    if not isinstance(obj, list) or len(obj) != 3:
        shape = f"an array of {len(obj)}" if isinstance(obj, list) else type(obj).__name__
        raise NotAFrame(f"expected an array [type, data, node_id], got {shape}")
    msg_type, data, node_id = obj
    if not isinstance(msg_type, str):
        raise BadType(f"type: expected a string, got {type(msg_type).__name__} {msg_type!r}")
    if not isinstance(node_id, str):
        raise BadNodeId(f"{msg_type}: node_id: expected a string, got {type(node_id).__name__} {node_id!r}")
    return Frame(msg_type, data, node_id)
