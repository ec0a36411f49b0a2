"""Benchmarks of Memory Mesh and their committed results (``bench/results``)."""
