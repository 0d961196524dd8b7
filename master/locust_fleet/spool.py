"""An on-disk queue of line-protocol batches that waits for InfluxDB: one file per batch, written
atomically (temporary name, fsync, rename), replayed oldest first, bounded in size (the oldest
batches go first, and are counted). A master started later with the same directory replays what
an earlier one left. Plain file I/O; the writer decides when to call it."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".lp"


class Spool:
    def __init__(self, directory: str | Path, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        for leftover in self.dir.glob("*.tmp"):  # a crash between write and rename
            leftover.unlink(missing_ok=True)
        ids = self.pending()
        self._next = (int(ids[-1]) + 1) if ids else 1
        self.dropped_points = 0

    def pending(self) -> list[str]:
        """Batch ids, oldest first."""
        return sorted(p.stem for p in self.dir.glob("*" + SUFFIX))

    def append(self, batch: bytes) -> str:
        batch_id = f"{self._next:016d}"
        self._next += 1
        tmp = self.dir / (batch_id + ".tmp")
        with open(tmp, "wb") as f:
            f.write(batch)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / (batch_id + SUFFIX))
        self._enforce_bound()
        return batch_id

    def read(self, batch_id: str) -> bytes:
        return (self.dir / (batch_id + SUFFIX)).read_bytes()

    def remove(self, batch_id: str) -> None:
        (self.dir / (batch_id + SUFFIX)).unlink(missing_ok=True)

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*" + SUFFIX))

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
