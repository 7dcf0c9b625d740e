"""Benchmarks that print (and write) measured figures: `paper`, `export`, `throughput`."""
