"""The master's allocator of fleet-wide user numbers."""

import pytest

from locust_fleet.user_numbers import MAX_COUNT, Allocator


def test_blocks_are_consecutive_and_never_overlap():
    a = Allocator()
    replies = [a.answer({"count": n, "request": i}) for i, n in enumerate([3, 1, 5])]
    assert replies == [[0, 0, 3], [1, 3, 1], [2, 4, 5]]  # [request, start, count]


def test_a_late_worker_gets_the_next_block():
    a = Allocator()
    a.answer({"count": 10, "request": 0})  # worker 1
    assert a.answer({"count": 2, "request": 0}) == [0, 10, 2]  # worker 2, same request id


def test_reset_starts_again_from_zero():
    a = Allocator()
    a.answer({"count": 4, "request": 0})
    a.reset()
    assert a.answer({"count": 1, "request": 1}) == [1, 0, 1]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(None, "expected a map with count and request, got NoneType", id="no data"),
        pytest.param({"request": 1}, "count: got None; expected an int from 1", id="no count"),
        pytest.param({"count": 0, "request": 1}, "count: got 0", id="zero"),
        pytest.param({"count": -2, "request": 1}, "count: got -2", id="negative"),
        pytest.param({"count": MAX_COUNT + 1, "request": 1}, f"count: got {MAX_COUNT + 1}", id="too many"),
        pytest.param({"count": "3", "request": 1}, "count: got '3'", id="string count"),
        pytest.param({"count": True, "request": 1}, "count: got True", id="bool count"),
        pytest.param({"count": 1, "request": "x"}, "request: got 'x'; expected an int", id="string request"),
    ],
)
def test_bad_requests_are_refused_and_use_no_numbers(data, says):
    a = Allocator()
    with pytest.raises(ValueError, match=says.replace("(", r"\(")):
        a.answer(data)
    assert a.answer({"count": 1, "request": 2}) == [2, 0, 1]
