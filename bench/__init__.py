"""Benchmarks that print numbers and write them to bench/results/ (never timed asserts)."""
