"""Chunks → BM25 index → snapshot (built from scratch or carried over), and the saved index."""
