"""The master-side plugin: checks and normalises Go (boomer) worker reports before Locust merges
them, drains workers at stop, ships stats to InfluxDB; `runs/` reads the stored runs back."""
