"""The spool's destinations: batches kept apart per URL, database and credentials identity (never
the secret), listed per destination, discarded, and nothing on disk before the first batch."""

import json

import pytest

from locust_fleet import spool
from locust_fleet.spool import Destination


def test_destination_identity_names_the_user_and_never_the_secret():
    assert Destination.of("http://a:8086/", "db").identity == ""
    assert Destination.of("http://a:8086", "db", username="alice").identity == "user alice"
    token = Destination.of("http://a:8086", "db", token="s3cret-token")
    assert token.identity.startswith("token sha256:") and "s3cret" not in json.dumps(vars(token))
    alice = Destination.of("http://a:8086/", "db", username="alice")
    assert str(alice) == "database 'db' at http://a:8086 as user alice"


@pytest.mark.parametrize("other", [
    Destination("http://b:8086", "db"),
    Destination("http://a:8086", "other"),
    Destination("http://a:8086", "db", "user alice"),
    Destination.of("http://a:8086", "db", token="t2"),
], ids=["url", "database", "user", "token"])
def test_each_part_of_a_destination_makes_another_key(other):
    base = Destination.of("http://a:8086", "db", token="t1")
    assert other.key != base.key
    assert Destination.of("http://a:8086/", "db", token="t1").key == base.key  # a trailing / is the same URL


def test_nothing_is_written_before_the_first_batch_then_the_destination_is_labelled(tmp_path):
    d = Destination("http://a:8086", "db", "user alice")
    s = spool.for_destination(tmp_path / "spool", d)
    assert s.pending() == [] and not (tmp_path / "spool").exists()
    s.append(b"m v=1 1\nm v=2 2\n")
    assert json.loads((tmp_path / "spool" / d.key / spool.LABEL).read_text()) == vars(d)


def test_held_lists_each_destination_and_unlabelled_batches(tmp_path):
    root = tmp_path / "spool"
    a, b = Destination("http://a:8086", "staging"), Destination("http://b:8086", "prod")
    spool.for_destination(root, a).append(b"m v=1 1\n")
    spool.for_destination(root, a).append(b"m v=2 2\nm v=3 3\n")
    spool.for_destination(root, b).append(b"m v=4 4\n")
    spool.Spool(root).append(b"old v=1 1\n")  # a spool written before destinations were recorded
    found = {h.spool_id: h for h in spool.held(root)}
    assert found[a.key] == spool.Held(a.key, a, 2, 3)
    assert found[b.key] == spool.Held(b.key, b, 1, 1)
    assert found[spool.UNLABELLED] == spool.Held(spool.UNLABELLED, None, 1, 1)
    assert list(found)[-1] == spool.UNLABELLED
    assert found[a.key].describe() == f"2 batches (3 points) for database 'staging' at http://a:8086 [spool id {a.key}]"


def test_discard_removes_one_destination_only(tmp_path):
    root = tmp_path / "spool"
    a, b = Destination("http://a:8086", "staging"), Destination("http://b:8086", "prod")
    spool.for_destination(root, a).append(b"m v=1 1\nm v=2 2\n")
    spool.for_destination(root, b).append(b"m v=3 3\n")
    spool.Spool(root).append(b"old v=1 1\n")
    assert spool.discard(root, a.key) == 2
    assert spool.discard(root, spool.UNLABELLED) == 1
    assert [h.spool_id for h in spool.held(root)] == [b.key]
    with pytest.raises(KeyError):
        spool.discard(root, a.key)


def test_tidy_keeps_a_directory_that_still_holds_batches(tmp_path):
    d = Destination("http://a:8086", "db")
    s = spool.for_destination(tmp_path, d)
    batch = s.append(b"m v=1 1\n")
    spool.tidy(s.dir)
    assert s.pending() == [batch]
    s.remove(batch)
    spool.tidy(s.dir)
    assert not s.dir.exists()
