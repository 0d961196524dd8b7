"""The Locust master/worker wire contract in Python: codec, message models, fakes and checks."""
