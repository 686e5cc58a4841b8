"""Ranked chunks → passages: decides *which* passages answer a question, if any.

BM25 ranks chunks; the best few are re-ranked by how much of the question their best
quote covers (see :mod:`bot.core.quotes`). Whether to answer at all is decided by
*coverage*: the IDF-weighted share of the question's terms that the passage contains
(:mod:`bot.core.query`). Words the knowledge base has never seen weigh like its rarest
words, so a question about something the articles do not mention is declined instead of
being matched on its common words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.answer import Citation, Passage, text_fragment_link
from bot.core.chunking import Chunk
from bot.core.config import RetrievalSettings
from bot.core.index import BM25Index
from bot.core.query import QueryTerms
from bot.core.quotes import (
    QuoteWindow,
    build_quote,
    cached_paragraph_facts,
    choose_window,
    fold_ws,
    paragraph_sentence_terms,
)

if TYPE_CHECKING:
    from bot.core.engine import Snapshot


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
    distinctive = [t for t in covered if max(index.doc_freqs.get(a, 0) for a in query.groups[t]) <= limit]
    return len(distinctive) >= 2


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
    hits = snap.index.top(query.terms, max(settings.candidates, top * 2))
    if not hits:
        return []
    candidates: list[Candidate] = []
    paragraph_terms: dict[tuple[str, int], list[set[str]]] = {}
    best_bm25 = hits[0][1]
    for i, bm25 in hits:
        chunk = snap.chunks[i]
        key = (chunk.doc_id, chunk.paragraph.number)
        facts = cached_paragraph_facts(snap, chunk)
        if key not in paragraph_terms:
            paragraph_terms[key] = paragraph_sentence_terms(facts, query, snap.analyzer)
        per_sentence = paragraph_terms[key]
        window = choose_window(chunk, per_sentence, facts, query, settings.max_quote_sentences,
                               settings.max_quote_chars, settings.answer_kind_bonus)
        chunk_terms = set().union(*per_sentence[chunk.first_sentence:chunk.last_sentence + 1])
        chunk_cov = query.coverage(chunk_terms)
        # A chunk whose best quote carries the question's rare terms together beats one
        # that merely mentions them far apart.
        score = (bm25 / best_bm25 + settings.sentence_weight * window.coverage
                 + (settings.answer_kind_bonus if window.has_kind else 0.0))
        if not is_evidence(query, window.matched if settings.decide_on == "quote" else chunk_terms,
                           snap.index, settings):
            continue
        if settings.require_answer_kind and query.kind == "number" and not window.has_kind:
            continue  # "how many ...?" and the passage holds no number: not an answer
        candidates.append(Candidate(i, chunk, bm25, window, chunk_cov, score))
    candidates.sort(key=lambda c: (-c.score, c.index))
    documents = snap.documents_by_id
    passages: list[Passage] = []
    used: list[tuple[str, int, int, int]] = []  # (doc, paragraph, first char, last char)
    for cand in candidates:
        if len(passages) >= top:
            break
        chunk, window = cand.chunk, cand.window
        sentences = chunk.paragraph_sentences
        span = (chunk.doc_id, chunk.paragraph.number, sentences[window.first].start,
                sentences[window.last].end)
        if any(u[:2] == span[:2] and u[2] < span[3] and span[2] < u[3] for u in used):
            continue  # overlapping windows of one paragraph: a near-duplicate
        used.append(span)
        quote, spans = build_quote(chunk, window, snap.analyzer, query, settings.max_quote_chars,
                                   settings.continue_quote)
        doc = documents[chunk.doc_id]
        first_sentence = chunk.paragraph.text[sentences[window.first].start:sentences[window.first].end]
        link = text_fragment_link(doc.url, first_sentence) if doc.url else None
        citation = Citation(doc.doc_id, doc.title, doc.published, doc.url, (chunk.paragraph.number,),
                            chunk.paragraph.section, link)
        passages.append(Passage(chunk.chunk_id, cand.bm25, quote, spans, fold_ws(chunk.text), citation,
                                tuple(sorted(window.matched)), window.coverage))
    return passages
