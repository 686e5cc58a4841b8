"""Ranked chunks → passages: decides *which* passages answer a question, if any.

BM25 over chunks brings up candidate paragraphs; every window of their sentences is scored by
the fitted ranking model (:mod:`bot.core.answering.ranking`), and each paragraph offers its best
window as a passage. Whether to answer at all is decided by
*coverage*: the IDF-weighted share of the question's terms that the passage contains
(:mod:`bot.core.answering.query`). Words the knowledge base has never seen weigh like its rarest
words, so a question about something the articles do not mention is declined instead of
being matched on its common words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.core.answer import Citation, Passage, text_fragment_link
from bot.core.answering.query import QueryTerms, term_weight
from bot.core.answering.quotes import ParagraphFacts, QuoteWindow, build_quote, fold_ws, names_holder
from bot.core.answering.ranking import (
    FEATURES,
    Candidate,
    FloatArray,
    Windows,
    document_scores,
    score_windows,
)
from bot.core.config import RetrievalSettings
from bot.core.index.bm25 import BM25Index
from bot.core.knowledge.chunking import ChunkTable
from bot.core.text.analyzer import Analyzer

FactsOf = Callable[[int], ParagraphFacts]  # global paragraph → facts of its sentences


def declined_unsaid(query: QueryTerms, settings: RetrievalSettings) -> bool:
    """Does the question ask about what the knowledge base never mentions, whatever its other
    words match? A name it never uses ("When did Finland join NATO?"), or nothing but words it
    never uses beside the names it does ("How old is <someone the articles name>?": measured on
    the sample article, 2 more off-topic questions declined; on SQuAD dev none changed)."""
    return ((settings.decline_unknown_names and bool(query.unknown_names))
            or (settings.decline_unused_words and query.only_unused))


def is_evidence(query: QueryTerms, present: set[str] | frozenset[str], index: BM25Index,
                settings: RetrievalSettings, *, unused_in_full: bool = False) -> bool:
    """Is a passage that holds ``present`` an answer, or a coincidence of common words?

    Either it covers most of the question's weight, or a fair share of it through at
    least two *distinctive* question terms (ones in fewer than half of the chunks). One matching
    term is not enough when the question's words the knowledge base never uses weigh as much
    as it does: "What is the speed of light?" is not answered by "in the light of the risks".
    With ``unused_in_full`` those words weigh in full even when they are everyday words: that
    the articles never say "weather" is evidence against "What is the weather in Minsk?"; and
    beside such words, a question term matched only through a guessed relative (a typo's or a
    derivation's) is not one of the terms that make a passage evidence.
    """
    if declined_unsaid(query, settings):
        return False
    covered = query.covered(present)
    total = query.total_weight or 1.0
    coverage = query.coverage(present)
    if unused_in_full:  # each is unseen and has no relatives: it weighs like the rarest seen term
        unmatched = len(query.unmatched) * term_weight(index.n_docs, 1) / total
    else:
        unmatched = sum(query.weights[t] for t in query.unmatched) / total
    if unused_in_full and query.unmatched:
        # Beside a word the knowledge base never uses, a guessed relative of another unseen word
        # is no second match ("How do I make a sourdough starter?" is not answered through
        # "start"): measured, 1 more off-topic sample question and 3 community ones declined,
        # nothing else changed on any set.
        covered = {t for t in covered if index.doc_freq(t) or t in query.compounds}
    if coverage >= settings.confident_coverage and (len(covered) > 1 or unmatched < coverage):
        return True
    if coverage < settings.min_coverage:
        return False
    limit = index.n_docs * settings.distinctive_df
    distinctive = [t for t in covered if max(index.doc_freq(a) for a in query.groups[t]) <= limit]
    return len(distinctive) >= 2


def _mentions_years(query: QueryTerms, facts: ParagraphFacts) -> bool:
    """Does a paragraph (its sentences or its heading) mention every year the question names?"""
    present = evidence_terms(facts, 0, len(facts.sentences) - 1)
    return all(query.holds(year, present) for year in query.years)


def candidates(query: QueryTerms, index: BM25Index, chunks: ChunkTable,
               settings: RetrievalSettings) -> list[Candidate]:
    """The paragraphs of BM25's best chunks, best first, each with its best chunk's score."""
    best: dict[int, tuple[int, float]] = {}
    hits: dict[int, list[tuple[int, int, float]]] = {}
    for i, bm25 in index.top(query.terms, settings.candidates):
        p = int(chunks.chunk_para[i])
        if p not in best:
            if len(best) >= settings.candidate_paragraphs:
                continue
            best[p] = (i, bm25)
        hits.setdefault(p, []).append((*chunks.chunk_sentences(i), bm25))
    return [Candidate(p, i, bm25, tuple(hits[p])) for p, (i, bm25) in best.items()]


def evidence_terms(facts: ParagraphFacts, first: int, last: int) -> frozenset[str]:
    """Terms of sentences ``first``..``last`` of a paragraph and of its section heading: the
    heading is indexed with every chunk of its paragraphs, and in a FAQ it holds the question
    ("## Can I change my username?" over "Yes, once every 30 days.")."""
    return frozenset(facts.heading).union(*(f.terms for f in facts.sentences[first:last + 1]))


@dataclass(frozen=True, slots=True)
class RankedWindows:
    """Every candidate window of a question with its score (-inf: not an answer)."""

    kept: list[tuple[Candidate, ParagraphFacts]]  # the candidate paragraphs that are evidence
    windows: Windows
    scores: FloatArray


def rank_windows(query: QueryTerms, index: BM25Index, chunks: ChunkTable, facts_of: FactsOf,
                 analyzer: Analyzer, settings: RetrievalSettings) -> RankedWindows | None:
    """Candidate paragraphs, and the scores of their windows; None when nothing can answer."""
    if declined_unsaid(query, settings):
        return None
    found = candidates(query, index, chunks, settings)
    if settings.require_year and query.years:
        # "What happened in 1990?" is not answered by a paragraph that never says 1990 (measured
        # on SQuAD dev: 23 more unanswerable questions declined, no answerable one changed).
        found = [c for c in found if _mentions_years(query, facts_of(c.paragraph))]
    # Only paragraphs whose matching chunk is evidence (not a coincidence of common words); and
    # the question is answered only when one of them is evidence with its unused words weighed
    # in full (measured on the sample article: 3 of 45 off-topic probes more declined, no
    # answerable question of the shipped sets lost, and the passages shown stay the same).
    kept = []
    answerable = False
    for c in found:
        pf = facts_of(c.paragraph)
        first, last = chunks.chunk_sentences(c.chunk)
        evidence = evidence_terms(pf, first, last)
        if settings.decide_on == "quote" or is_evidence(query, evidence, index, settings):
            kept.append((c, pf))
            answerable = answerable or is_evidence(query, evidence, index, settings, unused_in_full=True)
    if not kept or not answerable:
        return None
    documents = document_scores(found, [int(chunks.para_doc[c.paragraph]) for c in found])
    windows = score_windows(query, [c for c, _ in kept], [pf for _, pf in kept], index, analyzer, settings,
                            chunks.avg_paragraph_terms,
                            [documents[int(chunks.para_doc[c.paragraph])] for c, _ in kept])
    scores = windows.scores.copy()
    scores[windows.features[:, FEATURES.index("coverage")] == 0] = -np.inf  # quotes none of the question
    if settings.require_answer_kind and query.kind in ("number", "measure"):  # "who"/"when": tried,
        # more false declines. "How many": a number; "how long is the border": a number with a unit
        # (measured: 3 more off-topic sample questions declined, none of SQuAD's changed).
        scores[windows.features[:, FEATURES.index("answer_kind")] == 0] = -np.inf
    if settings.require_answer_kind and query.office is not None:
        # "Who is the president of Ukraine?" is answered by a passage naming someone beside the
        # office, not by "the two presidents signed…" (measured: 2 more off-topic sample questions
        # declined, none of SQuAD's changed).
        words = frozenset(word for _, word in query.surface)
        held = [np.array([names_holder(f, query.office, words) for f in pf.sentences], dtype=bool)
                for _, pf in kept]
        for w in range(len(scores)):
            if not held[int(windows.owner[w])][int(windows.first[w]):int(windows.last[w]) + 1].any():
                scores[w] = -np.inf
    return RankedWindows(kept, windows, scores)


def rank_passages(query: QueryTerms, index: BM25Index, chunks: ChunkTable, facts_of: FactsOf,
                  analyzer: Analyzer, settings: RetrievalSettings, top: int) -> list[Passage]:
    """The ``top`` passages that answer ``query`` (none when nothing does), best first: the best
    windows, skipping any that overlaps a window already chosen from the same paragraph, and any
    whose quote is one already given (a footer repeated in every file is shown once)."""
    ranked = rank_windows(query, index, chunks, facts_of, analyzer, settings)
    if ranked is None:
        return []
    if settings.decline_negated and query.negated and np.isfinite(ranked.scores).any():
        best = ranked.kept[int(ranked.windows.owner[int(np.argmax(ranked.scores))])][1]
        if not best.negative:
            # "Which … did not …?" and the best passage says nothing negative: the knowledge base
            # does not say it (measured on SQuAD: declines a tenth of such unanswerable questions
            # for 0.4 % of the answerable ones).
            return []
    passages: list[Passage] = []
    used: list[tuple[int, int, int]] = []  # (candidate, first, last) of the quotes given
    quoted: set[str] = set()  # the quotes given: boilerplate repeated in every file is shown once
    owner, first, last = ranked.windows.owner, ranked.windows.first, ranked.windows.last
    for w in np.argsort(-ranked.scores, kind="stable").tolist():
        if len(passages) >= top or ranked.scores[w] == -np.inf:
            break
        c, a, b = int(owner[w]), int(first[w]), int(last[w])
        if any(u == c and ua <= b and a <= ub for u, ua, ub in used):
            continue  # overlaps a quote already given: a near-duplicate
        found = window_passage(ranked, w, chunks, analyzer, query, index, settings)
        if found is not None:
            passage, window = found
            used.append((c, window.first, window.last))
            if passage.quote not in quoted:
                quoted.add(passage.quote)
                passages.append(passage)
    return passages


def window_passage(ranked: RankedWindows, w: int, chunks: ChunkTable, analyzer: Analyzer, query: QueryTerms,
                   index: BM25Index, settings: RetrievalSettings) -> tuple[Passage, QuoteWindow] | None:
    """The passage quoting window ``w`` (widened as a quote is) and the sentences it spans, or
    None when it is no evidence."""
    cand, pf = ranked.kept[int(ranked.windows.owner[w])]
    window = _widened(pf, int(ranked.windows.first[w]), int(ranked.windows.last[w]), query, settings)
    if settings.decide_on == "quote" and not is_evidence(query, window.matched, index, settings):
        return None
    return _passage(cand, pf, window, chunks, analyzer, query, settings), window


def _widened(pf: ParagraphFacts, first: int, last: int, query: QueryTerms,
             settings: RetrievalSettings) -> QuoteWindow:
    """The window widened by the following sentences while they fit: answers often sit just after
    the sentence that repeats the question's words. A paragraph that fits in one quote is quoted
    whole: its first sentence may be the answer ("Yes, once every 30 days." under "Can I change
    my username?"), and a quote holding more of the same paragraph can only hold more answers."""
    sentences = pf.sentences
    if (len(sentences) <= settings.max_quote_sentences
            and sum(pf.chars) + len(sentences) - 1 <= settings.max_quote_chars):
        first, last = 0, len(sentences) - 1
    chars = sum(f.folded_chars for f in sentences[first:last + 1]) + (last - first)
    while (last - first + 1 < settings.max_quote_sentences and last + 1 < len(sentences)
           and chars + 1 + sentences[last + 1].folded_chars <= settings.max_quote_chars):
        last += 1
        chars += 1 + sentences[last].folded_chars
    matched = frozenset(query.index_terms & evidence_terms(pf, first, last))
    return QuoteWindow(first, last, matched, query.coverage(matched))


def _passage(cand: Candidate, pf: ParagraphFacts, window: QuoteWindow, chunks: ChunkTable,
             analyzer: Analyzer, query: QueryTerms, settings: RetrievalSettings) -> Passage:
    paragraph = chunks.paragraph(cand.paragraph)
    spans = chunks.sentence_spans(cand.paragraph)
    quote, highlights = build_quote(pf, window, query, settings.max_quote_chars, settings.continue_quote)
    doc = chunks.document_of(cand.chunk)
    first_sentence = paragraph.text[spans[window.first][0]:spans[window.first][1]]
    link = text_fragment_link(doc.url, first_sentence) if doc.url else None
    citation = Citation(doc.doc_id, doc.title, doc.published, doc.url, (paragraph.number,),
                        paragraph.section, link)
    in_quote = set(analyzer.terms(quote))
    missing = tuple(dict.fromkeys(word for term, word in query.distinctive
                                  if in_quote.isdisjoint(query.groups.get(term, (term,)))))
    return Passage(chunks.chunk_id(cand.chunk), cand.bm25, quote, highlights,
                   fold_ws(chunks.text(cand.chunk)), citation, tuple(sorted(window.matched)), window.coverage,
                   missing)
