"""Candidate quotes and their scores: which window of which paragraph answers best.

BM25 over chunks finds the candidate paragraphs; every window of 1-3 consecutive sentences of
those paragraphs (within the quote length) is then scored by a linear model over a few features
that are known to carry over between knowledge bases, each a small pure computation:

- ``paragraph_bm25``: BM25 of the whole paragraph (its heading included), scaled to the best
  candidate paragraph; ``chunk_bm25``: the best score of the chunks the window overlaps, scaled
  likewise (a long paragraph's windows differ);
- ``window_bm25``: BM25 of the window itself, scaled to the best window: the question's terms
  close together, in few sentences;
- ``coverage``: the weighted share of the question's terms (or their relatives) in the window;
- ``term_pairs``: share of the question's consecutive term pairs found within two terms of each
  other in the window (phrases and near-phrases);
- ``exact_words``: weighted share of the question's words found *as written* (folded, not
  stemmed) in the window, so that over-stemming ("designated" → "design") does not win alone;
- ``answer_kind``: the window holds what the question asks for and does not already say (a
  year for "when", a number for "how many", a capitalised name for "who").

Features tried and left out because they did not help on held-out articles: the window's
length in sentences, the share of the question in the document's title, the square of window
BM25 (scripts/fit_ranking.py --folds measures any candidate feature the same way).

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
from bot.core.answering.quotes import ParagraphFacts, has_answer_kind, quote_windows
from bot.core.config import RankingWeights, RetrievalSettings
from bot.core.index.bm25 import BM25Index
from bot.core.text.analyzer import Analyzer

FloatArray = npt.NDArray[np.float64]
FEATURES = ("chunk_bm25", "paragraph_bm25", "window_bm25", "coverage", "term_pairs", "exact_words",
            "answer_kind")
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
    """BM25 (Okapi saturation) of rows of term frequencies ``tf`` (rows × query terms)."""
    norm = s.k1 * (1 - s.b + s.b * length / max(avg, 1e-9))
    out: FloatArray = (idf * tf * (s.k1 + 1) / (tf + norm[:, None])).sum(axis=1)
    return out


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def score_windows(query: QueryTerms, candidates: Sequence[Candidate], facts: Sequence[ParagraphFacts],
                  index: BM25Index, analyzer: Analyzer, settings: RetrievalSettings,
                  avg_paragraph_terms: float) -> Windows:
    """Features and scores of every window of the candidate paragraphs (one pass of numpy)."""
    bm25_terms = [t for t in query.terms]
    term_col = {t: i for i, t in enumerate(dict.fromkeys(bm25_terms))}
    idf = np.array([index.idf_of(t) for t in term_col], dtype=np.float64)
    repeats = np.bincount([term_col[t] for t in bm25_terms], minlength=len(term_col)).astype(np.float64)
    idf = idf * repeats  # a repeated query term counts again, as in BM25 over the query's terms
    pairs = [(a, b) for a, b in zip(query.sequence, query.sequence[1:], strict=False) if a != b]
    surface = [(term, word) for term, word in query.surface if term in query.weights]
    surface_weight = np.array([query.weights[t] for t, _ in surface], dtype=np.float64)
    surface_total = float(surface_weight.sum()) or 1.0
    wanted = query.index_terms
    total_weight = query.total_weight or 1.0

    owners: list[int] = []
    chunk_scores: list[float] = []
    firsts: list[int] = []
    lasts: list[int] = []
    para_rows: list[FloatArray] = []
    rows_tf, rows_len, rows_pairs, rows_exact, rows_kind, rows_cover = [], [], [], [], [], []
    groups = list(query.groups.items())
    group_weight = np.array([query.weights[t] for t, _ in groups], dtype=np.float64) / total_weight
    n_terms, n_pairs, n_surface, n_groups = len(term_col), max(len(pairs), 1), max(len(surface), 1), \
        max(len(groups), 1)
    pair_terms = {t for pair in pairs for t in pair}
    for c, (cand, pf) in enumerate(zip(candidates, facts, strict=True)):
        n = len(pf.sentences)
        tf = np.zeros((n, n_terms))
        has_pair = np.zeros((n, n_pairs), dtype=bool)
        exact = np.zeros((n, n_surface), dtype=bool)
        cover = np.zeros((n, n_groups), dtype=bool)
        lengths = np.array([len(f.seq) for f in pf.sentences], dtype=np.float64)
        kind = np.array([has_answer_kind(f, query.kind, wanted) for f in pf.sentences], dtype=bool)
        for s, f in enumerate(pf.sentences):
            for w, (_term, word) in enumerate(surface):
                exact[s, w] = word in f.words
            present = f.terms & wanted
            if not present:  # most sentences hold none of the question's terms
                continue
            for g, (_t, alternatives) in enumerate(groups):
                cover[s, g] = not present.isdisjoint(alternatives)
            positions: dict[str, list[int]] = {}
            for k, term in enumerate(f.seq):
                if term in present:
                    positions.setdefault(term, []).append(k)
            for term, where in positions.items():
                col = term_col.get(term)
                if col is not None:
                    tf[s, col] = len(where)
            if pair_terms.isdisjoint(present):
                continue
            for p, (a, b) in enumerate(pairs):
                pa, pb = positions.get(a), positions.get(b)
                if pa and pb:
                    has_pair[s, p] = any(0 < abs(y - x) <= PAIR_REACH for x in pa for y in pb)
        para_tf = tf.sum(axis=0) + np.array([pf.heading.count(t) for t in term_col], dtype=np.float64)
        para_rows.append(para_tf)
        lengths_of = [f.folded_chars for f in pf.sentences]
        for first, last in quote_windows(lengths_of, settings.max_quote_sentences, settings.max_quote_chars):
            owners.append(c)
            firsts.append(first)
            lasts.append(last)
            chunk_scores.append(max((score for a, b, score in cand.hits if a <= last and first <= b),
                                    default=0.0))
        rows_tf.append(tf)
        rows_len.append(lengths)
        rows_pairs.append(has_pair)
        rows_exact.append(exact)
        rows_kind.append(kind)
        rows_cover.append(cover)

    owner = np.array(owners, dtype=np.int64)
    first_at = np.array(firsts, dtype=np.int64)
    last_at = np.array(lasts, dtype=np.int64)
    if not len(owner):
        return Windows(owner, first_at, last_at, np.zeros((0, len(FEATURES))), np.zeros(0))
    # Per window: sums (and "any") over its sentences, through prefix sums per paragraph.
    offsets = np.cumsum([0] + [len(pf.sentences) for pf in facts])
    start = offsets[owner] + first_at
    end = offsets[owner] + last_at + 1

    def window_sum(per_sentence: Sequence[npt.NDArray[np.generic]]) -> FloatArray:
        flat = np.concatenate([x.astype(np.float64) for x in per_sentence])
        prefix = np.concatenate([np.zeros((1, *flat.shape[1:])), np.cumsum(flat, axis=0)])
        out: FloatArray = prefix[end] - prefix[start]
        return out

    w_tf = window_sum(rows_tf)
    w_len = window_sum(rows_len)
    window_bm25 = _scaled(_bm25(w_tf, w_len, settings.ranking.window_terms, idf, settings))
    w_pairs = (window_sum(rows_pairs) > 0).mean(axis=1) if pairs else np.zeros(len(owner))
    w_exact = ((window_sum(rows_exact) > 0) @ surface_weight / surface_total) if surface else \
        np.zeros(len(owner))
    w_kind = (window_sum(rows_kind) > 0).astype(np.float64)
    w_cover = ((window_sum(rows_cover) > 0) @ group_weight) if groups else np.zeros(len(owner))
    para_len = np.array([pf.length for pf in facts], dtype=np.float64)
    paragraph_bm25 = _scaled(_bm25(np.vstack(para_rows), para_len, avg_paragraph_terms, idf, settings))
    chunk_bm25 = _scaled(np.array(chunk_scores, dtype=np.float64))
    features = np.column_stack([chunk_bm25, paragraph_bm25[owner], window_bm25, w_cover, w_pairs, w_exact,
                                w_kind])
    scores: FloatArray = features @ weight_vector(settings.ranking)
    return Windows(owner, first_at, last_at, features, scores)
