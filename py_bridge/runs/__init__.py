"""Stored test runs (docs/data-model.md): read from InfluxDB, summarised, reported, compared."""
