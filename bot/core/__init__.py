"""The pure core: knowledge loading, text analysis, chunking, index and answer building.

Nothing in this package may import ``discord``: the command line must start fast and the core
must be testable without a Discord connection. Its folders follow the data flow:

    knowledge/  files → documents (front matter, paragraphs), aliases, sentences, chunks
    text/       the one analyzer (terms of documents and questions alike) and its word lists
    index/      chunks → BM25 index → snapshot, built or carried over; the saved index
    answering/  question → query terms → ranked chunks → quotes → passages
    answer.py   the Answer every renderer draws from;  engine.py  the current snapshot and ``ask``
    config.py   typed settings, declared once
"""

from bot.core.answer import Answer
from bot.core.config import Settings, load_settings
from bot.core.engine import Engine

__all__ = ["Answer", "Engine", "Settings", "load_settings"]
