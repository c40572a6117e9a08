"""The benchmark of the log and the projections: ``python -m tests.benchmarks``."""
