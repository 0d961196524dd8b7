"""Turns a worker's stats report into exactly what Locust's own merge expects.

boomer (the Go worker library) sends reports shaped like Locust's with a few quirks; left as they
are, they corrupt the master's numbers (an empty report drags the total's minimum to 0). Each rule
below names the quirk it handles. Pure: a report dict in, a corrected report dict out.
"""

from typing import Any

ENTRY_MAPS = ("response_times", "num_reqs_per_sec", "num_fail_per_sec")


def normalise_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Correct one stats entry (an endpoint's or the total's) in place and return it."""
    for key in ENTRY_MAPS:
        # boomer: a Go nil map is encoded as nil; Locust iterates these maps.
        if entry.get(key) is None:
            entry[key] = {}
    if not entry.get("num_requests"):
        # boomer: an entry without requests has min_response_time 0; Locust uses None, and a 0
        # would become the minimum of the merged entry.
        entry["min_response_time"] = None
        # boomer also stamps it with the time of its last reset as its "last request"; Locust's
        # workers send None. Every idle report (during the drain, and until the workers quit) would
        # otherwise move Locust's last request forward and its requests/s down.
        entry["last_request_timestamp"] = None
    else:
        # boomer treats a minimum of 0 as "unset", so a 0 ms response is forgotten once a slower
        # one arrives. Buckets below 100 ms are exact (Python workers round to the nearest ms, so
        # their minimum is within half a millisecond of the smallest bucket and stays as it is).
        smallest = min((ms for ms, n in entry["response_times"].items() if n), default=None)
        current = entry.get("min_response_time")
        if smallest is not None and smallest < 100 and (current is None or current - smallest >= 1):
            entry["min_response_time"] = smallest
    return entry


def normalise_error(error: dict[str, Any]) -> dict[str, Any]:
    """boomer's error entries lack first_seen/last_seen; Locust reads them with .get, but the
    web UI and reports expect the keys, so they are set to None (unknown) rather than missing."""
    error.setdefault("first_seen", None)
    error.setdefault("last_seen", None)
    return error


def normalise_report(data: dict[str, Any]) -> dict[str, Any]:
    """Correct a whole `stats` message payload in place and return it."""
    if data.get("stats") is None:
        data["stats"] = []
    for entry in data["stats"]:
        normalise_entry(entry)
    if data.get("stats_total") is not None:
        normalise_entry(data["stats_total"])
    if data.get("errors") is None:
        data["errors"] = {}
    for error in data["errors"].values():
        normalise_error(error)
    if data.get("user_classes_count") is None:
        data["user_classes_count"] = {}
    return data
