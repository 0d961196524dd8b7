"""Repository tools run from its root: `python -m tools.vectors` (the golden vectors) and
`python -m tools.matrix` (several Locust versions); not part of the installed package."""
