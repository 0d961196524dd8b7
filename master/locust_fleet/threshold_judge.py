"""Judges thresholds on a run's statistics (docs/thresholds.md). Pure: the caller hands in what the
master merged (whole-run figures from Locust's statistics, windows from the reports as they
arrived) and the seconds since the test started; nothing here reads a clock or Locust.

- `Figures`: the requests one threshold is about, with every metric computed as Locust computes it
  (the percentile of the merged histogram, the average over timed requests, ...).
- `SlidingWindow`: the reports that reached the master in the last N seconds, per endpoint.
- `Judge`: follows each threshold through a run (its current value, the worst window, an abort
  once its grace time is over) and gives each one's result at the end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from py_bridge.histogram import percentile

from .threshold_syntax import CHECKS, COUNT, RATE, RATIO, TIME, USERS, Endpoint, Threshold

WINDOW_BINS = 300  # a window is at most this many bins: 1 s each up to 5 minutes, longer ones coarser
# The Go worker records an arrival of the open model it did not start as a failed request of this
# method under its task's name (workers-go/user/arrival.go, ArrivalType; docs/open-model.md).
NOT_STARTED_METHOD = "ARRIVAL"

PASSED, BREACHED, NEVER_APPEARED, NO_REQUESTS = "passed", "breached", "never appeared", "no requests"
WAITING, HOLDING = "waiting", "holding"  # live states besides BREACHED


@dataclass
class Figures:
    """Counts and response times of some requests: one endpoint, one name over its methods, or all;
    with the arrivals among them not started, and their non-fatal checks when those are known."""

    requests: int = 0
    failures: int = 0
    timed: int = 0  # requests with a response time (Locust: num_requests - num_none_requests)
    total_ms: float = 0.0
    min_ms: float | None = None
    max_ms: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)
    not_started: int = 0  # the failures of NOT_STARTED_METHOD rows
    check_passes: int = 0
    check_fails: int = 0

    def add(self, other: Figures) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.not_started += other.not_started
        self.check_passes += other.check_passes
        self.check_fails += other.check_fails
        self.timed += other.timed
        self.total_ms += other.total_ms
        if other.min_ms is not None and (self.min_ms is None or other.min_ms < self.min_ms):
            self.min_ms = other.min_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        for ms, count in other.histogram.items():
            self.histogram[ms] = self.histogram.get(ms, 0) + count

    @classmethod
    def of_entry(cls, entry: Any) -> Figures:
        """From a Locust StatsEntry (the master's merged statistics)."""
        return cls(entry.num_requests, entry.num_failures, entry.num_requests - entry.num_none_requests,
                   float(entry.total_response_time), entry.min_response_time, float(entry.max_response_time),
                   dict(entry.response_times), entry.num_failures if entry.method == NOT_STARTED_METHOD else 0)

    @classmethod
    def of_report_entry(cls, entry: Mapping[str, Any]) -> Figures:
        """From one entry of a worker report (already normalised by the plugin)."""
        requests = entry.get("num_requests") or 0
        failures = entry.get("num_failures") or 0
        return cls(requests, failures, requests - (entry.get("num_none_requests") or 0),
                   float(entry.get("total_response_time") or 0), entry.get("min_response_time"),
                   float(entry.get("max_response_time") or 0), dict(entry.get("response_times") or {}),
                   failures if entry.get("method") == NOT_STARTED_METHOD else 0)


@dataclass(frozen=True)
class Sample:
    """What a threshold is measured on at one moment. figures None: its endpoint never appeared."""

    figures: Figures | None
    seconds: float  # what requests/s divides by: the time users ran, or the window's length
    peak_users: int


def measure(threshold: Threshold, sample: Sample) -> float | None:
    """The threshold's metric on the sample; None when there is nothing to measure (no requests, no
    timed request, no time)."""
    metric = threshold.metric
    if metric.kind == USERS:
        return float(sample.peak_users)
    f = sample.figures
    if f is None:
        return None
    if metric.kind == COUNT:
        return float({"requests": f.requests, "failures": f.failures, "not_started": f.not_started}[metric.name])
    if metric.kind == CHECKS:
        judged = f.check_passes + f.check_fails
        return f.check_passes / judged if judged else None
    if metric.kind == RATE:
        return f.requests / sample.seconds if sample.seconds > 0 else None
    if metric.kind == RATIO:
        return f.failures / f.requests if f.requests else None
    assert metric.kind == TIME
    if not f.timed:
        return None
    if metric.name == "avg":
        return f.total_ms / f.timed
    if metric.name == "min":
        return None if f.min_ms is None else float(f.min_ms)
    if metric.name == "max":
        return float(f.max_ms)
    if metric.name == "med":  # Locust's Median column: the 50th percentile kept within min and max
        median = float(percentile(f.histogram, 0.5, f.timed) or 0)
        return max(min(median, f.max_ms), f.min_ms if f.min_ms is not None else median)
    return float(percentile(f.histogram, metric.quantile, f.timed) or 0)


def matches(endpoint: Endpoint | None, name: str, method: str) -> bool:
    """Whether Locust's entry (name, method) belongs to the endpoint (None: every request)."""
    return endpoint is None or (name == endpoint.name and endpoint.method in ("", method))


def select(endpoint: Endpoint | None, entries: Mapping[tuple[str, str], Figures], total: Figures) -> Figures | None:
    """The figures of an endpoint out of Locust's entries keyed (name, method); None when no entry
    has its name (and method)."""
    if endpoint is None:
        return total
    chosen = [f for (name, method), f in entries.items() if matches(endpoint, name, method)]
    if not chosen:
        return None
    merged = Figures()
    for figures in chosen:
        merged.add(figures)
    return merged


@dataclass
class Bin:
    start: float
    figures: dict[Endpoint | None, Figures] = field(default_factory=dict)
    peak_users: int = 0


class SlidingWindow:
    """The reports that reached the master in the last `seconds`, kept per endpoint of interest in
    bins (1 s for windows up to WINDOW_BINS seconds, seconds/WINDOW_BINS beyond), so that memory
    stays bounded however long the window."""

    def __init__(self, seconds: float, endpoints: Iterable[Endpoint | None]) -> None:
        self.seconds = seconds
        self.step = max(1.0, seconds / WINDOW_BINS)
        self.endpoints = frozenset(endpoints)
        self.bins: deque[Bin] = deque()
        self.seen: set[Endpoint | None] = set()  # endpoints some report had, since the start

    def _bin(self, at: float) -> Bin:
        start = at - at % self.step
        if not self.bins or self.bins[-1].start < start:
            self.bins.append(Bin(start))
        while self.bins and self.bins[0].start + self.step <= at - self.seconds:
            self.bins.popleft()
        return self.bins[-1]

    def add_report(self, at: float, entries: Iterable[tuple[str, str, Figures]], total: Figures) -> None:
        current = self._bin(at)
        for endpoint in self.endpoints:
            if endpoint is None:
                current.figures.setdefault(None, Figures()).add(total)
                continue
            for name, method, figures in entries:
                if matches(endpoint, name, method):
                    current.figures.setdefault(endpoint, Figures()).add(figures)
                    self.seen.add(endpoint)

    def note_users(self, at: float, users: int) -> None:
        current = self._bin(at)
        current.peak_users = max(current.peak_users, users)

    def sample(self, endpoint: Endpoint | None, until: float) -> Sample:
        """The window that ends at `until`; figures None while the endpoint never appeared."""
        since = until - self.seconds
        inside = [b for b in self.bins if since <= b.start <= until]
        merged = Figures()
        for b in inside:
            if endpoint in b.figures:
                merged.add(b.figures[endpoint])
        known = endpoint is None or endpoint in self.seen
        return Sample(merged if known else None, self.seconds, max((b.peak_users for b in inside), default=0))


@dataclass(frozen=True)
class Result:
    """A threshold's outcome over a run."""

    threshold: Threshold
    passed: bool
    value: float | None  # the whole run's figure, or a windowed threshold's worst window
    reason: str  # PASSED, BREACHED, NEVER_APPEARED or NO_REQUESTS
    aborted_at_s: float | None = None  # when it stopped the test, in seconds since the start
    worst_at_s: float | None = None  # windows: when the worst window ended


@dataclass(frozen=True)
class Live:
    """A threshold's state while the test runs: WAITING (nothing to measure yet: no requests, or
    the window not yet full), HOLDING or BREACHED now; `breached_before` for a window that did."""

    threshold: Threshold
    state: str
    value: float | None
    breached_before: bool = False
    worst: float | None = None


def worse(threshold: Threshold, old: float | None, new: float) -> bool:
    """Whether `new` is further on the breaching side than `old`: higher for < and <=, lower for
    > and >=, and for == and != the first breaching value (then nothing is worse)."""
    if old is None:
        return True
    if threshold.op in ("<", "<="):
        return new > old
    if threshold.op in (">", ">="):
        return new < old
    return threshold.holds(old) and not threshold.holds(new)


@dataclass
class Track:
    threshold: Threshold
    value: float | None = None
    state: str = WAITING
    worst: float | None = None
    worst_at_s: float | None = None
    breached: bool = False  # a window breached at some evaluation
    aborted_at_s: float | None = None

    def observe(self, value: float | None, elapsed_s: float) -> None:
        self.value = value
        if value is None:
            self.state = WAITING
            return
        self.state = HOLDING if self.threshold.holds(value) else BREACHED
        if self.threshold.window_s is not None:
            if self.state == BREACHED:
                self.breached = True
            if worse(self.threshold, self.worst, value):
                self.worst, self.worst_at_s = value, elapsed_s


SampleFor = Callable[[Threshold], "Sample | None"]


class Judge:
    """Follows the thresholds through one test: `observe` while it runs (returns the abort
    threshold that should stop it, if any), `finish` after the drain for the results."""

    def __init__(self, thresholds: Iterable[Threshold]) -> None:
        self.tracks = [Track(t) for t in thresholds]

    def observe(self, elapsed_s: float, sample_for: SampleFor) -> Threshold | None:
        """sample_for gives the sample a threshold is measured on now, or None when it cannot be
        yet (its window is not full)."""
        stop: Threshold | None = None
        for track in self.tracks:
            sample = sample_for(track.threshold)
            track.observe(None if sample is None else measure(track.threshold, sample), elapsed_s)
            t = track.threshold
            if (t.abort and track.state == BREACHED and elapsed_s >= t.abort_after_s and stop is None
                    and not self.aborted):
                track.aborted_at_s = elapsed_s
                stop = t
        return stop

    @property
    def aborted(self) -> bool:
        return any(track.aborted_at_s is not None for track in self.tracks)

    def live(self) -> list[Live]:
        return [Live(t.threshold, t.state, t.value, t.breached, t.worst) for t in self.tracks]

    def finish(self, elapsed_s: float, sample_for: SampleFor, whole_run_for: SampleFor) -> list[Result]:
        """The results once every report is in. sample_for gives each threshold's last sample (for
        a window: the one ending with the last report that carried requests, None when the run was
        shorter than the window); whole_run_for the whole run's."""
        results = []
        for track in self.tracks:
            t = track.threshold
            whole = whole_run_for(t)
            sample = sample_for(t)
            if t.window_s is not None and sample is None and track.worst is None:
                sample = whole  # a run shorter than its window: the window is the whole run
            if sample is not None:
                track.observe(measure(t, sample), elapsed_s)
            value = track.worst if t.window_s is not None else track.value
            if whole is not None and whole.figures is None and t.metric.kind != USERS:
                results.append(Result(t, False, None, NEVER_APPEARED, track.aborted_at_s))
            elif value is None:
                results.append(Result(t, False, None, NO_REQUESTS, track.aborted_at_s))
            else:
                passed = (not track.breached if t.window_s is not None else t.holds(value)) \
                    and track.aborted_at_s is None
                results.append(Result(t, passed, value, PASSED if passed else BREACHED, track.aborted_at_s,
                                      track.worst_at_s if t.window_s is not None else None))
        return results


# The exit code of a test cut short before its planned end (SIGTERM, Ctrl+C before its run time or
# its load shape's end): judged on what ran, it is no pass (k6 exits 105 for the same).
EXIT_INTERRUPTED = 4
EXIT_BREACHED = 3


def exit_code(results: list[Result] | None, set_by_others: int | None, crashed: bool, interrupted: bool,
              user_exceptions: bool, exit_code_on_error: int) -> int | None:
    """The master's exit code when thresholds judged its last test (None: leave it to Locust).

    With thresholds, failed requests are judged by them instead of Locust's "any failure exits
    --exit-code-on-error": a code another part set (every worker missing: 1) comes first, then a
    crash of the master (2), then a test interrupted before its planned end (4: the run itself did
    not happen as planned, whatever its figures), then a breach (3), then exceptions in Python
    users (--exit-code-on-error), else 0."""
    if results is None or set_by_others is not None:
        return None
    if crashed:
        return 2
    if interrupted:
        return EXIT_INTERRUPTED
    if not all(r.passed for r in results):
        return EXIT_BREACHED
    return exit_code_on_error if user_exceptions else 0
