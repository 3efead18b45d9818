"""Benchmarks of CLM Platform (`make bench`): figures printed and written to bench/results/."""
