"""Locust's users dispatcher after a rebalance at the target count (master/locust_fleet/rebalances.py),
on Locust's own UsersDispatcher and worker nodes: the flag that gates every later rebalance of the
master's message loop is cleared once the dispatch is over, and kept while one is under way. With
real workers joining and quitting: test_e2e_rebalancing.py."""

from types import SimpleNamespace

from locust import User, task
from locust.dispatch import UsersDispatcher
from locust.runners import WorkerNode

from locust_fleet.rebalances import clear_finished_dispatch, dispatcher_from_running_users


class GoWorkerUser(User):
    @task
    def nothing(self) -> None:
        pass


def dispatched(dispatcher: UsersDispatcher, users: int) -> None:
    dispatcher.new_dispatch(target_user_count=users, spawn_rate=1000)
    for _ in dispatcher:
        pass


def test_a_rebalance_at_the_target_count_leaves_the_dispatcher_idle():
    workers = [WorkerNode(f"w{i}") for i in range(2)]
    dispatcher = UsersDispatcher(worker_nodes=workers, user_classes=[GoWorkerUser])
    runner = SimpleNamespace(_users_dispatcher=dispatcher)
    dispatched(dispatcher, 12)
    assert not dispatcher.dispatch_in_progress
    dispatcher.add_worker(WorkerNode("w2"))
    dispatched(dispatcher, 12)  # Locust's rebalance when a worker joins a running test
    clear_finished_dispatch(runner)
    assert not dispatcher.dispatch_in_progress


def test_a_dispatch_under_way_keeps_its_flag():
    dispatcher = UsersDispatcher(worker_nodes=[WorkerNode("w0")], user_classes=[GoWorkerUser])
    runner = SimpleNamespace(_users_dispatcher=dispatcher)
    dispatcher.new_dispatch(target_user_count=10, spawn_rate=2)  # 5 steps
    next(dispatcher)
    clear_finished_dispatch(runner)
    assert dispatcher.dispatch_in_progress


def test_a_new_dispatcher_during_a_test_starts_from_the_users_the_workers_run():
    # Locust's heartbeat loop drops its dispatcher when it removes a worker missing for 60 s; a new
    # one ramped up from 0 and sent the workers that stayed to 1 user and 0.
    workers = [WorkerNode(f"w{i}") for i in range(2)]
    for worker in workers:
        worker.user_classes_count = {"GoWorkerUser": 4}
    runner = SimpleNamespace(clients=SimpleNamespace(ready=[], spawning=[], running=workers), user_classes=[GoWorkerUser],
                             environment=SimpleNamespace(dispatcher_class=UsersDispatcher))
    dispatcher = dispatcher_from_running_users(runner)
    dispatcher.new_dispatch(target_user_count=12, spawn_rate=1000)
    steps = [{w: counts["GoWorkerUser"] for w, counts in step.items()} for step in dispatcher]
    assert steps[0] == {"w0": 4, "w1": 4}
    assert steps[-1] == {"w0": 6, "w1": 6}
