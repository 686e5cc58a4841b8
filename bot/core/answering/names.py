"""Which terms the knowledge base writes as names: capitalised wherever it uses them.

A question word the knowledge base never uses is matched to the indexed terms that look like
its relatives (:func:`bot.core.answering.query.expand_unknown`); in a Discord community's files
"discount" then looks like "Discord". A word the question does not capitalise is not a name
the files only ever write capitalised (and never as an everyday word), so such a guess is
dropped (measured on the community test sets: two wrong quotes became declines, no answer lost;
SQuAD dev, the sample sets and the larger folders unchanged).
"""

from __future__ import annotations

from bot.core.index.bm25 import BM25Index
from bot.core.knowledge.chunking import ChunkTable
from bot.core.text.analyzer import Analyzer, fold
from bot.core.text.words import COMMON_ENGLISH_WORDS

# The chunks holding a term most whose text is read, and how much of each: bounds the work per
# term whatever the files hold (a chunk can be one sentence a megabyte long).
CHUNKS_READ = 2
CHARS_READ = 4000
# What may stand just before the first word of a sentence, a list item or a table cell, where a
# capital says nothing about a name.
OPENERS = frozenset(".!?:;…-*•|>\"“‘([")


def written_as_name(term: str, index: BM25Index, chunks: ChunkTable, analyzer: Analyzer) -> bool:
    """Is ``term`` capitalised wherever the chunks holding it most use it, at least once inside a
    sentence ("on our Discord server"), and never an everyday English word?"""
    inside = False
    for chunk, _score in index.top([term], CHUNKS_READ):
        text = chunks.text(chunk)[:CHARS_READ]
        for token in analyzer.tokens(text):
            if token.term != term:
                continue
            if not text[token.start].isupper() or fold(text[token.start:token.end]) in COMMON_ENGLISH_WORDS:
                return False  # written lowercase, or an everyday word inside a name ("Treaty Organisation")
            before = text[:token.start].rstrip()[-1:]
            inside = inside or (before != "" and before not in OPENERS)
    return inside
