"""Every worker message passes inbound.py before Locust's handler: malformed frames and messages
are rejected by kind (each kind logged once), reports are normalised, observers see what passes.
A stand-in runner records what reaches Locust's handler; its socket hands out queued frames."""

import logging
from types import SimpleNamespace

import msgpack
import pytest
from locust.rpc import Message

from locust_fleet import inbound
from py_bridge.codec import encode
from py_bridge.reports import stats_entry, stats_report


class Socket:
    def __init__(self, frames: list[list[bytes]]) -> None:
        self.frames = frames

    def recv_multipart(self) -> list[bytes]:
        return self.frames.pop(0)


class Runner:
    """The parts of Locust's MasterRunner that inbound.install wraps and reads."""

    def __init__(self, frames: list[list[bytes]] = ()) -> None:
        self.handled: list[tuple[str, Message]] = []
        self.clients = {"w1": object()}
        self.custom_messages = {"my_custom": None}
        self.user_classes = [type("GoWorkerUser", (), {})]
        self.server = SimpleNamespace(socket=Socket(list(frames)))
        self.resets = 0

    def handle_message(self, client_id: str, msg: Message) -> None:
        self.handled.append((client_id, msg))

    def reset_connection(self) -> None:
        self.resets += 1
        self.server = SimpleNamespace(socket=Socket([[b"w1", encode("heartbeat", BEAT, "w1")]]))


BEAT = {"state": "running", "current_cpu_usage": 1.0, "current_memory_usage": 1}


def boomer_report() -> dict:
    # as boomer sends it: min_response_time 0 without requests, errors without first_seen/last_seen
    empty = stats_entry("home", "GET", min_response_time=0)
    failed = stats_entry("login", "POST", start_time=1, last_request_timestamp=1, num_requests=1, num_failures=1,
                         min_response_time=0, response_times={0: 1}, num_reqs_per_sec={1: 1}, num_fail_per_sec={1: 1})
    return stats_report([empty, failed], dict(failed, name="Total", method=""), 0, {},
                        {"k": {"method": "POST", "name": "login", "error": "boom", "occurrences": 1}})


@pytest.fixture
def runner():
    runner = Runner()
    seen = []
    runner.rejections = inbound.install(runner, [lambda client, msg_type: seen.append((client, msg_type))])
    runner.seen = seen
    return runner


def test_valid_messages_pass_and_observers_see_them(runner):
    runner.handle_message("w1", Message("heartbeat", BEAT, "w1"))
    runner.handle_message("w1", Message("my_custom", {"any": 1}, "w1"))  # registered by the locustfile
    runner.handle_message("w9", Message("client_ready", -1, "w9"))  # anyone may register
    assert [(c, m.type) for c, m in runner.handled] == [("w1", "heartbeat"), ("w1", "my_custom"),
                                                        ("w9", "client_ready")]
    assert runner.seen == [("w1", "heartbeat"), ("w1", "my_custom"), ("w9", "client_ready")]


@pytest.mark.parametrize("msg_type", ["client_ready", "locustfile", "heartbeat", "quit"])
def test_a_peer_that_is_not_registered_may_register_ask_beat_and_quit(runner, msg_type):
    data = {"client_ready": -1, "locustfile": {"version": "2.47.0"}, "heartbeat": BEAT, "quit": None}[msg_type]
    runner.handle_message("w7", Message(msg_type, data, "w7"))
    assert [m.type for _, m in runner.handled] == [msg_type]


def test_reports_are_normalised_before_locust_merges_them(runner):
    runner.handle_message("w1", Message("stats", boomer_report(), "w1"))
    (_, msg), = runner.handled
    assert msg.data["stats"][0]["min_response_time"] is None and msg.data["stats"][1]["min_response_time"] == 0
    assert msg.data["errors"]["k"]["first_seen"] is None


@pytest.mark.parametrize("client, msg, kind", [
    ("w1", Message("heartbeat", BEAT, "w2"), ("node_id", "mismatch")),
    ("w1", Message("fuzz_1", {}, "w1"), ("type", "unknown")),
    ("w1", Message("heartbeat", {"state": "running"}, "w1"), ("heartbeat", "current_cpu_usage")),
    ("w7", Message("stats", boomer_report(), "w7"), ("stats", "unknown worker")),
    ("w7", Message("exception", {"msg": "boom", "traceback": "tb"}, "w7"), ("exception", "unknown worker")),
    ("w7", Message("logs", {"worker_id": "w7", "logs": []}, "w7"), ("logs", "unknown worker")),
    ("w7", Message("spawning_complete", {"user_classes_count": {}, "user_count": 0}, "w7"),
     ("spawning_complete", "unknown worker")),
    ("w7", Message("client_stopped", None, "w7"), ("client_stopped", "unknown worker")),
    ("w7", Message("my_custom", {"any": 1}, "w7"), ("my_custom", "unknown worker")),
    ("w1", Message("spawning_complete", {"user_classes_count": {"GoWorkerUser": 2}, "user_count": 3}, "w1"),
     ("spawning_complete", "user count")),
    ("w1", Message("spawning_complete", {"user_classes_count": {"Other": 2}, "user_count": 2}, "w1"),
     ("spawning_complete", "user class")),
    ("w1", Message("logs", {"worker_id": "w2", "logs": []}, "w1"), ("logs", "worker_id")),
    ("w1", Message("heartbeat", dict(BEAT, state="missing"), "w1"), ("heartbeat", "state")),
])
def test_malformed_messages_are_rejected_by_kind(runner, client, msg, kind):
    assert runner.handle_message(client, msg) is None
    assert runner.handled == [] and runner.seen == []
    assert runner.rejections.counts == {kind: 1}


def test_an_inconsistent_message_is_logged_naming_what_disagrees(runner, caplog):
    with caplog.at_level(logging.WARNING, logger="locust_fleet.inbound"):
        runner.handle_message("w1", Message("spawning_complete", {"user_classes_count": {"GoWorkerUser": 2},
                                                                  "user_count": 3}, "w1"))
        runner.handle_message("w1", Message("stats", dict(boomer_report(), user_classes_count={"X": 0}), "w1"))
    assert "Rejected a message from w1: spawning_complete: user_count 3 but user_classes_count adds up to 2 " \
           "(the master counts users from the classes)" in caplog.text
    assert "Rejected a message from w1: stats: user_classes_count names 'X'; the master's user classes are " \
           "'GoWorkerUser'" in caplog.text
    assert runner.handled == []


def test_each_kind_is_logged_once_then_counted(runner, caplog):
    with caplog.at_level(logging.WARNING, logger="locust_fleet.inbound"):
        for _ in range(3):
            runner.handle_message("w1", Message("fuzz_1", {}, "w1"))
    assert runner.rejections.counts[("type", "unknown")] == 3
    assert caplog.text.count("message type 'fuzz_1' is neither Locust's nor registered by the locustfile") == 1


def test_undecodable_frames_are_skipped_by_their_decode_error_kind():
    good = [b"w1", encode("heartbeat", BEAT, "w1")]
    runner = Runner([[b"w1", b"\xc1"], [b"w1", msgpack.dumps(["a", None])], [b"w1", b"\x93\xa5stats"],
                     [b"w1"], [b"\xff", encode("quit", None, "w1")], good])
    rejections = inbound.install(runner)
    client, msg = runner.server.recv_from_client()
    assert (client, msg.type, msg.data) == ("w1", "heartbeat", BEAT)
    assert rejections.counts == {("undecodable", "not msgpack"): 2, ("undecodable", "shape"): 1,
                                 ("undecodable", "zeromq frames"): 1, ("undecodable", "identity"): 1}


def test_a_new_server_after_a_reset_is_guarded_too():
    runner = Runner()
    inbound.install(runner)
    runner.reset_connection()
    assert runner.resets == 1
    client, msg = runner.server.recv_from_client()
    assert (client, msg.type) == ("w1", "heartbeat")
