"""The codec is byte-identical to Locust's serializer and rejects what is not a frame."""

import datetime
import random

import msgpack
import pytest
from locust.rpc.protocol import Message

from py_bridge.codec import BadNodeId, BadType, DecodeError, Frame, NotAFrame, NotMsgpack, decode, encode


def random_value(rng: random.Random, depth: int = 0):
    kinds = ["int", "float", "str", "none", "bool", "bigint", "negint"] + (["list", "map", "intmap"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.randint(0, 300)
    if kind == "bigint":
        return rng.randint(2**32, 2**63 - 1)
    if kind == "negint":
        return -rng.randint(1, 2**40)
    if kind == "float":
        return rng.uniform(-1e6, 1e6)
    if kind == "str":
        return "".join(rng.choice("aZ9 _/-üé✓") for _ in range(rng.randint(0, 40)))
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if kind == "intmap":
        return {rng.randint(0, 10**10): rng.randint(0, 100) for _ in range(rng.randint(0, 5))}
    return {f"k{i}": random_value(rng, depth + 1) for i in range(rng.randint(0, 5))}


def test_encode_equals_locusts_serializer_on_random_messages():
    rng = random.Random(3)
    for i in range(2000):
        data = random_value(rng)
        raw = Message(f"type{i % 7}", data, f"node-{i}").serialize()
        assert encode(f"type{i % 7}", data, f"node-{i}") == raw
        got = decode(raw)
        assert got == Frame(f"type{i % 7}", data, f"node-{i}")
        back = Message.unserialize(raw)
        assert (back.type, back.data, back.node_id) == (got.type, got.data, got.node_id)


def test_datetime_travels_like_locusts():
    at = datetime.datetime(2026, 11, 25, 14, 30, 2, 123456)
    raw = encode("custom", {"at": at}, "n")
    assert raw == Message("custom", {"at": at}, "n").serialize()
    assert decode(raw).data == {"at": at}


@pytest.mark.parametrize("raw, error, message", [
    (b"\xc1", NotMsgpack, "not a msgpack value: "),
    (msgpack.dumps(["a", None]), NotAFrame, "expected an array [type, data, node_id], got an array of 2"),
    (msgpack.dumps({"type": "a"}), NotAFrame, "expected an array [type, data, node_id], got dict"),
    (msgpack.dumps([1, None, "n"]), BadType, "type: expected a string, got int 1"),
    (msgpack.dumps(["stats", None, 7]), BadNodeId, "stats: node_id: expected a string, got int 7"),
    (msgpack.dumps(["a", None, "n"])[:-1], NotMsgpack, "not a msgpack value: "),
])
def test_decode_rejects_what_is_not_a_frame(raw, error, message):
    with pytest.raises(DecodeError) as err:
        decode(raw)
    assert type(err.value) is error and str(err.value).startswith(message)


def test_decode_error_kinds_are_distinct():
    kinds = [e.kind for e in (NotMsgpack, NotAFrame, BadType, BadNodeId)]
    assert len(set(kinds)) == len(kinds) and DecodeError.kind not in kinds
