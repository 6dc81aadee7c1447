"""Helpers shared by the benchmarks: machine facts, a bench database, the production server,
and BENCHMARKS.md sections."""
