"""The pure core: knowledge loading, text analysis, chunking, index and answer building.

Nothing in this package may import ``discord``: the command line must start fast and the
core must be testable without a Discord connection.
"""
