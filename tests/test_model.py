"""The data model's names are defined once and documented: every field the points builder writes is
declared in model.FIELDS and listed in docs/data-model.md; the histogram field's text is lossless."""

import re

import pytest

from locust_fleet import model
from locust_fleet.model import decode_histogram, encode_histogram
from harness.procs import REPO

DOC = (REPO / "docs" / "data-model.md").read_text()


def test_every_measurement_has_its_section_in_the_data_model_doc():
    for measurement in model.FIELDS:
        assert f"## `{measurement}`" in DOC, measurement


@pytest.mark.parametrize("measurement", sorted(model.FIELDS))
def test_every_declared_field_is_documented(measurement):
    section = DOC.split(f"## `{measurement}`")[1].split("\n## ")[0]
    documented = set(re.findall(r"`(\w+)`", section))
    missing = [f for f in model.FIELDS[measurement] if f not in documented]
    assert not missing, f"{measurement}: {missing} not in docs/data-model.md"


def test_reserved_tags_are_the_tags_of_the_model():
    assert model.RESERVED_TAGS == {model.RUN_ID, model.NAME, model.METHOD, model.WORKER, model.USER_CLASS, model.EVENT,
                                   model.CHECK}


def test_histogram_text_round_trips():
    hist = {0: 3, 12: 40, 110: 2, 12000: 1}
    assert encode_histogram(hist) == "0:3,12:40,110:2,12000:1"
    assert decode_histogram(encode_histogram(hist)) == hist
    assert decode_histogram("") == {}
    assert encode_histogram({5: 0, 3: 1}) == "3:1"  # empty buckets are left out


@pytest.mark.parametrize("text", ["12", "a:1", "1:b", "1:2,,x:"])
def test_decode_histogram_names_the_bad_part(text):
    with pytest.raises(ValueError, match=r"^histogram: got '.*'; expected MS:COUNT$"):
        decode_histogram(text)


def test_no_name_is_a_tag_and_a_field_of_one_measurement():
    assert model.name_clashes() == []
    assert set(model.TAGS) == set(model.FIELDS) == set(model.FIELD_TYPES)
    for measurement, fields in model.FIELDS.items():
        assert set(model.FIELD_TYPES[measurement]) == set(fields), measurement


@pytest.mark.parametrize("keys, expected", [
    (("build",), []),
    (("users", "build"), ["'users' is a tag and a field of locust_runs"]),
    (("time",), ["'time' in locust_runs is InfluxDB's own time column"]),
])
def test_run_tag_keys_that_clash_are_named(keys, expected):
    assert model.name_clashes(keys) == expected
