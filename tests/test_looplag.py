"""The loop-lag probe keeps samples only where someone reads them."""

import gevent

from locust_fleet.looplag import LoopLag, p99


def test_p99_walks_the_sorted_samples():
    assert p99([]) == 0.0
    assert p99([0.5] + [0.001] * 99) == 0.5
    assert p99([0.001] * 200 + [0.5]) == 0.001


def test_samples_are_kept_only_for_their_readers():
    idle = LoopLag(per_interval=False)
    probe = gevent.spawn(idle.probe)
    gevent.sleep(0.35)
    assert idle.interval is None and idle.run is None  # no exporter, no test running: nothing piles up
    idle.on_test_start()
    gevent.sleep(0.35)
    assert len(idle.run) >= 2
    idle.on_test_stop()
    assert idle.run is None
    probe.kill()

    exported = LoopLag(per_interval=True)
    probe = gevent.spawn(exported.probe)
    gevent.sleep(0.35)
    figures = exported.take_interval()
    assert set(figures) == {"loop_lag_p99_ms", "loop_lag_max_ms"} and figures["loop_lag_max_ms"] >= 0
    assert exported.interval == [] or len(exported.interval) <= 1
    probe.kill()
