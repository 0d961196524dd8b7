"""The report files a CI job reads are this run's, or none.

A CI workspace kept from the last job holds its files: the thresholds' JUnit file (--junit-xml) and
Locust's statistics (--json-file PATH, written to PATH.json). Locust and the thresholds write them
when a test stops; a run that never gets there (no worker came, or the master exits 2 at start: a
malformed threshold, InfluxDB refusing the credentials) left the earlier run's in place, and a CI
reporter showed its passed thresholds and its figures for this run. They are removed first, before
anything may end the master.
"""

import argparse
import logging
import os

logger = logging.getLogger(__name__)


def report_paths(options: argparse.Namespace | None) -> list[str]:
    """The files this run writes for CI, from the options as Locust parsed them."""
    paths = [(getattr(options, "junit_xml", None) or "").strip()]
    json_file = getattr(options, "json_file", None)
    if json_file:
        paths.append(f"{json_file}.json")  # Locust's save_stats_json adds the extension
    return [p for p in paths if p]


def remove(paths: list[str]) -> None:
    for path in paths:
        if os.path.isfile(path):
            os.remove(path)
            logger.info("Removed %s, a report of an earlier run; this run writes its own when its test stops",
                        os.path.abspath(path))
