"""`make bench`: the benchmarks behind BENCHMARKS.md, run from the repository root as `python -m bench.run`."""
