"""The read side of stored test runs (docs/data-model.md): read from InfluxDB, summarised, reported as
HTML, compared; `locust-fleet runs ...` (cli.py). It reads what the plugin writes and imports the
plugin's data model; nothing of the plugin imports it."""
