"""Candidate quotes and their scores: which window of which paragraph answers best.

BM25 over chunks finds the candidate paragraphs; every window of 1-3 consecutive sentences of
those paragraphs (within the quote length) is then scored by a linear model over a few features
that are known to carry over between knowledge bases, each a small pure computation:

- ``paragraph_bm25``: BM25 of the whole paragraph (its heading included), scaled to the best
  candidate paragraph; ``chunk_bm25``: the best score of the chunks the window overlaps, scaled
  likewise (a long paragraph's windows differ);
- ``window_bm25``: BM25 of the window itself, scaled to the best window: the question's terms
  close together, in few sentences;
- ``coverage``: the weighted share of the question's terms (or their relatives) in the window
  or in its paragraph's section heading;
- ``term_pairs``: share of the question's consecutive term pairs found within two terms of each
  other in the window (phrases and near-phrases), each pair weighted by the product of its two
  terms' IDF weights (a phrase of two rare words says more than one of two common words);
- ``exact_words``: weighted share of the question's words found *as written* (folded, not
  stemmed) in the window, so that over-stemming ("designated" → "design") does not win alone;
- ``answer_kind``: the window holds what the question asks for and does not already say (a
  year for "when", a number for "how many", a capitalised name for "who");
- ``document_bm25``: the BM25 scores of the candidate paragraphs of the window's document summed,
  scaled to the best document: a document that many of BM25's best chunks come from is about
  the question, one that a single chunk comes from may only share its words (with one document
  it is the same for every window and decides nothing).

Features tried and left out because they did not help on held-out articles: the window's
length in sentences, the share of the question in the document's title, the square of window
BM25; the coverage of the window's whole paragraph and the best single sentence's coverage
(held-out hit@1 and para@1 within two questions, and two of the sample article's sets lost
one answer); the share of the words after "what"/"which" ("which treaty"), whether the window
opens its paragraph, and close term triples (held-out top-1 the same or 4 fewer).
scripts/fit_ranking.py --folds measures any candidate feature the same way.

The weights are fitted on development question sets by ``scripts/fit_ranking.py`` (a
conditional logit: the probability of the windows that hold the answer among all candidates of
a question) and shipped as the defaults of ``retrieval.ranking``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.answering.query import QueryTerms
from bot.core.answering.quotes import ParagraphFacts, has_answer_kind, window_spans
from bot.core.config import RankingWeights, RetrievalSettings
from bot.core.index.bm25 import BM25Index, BM25Params, length_norm, tf_okapi
from bot.core.text.analyzer import Analyzer

FloatArray = npt.NDArray[np.float64]
FEATURES = ("chunk_bm25", "paragraph_bm25", "window_bm25", "coverage", "term_pairs", "exact_words",
            "answer_kind", "document_bm25")
PAIR_REACH = 2  # a question term pair counts when its terms are at most this far apart


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paragraph BM25 brought up, with the chunk score it came with."""

    paragraph: int  # global paragraph number
    chunk: int  # the paragraph's best chunk among the hits
    bm25: float
    # every hit chunk of the paragraph: (first sentence, last sentence, BM25)
    hits: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Windows:
    """Every candidate window of a question: where it is, its features and its score."""

    owner: npt.NDArray[np.int64]  # index into the candidates list
    first: npt.NDArray[np.int64]  # first and last sentence (inclusive, within the paragraph)
    last: npt.NDArray[np.int64]
    features: FloatArray  # one row per window, columns as FEATURES
    scores: FloatArray


def weight_vector(weights: RankingWeights) -> FloatArray:
    return np.array([getattr(weights, name) for name in FEATURES], dtype=np.float64)


def _bm25(tf: FloatArray, length: FloatArray, avg: float, idf: FloatArray,
          s: RetrievalSettings) -> FloatArray:
    """BM25 with Okapi saturation (the index's formulas, without BM25+'s lower bound) of rows of
    term frequencies ``tf`` (rows × query terms)."""
    p = BM25Params("okapi", s.k1, s.b, s.delta, s.epsilon)
    out: FloatArray = (tf_okapi(tf, length_norm(length, max(avg, 1e-9), p)[:, None], p) * idf).sum(axis=1)
    return out


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def document_scores(candidates: Sequence[Candidate], documents: Sequence[int]) -> dict[int, float]:
    """Each document's candidate paragraphs' BM25 scores summed, scaled to the best document
    (``documents``: the document of each candidate)."""
    sums: dict[int, float] = {}
    for cand, doc in zip(candidates, documents, strict=True):
        sums[doc] = sums.get(doc, 0.0) + cand.bm25
    top = max(sums.values(), default=0.0)
    return {doc: (s / top if top > 0 else 0.0) for doc, s in sums.items()}


def score_windows(query: QueryTerms, candidates: Sequence[Candidate], facts: Sequence[ParagraphFacts],
                  index: BM25Index, analyzer: Analyzer, settings: RetrievalSettings,
                  avg_paragraph_terms: float, document_bm25: Sequence[float]) -> Windows:
    """Features and scores of every window of the candidate paragraphs (``document_bm25``: each
    candidate's document's score, from :func:`document_scores`).

    One matrix holds, per sentence of the candidate paragraphs, every count a feature needs
    (term frequencies, length, close term pairs, exact words, answer kind, covered groups); one
    prefix sum over it gives every window's sums. Python touches only the sentences that hold
    a question term.
    """
    bm25_terms = list(query.terms)
    term_col = {t: i for i, t in enumerate(dict.fromkeys(bm25_terms))}
    idf = index.idfs(list(term_col))
    repeats = np.bincount([term_col[t] for t in bm25_terms], minlength=len(term_col)).astype(np.float64)
    idf = idf * repeats  # a repeated query term counts again, as in BM25 over the query's terms
    pairs = [(a, b) for a, b in zip(query.sequence, query.sequence[1:], strict=False) if a != b]
    surface = [(term, word) for term, word in query.surface if term in query.weights]
    surface_weight = np.array([query.weights[t] for t, _ in surface], dtype=np.float64)
    surface_total = float(surface_weight.sum()) or 1.0
    surface_words = {word for _, word in surface}
    wanted = query.index_terms
    total_weight = query.total_weight or 1.0
    groups = list(query.groups.items())
    group_weight = np.array([query.weights[t] for t, _ in groups], dtype=np.float64) / total_weight
    pair_terms = {t for pair in pairs for t in pair}
    idf_of = query.idf_weights
    pair_weight = np.array([idf_of[a] * idf_of[b] for a, b in pairs], dtype=np.float64)

    # Columns of the per-sentence matrix.
    n_terms, n_pairs, n_surface, n_groups = len(term_col), len(pairs), len(surface), len(groups)
    c_len = n_terms
    c_pair = c_len + 1
    c_exact = c_pair + n_pairs
    c_kind = c_exact + n_surface
    c_cover = c_kind + 1
    width = c_cover + n_groups

    sizes = [len(pf.sentences) for pf in facts]
    offsets = np.cumsum([0, *sizes])
    n = int(offsets[-1])
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return Windows(empty, empty, empty, np.zeros((0, len(FEATURES))), np.zeros(0))
    per = np.zeros((n, width))
    per[:, c_len] = [c for pf in facts for c in pf.term_counts]
    row = 0
    for pf in facts:
        for f in pf.sentences:
            if query.kind is not None:
                per[row, c_kind] = has_answer_kind(f, query.kind, wanted, query.counted)
            if not surface_words.isdisjoint(f.words):
                for w, (_term, word) in enumerate(surface):
                    per[row, c_exact + w] = word in f.words
            present = f.terms & wanted
            if present:  # most sentences hold none of the question's terms
                for g, (t, _alternatives) in enumerate(groups):
                    per[row, c_cover + g] = query.holds(t, present)
                positions: dict[str, list[int]] = {}
                for k, term in enumerate(f.seq):
                    if term in present:
                        positions.setdefault(term, []).append(k)
                for term, where in positions.items():
                    col = term_col.get(term)
                    if col is not None:
                        per[row, col] = len(where)
                if not pair_terms.isdisjoint(present):
                    for p, (a, b) in enumerate(pairs):
                        pa, pb = positions.get(a), positions.get(b)
                        if pa and pb:
                            per[row, c_pair + p] = any(0 < abs(y - x) <= PAIR_REACH for x in pa for y in pb)
            row += 1
    prefix = np.concatenate([np.zeros((1, width)), np.cumsum(per, axis=0)])

    # Every window, and its owner paragraph (the index into ``candidates``).
    owner_of = np.repeat(np.arange(len(facts), dtype=np.int64), sizes)
    chars = np.array([c for pf in facts for c in pf.chars], dtype=np.int64)
    start, last_g = window_spans(chars, offsets[1:][owner_of], settings.max_quote_sentences,
                                 settings.max_quote_chars)
    end = last_g + 1
    owner = owner_of[start]
    first_at = start - offsets[owner]
    last_at = last_g - offsets[owner]
    sums = prefix[end] - prefix[start]

    # The best score of the hit chunks each window overlaps.
    hit_owner = np.array([c for c, cand in enumerate(candidates) for _ in cand.hits], dtype=np.int64)
    hit_first = np.array([a for cand in candidates for a, _, _ in cand.hits], dtype=np.int64)
    hit_last = np.array([b for cand in candidates for _, b, _ in cand.hits], dtype=np.int64)
    hit_score = np.array([s for cand in candidates for _, _, s in cand.hits], dtype=np.float64)
    overlap = ((owner[:, None] == hit_owner[None, :]) & (hit_first[None, :] <= last_at[:, None])
               & (first_at[:, None] <= hit_last[None, :]))
    best_hit = np.where(overlap, hit_score[None, :], -np.inf).max(axis=1, initial=-np.inf)
    chunk_bm25 = _scaled(np.where(np.isfinite(best_hit), best_hit, 0.0))

    window_bm25 = _scaled(_bm25(sums[:, :n_terms], sums[:, c_len], settings.ranking.window_terms, idf,
                                settings))
    w_pairs = ((sums[:, c_pair:c_exact] > 0) @ pair_weight / float(pair_weight.sum())) if pairs else \
        np.zeros(len(owner))
    w_exact = ((sums[:, c_exact:c_kind] > 0) @ surface_weight / surface_total) if surface else \
        np.zeros(len(owner))
    w_kind = (sums[:, c_kind] > 0).astype(np.float64)
    w_cover = ((sums[:, c_cover:] > 0) @ group_weight) if groups else np.zeros(len(owner))
    if groups and any(pf.heading for pf in facts):
        # A paragraph's section heading speaks for each of its windows (in a FAQ it is the question).
        headings = [frozenset(pf.heading) for pf in facts]
        heading_cover = np.array([[query.holds(t, h) for t, _alternatives in groups]
                                  for h in headings], dtype=bool).reshape(len(facts), len(groups))
        w_cover = ((sums[:, c_cover:] > 0) | heading_cover[owner]) @ group_weight
    heading_tf = np.array([[pf.heading.count(t) for t in term_col] for pf in facts], dtype=np.float64)
    para_tf = prefix[offsets[1:], :n_terms] - prefix[offsets[:-1], :n_terms] + heading_tf.reshape(len(facts),
                                                                                                  n_terms)
    para_len = np.array([pf.length for pf in facts], dtype=np.float64)
    paragraph_bm25 = _scaled(_bm25(para_tf, para_len, avg_paragraph_terms, idf, settings))
    features = np.column_stack([chunk_bm25, paragraph_bm25[owner], window_bm25, w_cover, w_pairs, w_exact,
                                w_kind, np.asarray(document_bm25, dtype=np.float64)[owner]])
    scores: FloatArray = features @ weight_vector(settings.ranking)
    return Windows(owner, first_at, last_at, features, scores)
