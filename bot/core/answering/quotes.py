"""Quotes: which sentences of a passage to show, verbatim, and where its matched words are.

Sentence facts (terms, numbers, dates) are computed once per paragraph and kept by the engine
(a bounded cache: the snapshot itself never changes); a quote is the window of 1-3 contiguous
sentences that covers most of the question, widened while it fits, and trimmed at word
boundaries only when a
single sentence is too long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.answering.query import QueryTerms
from bot.core.text.analyzer import Analyzer
from bot.core.text.chars import ELLIPSIS
from bot.core.text.words import MONTHS, NUMBER_WORDS

_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """What one sentence holds, computed once per paragraph and shared by every question."""

    terms: frozenset[str]  # index terms
    numbers: frozenset[str]  # numeric terms ("37000", "9.5")
    times: frozenset[str]  # numeric terms that read as dates (years, "27th")
    has_number_word: bool  # "three", "hundreds", "%" ...
    has_month: bool
    folded_chars: int  # length once white space is folded
    text: str

    def names(self, analyzer: Analyzer) -> list[frozenset[str]]:
        """Terms of each run of capitalised words ("Boris Gryzlov"); only "who" questions
        need them, so they are not computed up front."""
        return [frozenset(analyzer.terms(m.group())) for m in _NAME.finditer(self.text)]


# Matched on the words as written: stems collide ("times" and "time"). Months only when
# capitalised (not "may").
_WORD = re.compile(r"\w+")
_MONTH_NAMES = frozenset(m.title() for m in MONTHS)
_ORDINAL_NUMBER = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")


def sentence_facts(text: str, analyzer: Analyzer) -> SentenceFacts:
    """Built from term lists and word sets only: this runs for every paragraph a question
    reaches for the first time, so it is on the path of a cold answer."""
    terms = frozenset(analyzer.terms(text))
    numbers = frozenset(t for t in terms if t[:1].isdigit())
    if numbers:
        ordinals = {m.group(1) for m in _ORDINAL_NUMBER.finditer(text)}
        times = frozenset(t for t in numbers if _YEAR.match(t) or t in ordinals)
    else:
        times = numbers
    words = _WORD.findall(text)
    has_number_word = "%" in text or not NUMBER_WORDS.isdisjoint(_WORD.findall(text.casefold()))
    return SentenceFacts(terms, numbers, times, has_number_word, not _MONTH_NAMES.isdisjoint(words),
                         len(fold_ws(text)), text)


def has_answer_kind(facts: SentenceFacts, kind: str | None, exclude: frozenset[str],
                    analyzer: Analyzer) -> bool:
    """Does the sentence hold something of that kind that the question does not already say?"""
    if kind == "number":
        return facts.has_number_word or not facts.numbers <= exclude
    if kind == "time":
        return facts.has_month or not facts.times <= exclude
    if kind == "person":
        return any(not (name & exclude) for name in facts.names(analyzer))
    return False


@dataclass(frozen=True, slots=True)
class QuoteWindow:
    first: int  # sentence indices inside the chunk, inclusive
    last: int
    matched: frozenset[str]
    coverage: float
    has_kind: bool = False


def fold_ws(text: str) -> str:
    """White space runs folded to one space, ends stripped (as ``re.sub(r"\\s+", " ")``, faster)."""
    return " ".join(text.split())


KIND_MARK = "\x00kind"


Spans = Sequence[tuple[int, int]]


def paragraph_facts(text: str, spans: Spans, analyzer: Analyzer) -> list[SentenceFacts]:
    """Facts of each sentence of a paragraph (``spans`` are its sentences' offsets in ``text``)."""
    return [sentence_facts(text[a:b], analyzer) for a, b in spans]


def paragraph_sentence_terms(facts: Sequence[SentenceFacts], query: QueryTerms,
                             analyzer: Analyzer) -> list[set[str]]:
    """Per sentence of a paragraph: the query's index terms it holds, plus KIND_MARK when
    it holds the sort of thing the question asks for (a number, a date, a name)."""
    wanted = query.index_terms
    out = []
    for f in facts:
        terms = set(f.terms & wanted)
        if has_answer_kind(f, query.kind, wanted, analyzer):
            terms.add(KIND_MARK)
        out.append(terms)
    return out


def _window_chars(facts: Sequence[SentenceFacts], first: int, last: int) -> int:
    """Length of the quote of sentences first..last once white space is folded."""
    return sum(f.folded_chars for f in facts[first:last + 1]) + (last - first)


def choose_window(chunk_first: int, chunk_last: int, per_sentence: Sequence[set[str]],
                  facts: Sequence[SentenceFacts], query: QueryTerms, max_sentences: int, max_chars: int,
                  kind_bonus: float = 0.0) -> QuoteWindow:
    """The contiguous 1..max_sentences sentences covering the most query weight.

    Sentence indices are the paragraph's; the window must overlap the chunk's sentences
    ``chunk_first..chunk_last`` (so each chunk of a long paragraph quotes its own part) but may
    reach past its edges, so a quote is never cut short by where a chunk happens to end. Ties go
    to the shorter window, which is then widened by the following sentences while they fit:
    answers often sit just after the sentence that repeats the question's words.
    """
    n = len(per_sentence)
    best: tuple[float, int, int] | None = None
    best_window = (chunk_first, chunk_first)
    for first in range(max(0, chunk_first - max_sentences + 1), chunk_last + 1):
        for last in range(max(first, chunk_first), min(n, first + max_sentences)):
            if last > first and _window_chars(facts, first, last) > max_chars:
                break
            matched = set().union(*per_sentence[first:last + 1])
            cov = query.coverage(matched) + (kind_bonus if KIND_MARK in matched else 0.0)
            key = (round(cov, 9), -(last - first), -first)
            if best is None or key > best:
                best, best_window = key, (first, last)
    first, last = best_window
    while (last - first + 1 < max_sentences and last + 1 < n
           and _window_chars(facts, first, last + 1) <= max_chars):
        last += 1
    matched = set().union(*per_sentence[first:last + 1])
    has_kind = KIND_MARK in matched
    matched.discard(KIND_MARK)
    return QuoteWindow(first, last, frozenset(matched), query.coverage(matched), has_kind)


def trim_around(text: str, spans: Sequence[tuple[int, int]], max_chars: int) -> str:
    """Cut a long sentence at word boundaries around its matched part, marking cuts with …."""
    if len(text) <= max_chars:
        return text
    budget = max_chars - 2 * len(ELLIPSIS)
    if spans:
        lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    else:
        lo, hi = 0, 0
    centre = (lo + hi) // 2
    start = max(0, min(centre - budget // 2, len(text) - budget))
    if hi - lo <= budget:
        start = max(0, min(start, lo))
        start = max(start, hi - budget)
    end = min(len(text), start + budget)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < end else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return (ELLIPSIS if start > 0 else "") + text[start:end].strip() + (ELLIPSIS if end < len(text) else "")


def highlight_spans(quote: str, analyzer: Analyzer, query: QueryTerms) -> tuple[tuple[int, int], ...]:
    wanted = query.index_terms
    spans = sorted({(t.start, t.end) for t in analyzer.tokens(quote) if t.term in wanted})
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


MIN_CONTINUATION = 40  # characters of a following sentence worth showing before the cut


def continue_into_next(quote: str, following: str, max_chars: int) -> str:
    """``quote`` plus the start of the following sentence, cut at a word with …, when room
    is left: the answer to a "why" question often opens the sentence after the one that
    repeats the question's words, and that sentence may be too long to quote whole."""
    room = max_chars - len(quote) - 1 - len(ELLIPSIS)
    if room < MIN_CONTINUATION:
        return quote
    cut = following.rfind(" ", 0, room + 1)
    if cut < MIN_CONTINUATION:
        return quote
    return f"{quote} {following[:cut].rstrip()}{ELLIPSIS}"


def build_quote(text: str, spans: Spans, window: QuoteWindow, analyzer: Analyzer, query: QueryTerms,
                max_chars: int, continue_quote: bool = True) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The quote of ``window`` (sentences of the paragraph ``text``) and its highlighted spans."""
    quote = fold_ws(text[spans[window.first][0]:spans[window.last][1]])
    if len(quote) > max_chars:
        quote = trim_around(quote, highlight_spans(quote, analyzer, query), max_chars)
    elif continue_quote and window.last + 1 < len(spans):
        following = fold_ws(text[spans[window.last + 1][0]:spans[window.last + 1][1]])
        if len(quote) + 1 + len(following) > max_chars:  # it would have joined the window if it fit
            quote = continue_into_next(quote, following, max_chars)
    return quote, highlight_spans(quote, analyzer, query)
