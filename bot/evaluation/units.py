"""The text units systems are judged on, and the one way answers are matched in them.

Every figure asks "does this text hold one of these phrases?", so matching lives in one
place: white space folded and case folded on both sides, then plain containment. A
quote and its paragraph differ in white space (quotes are folded), which must never
decide a hit.

Sentences come from the bot's own splitter, so a baseline's "sentence" and "window" are
the same units the engine's quotes are made of; only the ranking differs.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.answering.quotes import quote_windows
from bot.core.config import RetrievalSettings
from bot.core.knowledge.sentences import split_sentences

_DEFAULTS = RetrievalSettings()
QUOTE_SENTENCES = _DEFAULTS.max_quote_sentences  # the engine's quote limits, from the settings
QUOTE_CHARS = _DEFAULTS.max_quote_chars


def fold(text: str) -> str:
    """White space runs folded to one space, ends stripped, case folded."""
    return " ".join(text.split()).casefold()


def holds(text: str, phrases: Iterable[str]) -> bool:
    """Does ``text`` contain one of ``phrases`` (folded on both sides)?"""
    folded = fold(text)
    return any(fold(p) in folded for p in phrases if p.strip())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``, as the engine splits them."""
    starts, ends = split_sentences(text)
    return list(zip(starts, ends, strict=True))


def sentence_windows(text: str, max_sentences: int = QUOTE_SENTENCES,
                     max_chars: int = QUOTE_CHARS) -> list[tuple[int, int]]:
    """Every run of 1..``max_sentences`` consecutive sentences (first, last: sentence
    indices, inclusive) whose folded text fits in ``max_chars``.

    A single sentence is always a window, however long: the engine quotes it too
    (trimmed), and leaving it out would make some text unreachable. The length is the
    folded one, as the engine measures its quotes.
    """
    spans = sentence_spans(text)
    return quote_windows([len(" ".join(text[a:b].split())) for a, b in spans], max_sentences, max_chars)
