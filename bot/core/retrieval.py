"""Ranked chunks → passages with quotes: the part of answering that decides *what* to show.

BM25 ranks chunks; then, for the best few, the sentences that carry the question's
rarest terms are found and quoted verbatim. Whether to answer at all is decided by
*coverage*: the IDF-weighted share of the question's terms that the passage contains.
Words the knowledge base has never seen weigh the most, so a question about something
the articles do not mention is declined instead of being matched on its common words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.analysis import Analyzer
from bot.core.answer import Citation, Passage, text_fragment_link
from bot.core.chunking import Chunk
from bot.core.index import BM25Index

if TYPE_CHECKING:
    from bot.core.engine import Snapshot

ELLIPSIS = "…"
_WS = re.compile(r"\s+")


def term_weight(n_docs: int, df: int) -> float:
    """Always-positive IDF (as in Lucene); an unseen term gets the highest weight."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class QueryTerms:
    terms: tuple[str, ...]  # in question order, repeats kept (BM25 counts them)
    weights: dict[str, float]  # distinct term -> weight

    @classmethod
    def from_question(cls, question: str, analyzer: Analyzer, index: BM25Index) -> QueryTerms:
        terms = tuple(analyzer.terms(question))
        weights = {t: term_weight(index.n_docs, index.doc_freqs.get(t, 0)) for t in dict.fromkeys(terms)}
        return cls(terms, weights)

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())

    def coverage(self, present: set[str]) -> float:
        total = self.total_weight
        return sum(w for t, w in self.weights.items() if t in present) / total if total else 0.0


@dataclass(frozen=True, slots=True)
class QuoteWindow:
    first: int  # sentence indices inside the chunk, inclusive
    last: int
    matched: frozenset[str]
    coverage: float


def fold_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _sentence_terms(chunk: Chunk, analyzer: Analyzer, query: QueryTerms) -> list[set[str]]:
    return [
        {t for t in analyzer.terms(chunk.sentence_text(i)) if t in query.weights}
        for i in range(len(chunk.sentences))
    ]


def _window_chars(chunk: Chunk, first: int, last: int) -> int:
    text = chunk.paragraph.text[chunk.sentences[first].start:chunk.sentences[last].end]
    return len(fold_ws(text))


def choose_window(chunk: Chunk, per_sentence: Sequence[set[str]], query: QueryTerms,
                  max_sentences: int, max_chars: int) -> QuoteWindow:
    """The contiguous 1..max_sentences sentences covering the most query weight.

    Ties go to the shorter window; a window is then widened by a neighbour that fits
    and adds matched terms, so the quote carries the context the answer sits in.
    """
    n = len(per_sentence)
    best: tuple[float, int, int, int] | None = None  # (coverage, -length, -first, ...)
    best_window = (0, 0)
    for first in range(n):
        for last in range(first, min(n, first + max_sentences)):
            if last > first and _window_chars(chunk, first, last) > max_chars:
                break
            matched = set().union(*per_sentence[first:last + 1])
            cov = query.coverage(matched)
            key = (round(cov, 9), -(last - first), -first, 0)
            if best is None or key > best:
                best, best_window = key, (first, last)
    first, last = best_window
    # Widen with the following sentence when it fits and the window is short: the
    # answer to "why" and "what happened" questions often follows the matching sentence.
    while (last - first + 1 < max_sentences and last + 1 < n
           and _window_chars(chunk, first, last + 1) <= max_chars
           and _window_chars(chunk, first, last) < max_chars // 2):
        last += 1
    matched = frozenset(set().union(*per_sentence[first:last + 1]))
    return QuoteWindow(first, last, matched, query.coverage(set(matched)))


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
    spans = sorted({(t.start, t.end) for t in analyzer.tokens(quote) if t.term in query.weights})
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


def build_quote(chunk: Chunk, window: QuoteWindow, analyzer: Analyzer, query: QueryTerms,
                max_chars: int) -> tuple[str, tuple[tuple[int, int], ...]]:
    raw = chunk.paragraph.text[chunk.sentences[window.first].start:chunk.sentences[window.last].end]
    quote = fold_ws(raw)
    if len(quote) > max_chars:
        quote = trim_around(quote, highlight_spans(quote, analyzer, query), max_chars)
    return quote, highlight_spans(quote, analyzer, query)


@dataclass(frozen=True, slots=True)
class Candidate:
    index: int
    chunk: Chunk
    bm25: float
    window: QuoteWindow
    chunk_coverage: float
    score: float


def rank_passages(snap: Snapshot, query: QueryTerms, top: int) -> list[Passage]:
    settings = snap.settings
    hits = snap.index.top(query.terms, max(20, top * 5))
    if not hits:
        return []
    candidates: list[Candidate] = []
    best_bm25 = hits[0][1]
    for i, bm25 in hits:
        chunk = snap.chunks[i]
        per_sentence = _sentence_terms(chunk, snap.analyzer, query)
        window = choose_window(chunk, per_sentence, query, settings.max_quote_sentences,
                               settings.max_quote_chars)
        chunk_cov = query.coverage(set().union(*per_sentence))
        # A chunk whose best quote carries the question's rare terms together beats one
        # that merely mentions them far apart.
        score = bm25 / best_bm25 + settings.sentence_weight * window.coverage
        candidates.append(Candidate(i, chunk, bm25, window, chunk_cov, score))
    candidates.sort(key=lambda c: (-c.score, c.index))
    documents = snap.documents_by_id
    passages: list[Passage] = []
    used: list[tuple[str, int, int, int]] = []  # (doc, paragraph, first char, last char)
    for cand in candidates:
        if len(passages) >= top:
            break
        if cand.window.coverage < settings.min_coverage or cand.bm25 < settings.min_score:
            continue
        chunk, window = cand.chunk, cand.window
        span = (chunk.doc_id, chunk.paragraph.number, chunk.sentences[window.first].start,
                chunk.sentences[window.last].end)
        if any(u[:2] == span[:2] and u[2] < span[3] and span[2] < u[3] for u in used):
            continue  # overlapping windows of one paragraph: a near-duplicate
        used.append(span)
        quote, spans = build_quote(chunk, window, snap.analyzer, query, settings.max_quote_chars)
        doc = documents[chunk.doc_id]
        link = text_fragment_link(doc.url, chunk.sentence_text(window.first)) if doc.url else None
        citation = Citation(doc.doc_id, doc.title, doc.published, doc.url, (chunk.paragraph.number,),
                            chunk.paragraph.section, link)
        passages.append(Passage(chunk.chunk_id, cand.bm25, quote, spans, fold_ws(chunk.text), citation,
                                tuple(sorted(window.matched)), window.coverage))
    return passages
