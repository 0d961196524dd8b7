"""A browser's recording (a HAR file) turned into a scenario file for the Go workers:
`locust-fleet scenario from-har`. Pure data in, data out (`archive` reads a HAR, `convert` makes the
scenario, `yaml_text` writes it), with the file I/O in `cli` alone.

It imports nothing of the master plugin, and the plugin never imports it."""
