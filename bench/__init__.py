"""Benchmarks and corpus generators; run from the repository root, not part of the wheel or image."""
