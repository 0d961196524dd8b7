"""The master-side plugin: merges Go (boomer) worker reports correctly and ships stats to InfluxDB."""
