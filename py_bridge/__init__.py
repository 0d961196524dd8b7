"""The Locust master/worker wire contract in Python: codec, message schemas, the histogram rule,
stats payloads, fakes and checks. Imports nothing of the plugin (locust_fleet) nor Locust."""
