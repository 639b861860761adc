"""Benchmarks: they print figures and write JSON; they are never timed unit tests."""
