"""The record of a conversation with a worker: every frame in both directions with its time, the
steps of the worker's life and the spawns sent. Pure data: the fake master (fake_master.py) fills
it over its socket, the contract checks (contract.py) read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .codec import Frame

IN, OUT = "in", "out"  # from the worker, to the worker


@dataclass
class Event:
    at: float
    direction: str  # IN or OUT
    frame: Frame | None
    error: str = ""  # undecodable bytes


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Conversation:
    events: list[Event] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    spawns: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    node_id: str = ""
    # (from, to): stretches in which the recorder itself could not run (stall_clock.py), so what
    # came in then was stamped late
    stalls: list[tuple[float, float]] = field(default_factory=list)

    def received(self, msg_type: str | None = None, since: float = 0.0) -> list[Frame]:
        return [e.frame for e in self.events if e.direction == IN and e.frame is not None and e.at >= since
                and (msg_type is None or e.frame.type == msg_type)]

    def sent_at(self, msg_type: str) -> list[float]:
        """When frames of a type went to the worker."""
        return [e.at for e in self.events if e.direction == OUT and e.frame and e.frame.type == msg_type]

    def received_at(self, msg_type: str) -> list[float]:
        """When decodable frames of a type came from the worker."""
        return [e.at for e in self.events if e.direction == IN and e.frame is not None and e.frame.type == msg_type]

    def undecodable(self) -> list[str]:
        return [e.error for e in self.events if e.direction == IN and e.frame is None]
