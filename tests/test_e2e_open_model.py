"""End to end, the open model through a stalled server: a real master, one Go worker and the
counting target, whose /stall endpoint stops answering for 2 s in the middle of the run. The
arrivals keep their pace through the stall, Locust counts exactly what the target served, and
the response times show the stall (they are timed from when each request was due)."""

from __future__ import annotations

import pytest

from harness import stall

pytestmark = pytest.mark.e2e
USERS, RATE = 20, 20  # 400 requests/s in all


def test_arrivals_keep_their_pace_through_a_stall_and_response_times_show_it(procs, go_bin, tmp_path):
    run = stall.run(procs, go_bin["worker"], go_bin["target"], tmp_path, "open", users=USERS, rate=RATE,
                    seconds=10, stall_at=4, stall_for=2)

    per_second = {s: run.arrivals.get(s, 0) for s in run.steady}
    stalled = [s for s in per_second if run.stall[0] <= s + 1 and s <= run.stall[1]]
    assert len(per_second) >= 6 and stalled, (per_second, run.stall)
    slow = {s: n for s, n in per_second.items() if n < 0.85 * USERS * RATE}
    assert not slow, f"seconds below 85 % of {USERS * RATE}/s: {slow} (all: {per_second}, stall {run.stall})"

    assert run.stats["num_requests"] == run.served > 0, (run.stats["num_requests"], run.served)
    assert run.stats["num_failures"] == 0, run.stats
    assert set(run.entries) == {("GET", "stall")}, run.entries.keys()
    assert run.percentile(0.99) >= 1000, run.stats["response_times"]
