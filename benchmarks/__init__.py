"""Benchmarks of typedorm against the raw drivers and peer ORMs (see benchmarks/README.md)."""
