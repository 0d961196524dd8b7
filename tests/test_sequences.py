"""The sequence fuzzer's plans (py_bridge/sequences.py) are pure and cover the class: the same seed
gives the same steps; over a few dozen seeds every message type is sent valid, malformed and (where
a message can disagree with itself) inconsistent, by every kind of identity; web plans take the
master through its states; headless plans never let fakes start the test."""

from __future__ import annotations

import pytest

from py_bridge.consistency import message_problems
from py_bridge.fuzz import malformed
from py_bridge.messages import TO_MASTER, problems
from py_bridge.sequences import INCONSISTENT, MODES, SEND_TYPES, Step, _Sim, plan, valid_data

import random

SEEDS = range(1, 41)


def test_the_same_seed_gives_the_same_plan():
    assert plan(7, "web").steps == plan(7, "web").steps
    assert plan(7, "web").steps != plan(8, "web").steps


def test_an_unknown_mode_is_refused_naming_the_modes():
    with pytest.raises(ValueError, match="mode: got 'gui'; expected one of web, headless"):
        plan(1, "gui")


def test_over_a_few_dozen_seeds_every_type_comes_valid_malformed_and_inconsistent():
    sent = {(s.msg_type, s.variant) for mode in MODES for seed in SEEDS for s in plan(seed, mode).steps
            if s.action == "send"}
    assert {t for t, v in sent if v == "valid"} == set(SEND_TYPES)
    locust_types = {t for t in SEND_TYPES if not t.startswith(("fleet:", "seq_"))}
    assert locust_types <= {t for t, v in sent if v == "malformed"}
    assert {t for t, v in sent if v == "inconsistent"} == set(INCONSISTENT)


def roles(steps: list[Step]) -> set[str]:
    """What each peer has been, from what it sent: unregistered (sent before any client_ready),
    quit and returning (client_ready after a quit), forgotten (client_stopped, then more)."""
    seen, history = set(), {}
    for s in steps:
        if s.action != "send" or s.variant != "valid":
            continue
        past = history.setdefault(s.peer, [])
        if "client_ready" not in past:
            seen.add("unregistered")
        if s.msg_type == "client_ready" and ("quit" in past or "client_stopped" in past):
            seen.add("returning")
        if past and past[-1] == "client_stopped" and s.msg_type != "client_ready":
            seen.add("forgotten")
        if s.msg_type == "quit" and "client_ready" in past:
            seen.add("quit")
        if s.msg_type == "client_ready":
            seen.add("registered")
        past.append(s.msg_type)
    return seen


def test_every_kind_of_identity_takes_part():
    found = set().union(*(roles(plan(seed, mode).steps) for mode in MODES for seed in SEEDS))
    assert found == {"unregistered", "registered", "quit", "forgotten", "returning"}
    actions = {s.action for mode in MODES for seed in SEEDS for s in plan(seed, mode).steps}
    assert {"reconnect", "silence", "answer", "wait"} <= actions


@pytest.mark.parametrize("seed", SEEDS)
def test_a_web_plan_starts_stops_and_resets_the_master_with_messages_in_each_state(seed):
    steps = plan(seed, "web").steps
    master = [s.action for s in steps if s.action in ("start", "stop", "reset")]
    assert master == ["start", "stop", "start", "reset", "stop"]
    # a start always has a registered peer to hand users to
    sim = _Sim(plan(seed, "web").peers)
    for s in steps:
        if s.action == "start":
            assert any(sim.registered), steps
        sim.after(s)
    between = [i for i, s in enumerate(steps) if s.action in ("start", "stop", "reset")]
    assert all(any(steps[j].action == "send" for j in range(a + 1, b)) for a, b in zip(between, between[1:])
               if steps[a].action != "reset")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_headless_plan_never_registers_two_peers_at_once(seed):
    p = plan(seed, "headless")
    sim = _Sim(p.peers)
    for s in p.steps:
        sim.after(s)
        assert sum(sim.registered) <= 1, p.describe()
    assert not any(s.action in ("start", "stop", "reset") for s in p.steps)


@pytest.mark.parametrize("msg_type", SEND_TYPES)
def test_valid_messages_are_valid_and_inconsistent_ones_only_disagree(msg_type):
    rng = random.Random(1)
    for _ in range(20):
        data = valid_data(rng, msg_type, "n1", rng.randint(0, 3))
        assert problems(msg_type, data, TO_MASTER) == [] and message_problems(msg_type, data, "n1") == []
    if msg_type in INCONSISTENT:
        data = INCONSISTENT[msg_type](rng, "n1")
        assert problems(msg_type, data, TO_MASTER) == [] and message_problems(msg_type, data, "n1") != []


def test_malformed_frames_are_ones_a_master_must_refuse():
    from py_bridge.fuzz import frames
    assert all(malformed(TO_MASTER, raw, "n1") for _, raw in frames(TO_MASTER, "n1", 200, seed=3, huge=0))
