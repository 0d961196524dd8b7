"""The golden vectors: Locust's bytes decode to `decoded`, re-encode to the same bytes, and the
checked-in files are exactly what the generator writes today."""

import json

import pytest

from py_bridge import codec
from tools import vectors
from py_bridge.messages import TO_MASTER, TO_WORKER, validate

ALL = [(direction, v) for direction, name in vectors.FILES.items()
       for v in json.loads((vectors.DEFAULT_OUT / name).read_text())]


@pytest.mark.parametrize("direction, vector", ALL, ids=[v["name"] for _, v in ALL])
def test_vector_decodes_and_reencodes_byte_identical(direction, vector):
    raw = bytes.fromhex(vector["hex"])
    frame = codec.decode(raw)
    msg_type, data, node_id = vectors.untag(vector["decoded"])
    assert (frame.type, frame.data, frame.node_id) == (msg_type, data, node_id)
    assert codec.encode(frame.type, frame.data, frame.node_id) == raw
    validate(frame.type, frame.data, direction)


def test_vector_files_are_what_the_generator_writes():
    for name, text in vectors.render().items():
        assert (vectors.DEFAULT_OUT / name).read_text() == text, f"{name} differs: run `make vectors`"


def test_vectors_cover_every_known_message_type():
    from py_bridge.messages import SCHEMAS
    covered = {(d, v["type"]) for d, v in ALL}
    assert set(SCHEMAS) - covered <= {(TO_MASTER, "locustfile")}, set(SCHEMAS) - covered
    assert (TO_WORKER, "my_custom") in covered and (TO_MASTER, "my_custom") in covered
