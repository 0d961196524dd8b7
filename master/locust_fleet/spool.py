"""An on-disk queue of line-protocol batches that waits for InfluxDB: one file per batch, written
atomically (temporary name, fsync, rename), replayed oldest first, bounded in size (the oldest
batches go first, and are counted). A master started later with the same directory replays what
an earlier one left.

Batches belong to the destination they were written for (URL, database, credentials identity):
each destination has its own subdirectory of the spool directory, named by a hash of it, with a
`destination.json` that says what it is. A master replays only its own destination's batches;
the others wait for a master of theirs or for `locust-fleet spool replay/discard`. Batches directly
in the spool directory come from a version that did not record their destination ("unlabelled").
Lines the server refused (a type conflict, a tag and a field of one name...) are kept too, in
the destination's `refused/` subdirectory, each batch with a `.reason` file holding the server's
words: a retry would be refused again, so a master never replays them; `locust-fleet spool replay`
writes them where you name (after the cause is fixed, or into another database).
Plain file I/O; the writer decides when to call it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

SUFFIX = ".lp"
REASON = ".reason"
LABEL = "destination.json"
UNLABELLED = "unlabelled"
REFUSED = "refused"


@dataclass(frozen=True)
class Destination:
    """Where points are meant to go. identity tells credentials apart without holding a secret:
    `user NAME`, `token sha256:PREFIX` or empty (no credentials)."""

    url: str
    database: str
    identity: str = ""

    @classmethod
    def of(cls, url: str, database: str, username: str = "", token: str = "") -> Destination:
        if token:
            identity = "token sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]
        else:
            identity = f"user {username}" if username else ""
        return cls(url.rstrip("/"), database, identity)

    @property
    def key(self) -> str:
        """The subdirectory's name: stable for the same destination, different for any other."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def __str__(self) -> str:
        return f"database {self.database!r} at {self.url}" + (f" as {self.identity}" if self.identity else "")


class Spool:
    def __init__(self, directory: str | Path, max_bytes: int = 512 * 1024 * 1024,
                 destination: Destination | None = None) -> None:
        """The directory is made by the first append (with the destination's label), so a master
        that stops at start-up leaves nothing behind."""
        self.dir = Path(directory)
        self.destination = destination
        self.max_bytes = max_bytes
        for leftover in self.dir.glob("*.tmp"):  # a crash between write and rename
            leftover.unlink(missing_ok=True)
        ids = self.pending()
        self._next = (int(ids[-1]) + 1) if ids else 1
        self.dropped_points = 0

    def pending(self) -> list[str]:
        """Batch ids, oldest first."""
        return sorted(p.stem for p in self.dir.glob("*" + SUFFIX))

    def _make_dir(self) -> None:
        if not self.dir.is_dir():
            self.dir.mkdir(parents=True)
            if self.destination is not None:
                _write_atomically(self.dir / LABEL, (json.dumps(asdict(self.destination), indent=1) + "\n").encode())

    def append(self, batch: bytes) -> str:
        self._make_dir()
        batch_id = f"{self._next:016d}"
        self._next += 1
        _write_atomically(self.dir / (batch_id + SUFFIX), batch)
        self._enforce_bound()
        return batch_id

    def read(self, batch_id: str) -> bytes:
        return (self.dir / (batch_id + SUFFIX)).read_bytes()

    def replace(self, batch_id: str, batch: bytes) -> None:
        """What is left of a batch after part of it was settled (written or refused)."""
        _write_atomically(self.dir / (batch_id + SUFFIX), batch)

    def remove(self, batch_id: str) -> None:
        (self.dir / (batch_id + SUFFIX)).unlink(missing_ok=True)
        (self.dir / (batch_id + REASON)).unlink(missing_ok=True)

    @property
    def refused(self) -> Spool:
        """The lines the server refused, each batch with its reason; never replayed by a master."""
        return Spool(self.dir / REFUSED, max_bytes=self.max_bytes)

    def refuse(self, lines: bytes, reason: str) -> str:
        """Keeps refused lines with the server's reason (the reason first: a batch is whole once
        its lines are there)."""
        self._make_dir()
        refused = self.refused
        refused.dir.mkdir(exist_ok=True)
        batch_id = f"{refused._next:016d}"
        _write_atomically(refused.dir / (batch_id + REASON), reason.encode())
        _write_atomically(refused.dir / (batch_id + SUFFIX), lines)
        return batch_id

    def reason(self, batch_id: str) -> str:
        path = self.dir / (batch_id + REASON)
        return path.read_text() if path.exists() else ""

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*" + SUFFIX))

    def points(self) -> int:
        return _points(self.dir)

    def _enforce_bound(self) -> None:
        size = self.size()
        for batch_id in self.pending():
            if size <= self.max_bytes:
                break
            path = self.dir / (batch_id + SUFFIX)
            data = path.read_bytes()
            size -= len(data)
            self.dropped_points += data.count(b"\n")
            path.unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    """Temporary name, fsync, rename: a crash leaves the old file or the new one, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def for_destination(root: str | Path, destination: Destination) -> Spool:
    """The spool of one destination under root, labelled with what the destination is."""
    return Spool(Path(root) / destination.key, destination=destination)


@dataclass(frozen=True)
class Held:
    """What waits in the spool for one destination (None: unlabelled batches)."""

    spool_id: str
    destination: Destination | None
    batches: int
    points: int
    refused: int = 0  # points the server refused, kept with their reasons
    reasons: tuple[str, ...] = ()  # the distinct reasons, oldest first

    def describe(self) -> str:
        where = str(self.destination) if self.destination else "an unrecorded destination (older spool)"
        refused = f", {self.refused} points refused by the server" if self.refused else ""
        return f"{self.batches} batches ({self.points} points{refused}) for {where} [spool id {self.spool_id}]"


def _points(directory: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in directory.glob("*" + SUFFIX))


def held(root: str | Path) -> list[Held]:
    """Every destination with batches waiting under root, the unlabelled ones last. Only reads:
    a master may be writing into one of them right now."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for label in sorted(root.glob("*/" + LABEL)):
        batches = len(list(label.parent.glob("*" + SUFFIX)))
        refused = label.parent / REFUSED
        refused_points = _points(refused) if refused.is_dir() else 0
        if batches or refused_points:
            reasons = dict.fromkeys(p.read_text() for p in sorted(refused.glob("*" + REASON))) if refused_points else {}
            found.append(Held(label.parent.name, Destination(**json.loads(label.read_text())), batches,
                              _points(label.parent), refused_points, tuple(reasons)))
    batches = len(list(root.glob("*" + SUFFIX)))
    if batches:
        found.append(Held(UNLABELLED, None, batches, _points(root)))
    return found


def open_held(root: str | Path, spool_id: str) -> Spool:
    """The spool of one listed spool id; KeyError when nothing waits under that id."""
    for h in held(root):
        if h.spool_id == spool_id:
            return Spool(Path(root) if spool_id == UNLABELLED else Path(root) / spool_id, destination=h.destination)
    raise KeyError(spool_id)


def discard(root: str | Path, spool_id: str) -> int:
    """Deletes the batches of one spool id; returns how many points went."""
    spool = open_held(root, spool_id)
    points = spool.points()
    if spool_id == UNLABELLED:
        for batch_id in spool.pending():
            spool.remove(batch_id)
    else:
        shutil.rmtree(spool.dir)
    return points


def tidy(directory: Path) -> None:
    """Removes a destination's directory once no batch waits in it; one written meanwhile stays."""
    refused = directory / REFUSED
    if refused.is_dir() and not list(refused.glob("*" + SUFFIX)):
        for leftover in refused.glob("*" + REASON):
            leftover.unlink(missing_ok=True)
        try:
            refused.rmdir()
        except OSError:
            pass
    if not list(directory.glob("*" + SUFFIX)) and not refused.exists():
        (directory / LABEL).unlink(missing_ok=True)
        try:
            directory.rmdir()
        except OSError:
            pass
