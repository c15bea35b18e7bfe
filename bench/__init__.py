"""Benchmarks: one command each (`python -m bench.<name>`), figures printed, nothing asserted."""
