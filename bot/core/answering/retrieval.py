"""Ranked chunks → passages: decides *which* passages answer a question, if any.

BM25 ranks chunks; the best few are re-ranked by how much of the question their best
quote covers (see :mod:`bot.core.quotes`). Whether to answer at all is decided by
*coverage*: the IDF-weighted share of the question's terms that the passage contains
(:mod:`bot.core.answering.query`). Words the knowledge base has never seen weigh like its rarest
words, so a question about something the articles do not mention is declined instead of
being matched on its common words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.answer import Citation, Passage, text_fragment_link
from bot.core.answering.query import QueryTerms
from bot.core.answering.quotes import (
    QuoteWindow,
    SentenceFacts,
    build_quote,
    choose_window,
    fold_ws,
    paragraph_sentence_terms,
)
from bot.core.config import RetrievalSettings
from bot.core.index.bm25 import BM25Index
from bot.core.knowledge.chunking import ChunkTable
from bot.core.text.analyzer import Analyzer

FactsOf = Callable[[int], Sequence[SentenceFacts]]  # global paragraph → facts of its sentences


def is_evidence(query: QueryTerms, present: set[str] | frozenset[str], index: BM25Index,
                settings: RetrievalSettings) -> bool:
    """Is a passage that holds ``present`` an answer, or a coincidence of common words?

    Either it covers most of the question's weight, or a fair share of it through at
    least two *distinctive* question terms (ones in fewer than half of the chunks).
    """
    if settings.decline_unknown_names and query.unknown_names:
        return False
    covered = query.covered(present)
    coverage = sum(query.weights[t] for t in covered) / query.total_weight if query.total_weight else 0.0
    if coverage >= settings.confident_coverage:
        return True
    if coverage < settings.min_coverage:
        return False
    limit = index.n_docs * settings.distinctive_df
    distinctive = [t for t in covered if max(index.doc_freq(a) for a in query.groups[t]) <= limit]
    return len(distinctive) >= 2


@dataclass(frozen=True, slots=True)
class Candidate:
    index: int
    paragraph: int  # global paragraph number of the chunk
    bm25: float
    window: QuoteWindow
    chunk_coverage: float
    score: float


def rank_passages(query: QueryTerms, index: BM25Index, chunks: ChunkTable, facts_of: FactsOf,
                  analyzer: Analyzer, settings: RetrievalSettings, top: int) -> list[Passage]:
    """The ``top`` passages that answer ``query`` (none when nothing does), best first."""
    hits = index.top(query.terms, max(settings.candidates, top * 2))
    if not hits:
        return []
    candidates: list[Candidate] = []
    paragraph_terms: dict[int, list[set[str]]] = {}
    best_bm25 = hits[0][1]
    for i, bm25 in hits:
        p = int(chunks.chunk_para[i])
        facts = facts_of(p)
        if p not in paragraph_terms:
            paragraph_terms[p] = paragraph_sentence_terms(facts, query, analyzer)
        per_sentence = paragraph_terms[p]
        first, last = chunks.chunk_sentences(i)
        window = choose_window(first, last, per_sentence, facts, query, settings.max_quote_sentences,
                               settings.max_quote_chars, settings.answer_kind_bonus)
        chunk_terms = set().union(*per_sentence[first:last + 1])
        chunk_cov = query.coverage(chunk_terms)
        # A chunk whose best quote carries the question's rare terms together beats one
        # that merely mentions them far apart.
        score = (bm25 / best_bm25 + settings.sentence_weight * window.coverage
                 + (settings.answer_kind_bonus if window.has_kind else 0.0))
        if not is_evidence(query, window.matched if settings.decide_on == "quote" else chunk_terms,
                           index, settings):
            continue
        if settings.require_answer_kind and query.kind == "number" and not window.has_kind:
            continue  # "how many ...?" and the passage holds no number: not an answer
        candidates.append(Candidate(i, p, bm25, window, chunk_cov, score))
    candidates.sort(key=lambda c: (-c.score, c.index))
    passages: list[Passage] = []
    used: list[tuple[int, int, int]] = []  # (paragraph, first char, last char)
    for cand in candidates:
        if len(passages) >= top:
            break
        window = cand.window
        spans = chunks.sentence_spans(cand.paragraph)
        span = (cand.paragraph, spans[window.first][0], spans[window.last][1])
        if any(u[0] == span[0] and u[1] < span[2] and span[1] < u[2] for u in used):
            continue  # overlapping windows of one paragraph: a near-duplicate
        used.append(span)
        paragraph = chunks.paragraph(cand.paragraph)
        quote, highlights = build_quote(paragraph.text, spans, window, analyzer, query,
                                        settings.max_quote_chars, settings.continue_quote)
        doc = chunks.document_of(cand.index)
        first_sentence = paragraph.text[spans[window.first][0]:spans[window.first][1]]
        link = text_fragment_link(doc.url, first_sentence) if doc.url else None
        citation = Citation(doc.doc_id, doc.title, doc.published, doc.url, (paragraph.number,),
                            paragraph.section, link)
        passages.append(Passage(chunks.chunk_id(cand.index), cand.bm25, quote, highlights,
                                fold_ws(chunks.text(cand.index)), citation, tuple(sorted(window.matched)),
                                window.coverage))
    return passages
