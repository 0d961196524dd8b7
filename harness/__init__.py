"""The test harness: real processes on free loopback ports (the counting target, Locust masters, Go
workers, influxd, Chromium, a fault proxy), always stopped, and the checks several suites share.
Used by tests/, bench/ and tools/; repository-relative, so it is not part of the installed package."""
