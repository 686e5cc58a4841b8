"""Our BM25 index against ``rank_bm25`` on random corpora: same scores (≤ 1e-9), same top-k.

Also checks the two speed-ups that must not change results: the memoising analyzer
(same terms and offsets as the plain one) and the per-document build cache (same index
as building from the corpus directly).
"""

from __future__ import annotations

import numpy as np
import pytest
import rank_bm25

from bot.core.analysis import Analyzer
from bot.core.analysis_cache import MemoAnalyzer
from bot.core.config import RetrievalSettings
from bot.core.corpus_gen import generate
from bot.core.documents import parse_document
from bot.core.engine import bm25_params, build_snapshot
from bot.core.index import VARIANTS, BM25Index, BM25Params
from bot.core.term_counts import reference_chunk_terms

REFERENCE = {"okapi": rank_bm25.BM25Okapi, "bm25l": rank_bm25.BM25L, "bm25plus": rank_bm25.BM25Plus}


def random_corpus(rng: np.random.Generator, n_docs: int, vocab: int) -> list[list[str]]:
    # Zipf-like term draws, varied lengths (including very short chunks), many repeated terms.
    weights = 1.0 / np.arange(1, vocab + 1) ** 1.1
    weights /= weights.sum()
    return [[f"t{int(t)}" for t in rng.choice(vocab, size=int(rng.integers(1, 40)), p=weights)]
            for _ in range(n_docs)]


def reference_model(variant: str, corpus: list[list[str]], p: BM25Params) -> rank_bm25.BM25:
    if variant == "okapi":
        return REFERENCE[variant](corpus, k1=p.k1, b=p.b, epsilon=p.epsilon)
    return REFERENCE[variant](corpus, k1=p.k1, b=p.b, delta=p.delta)


def reference_top(scores: np.ndarray, k: int) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return [i for i in order[:k] if scores[i] > 0]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", range(6))
def test_scores_and_top_k_match_rank_bm25(variant: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    corpus = random_corpus(rng, n_docs=int(rng.integers(5, 400)), vocab=int(rng.integers(5, 300)))
    params = BM25Params(variant, k1=float(rng.uniform(0.5, 2.0)), b=float(rng.uniform(0, 1)),
                        delta=float(rng.uniform(0, 1.5)), epsilon=0.25)
    ours = BM25Index(corpus, params)
    ref = reference_model(variant, corpus, params)
    for _ in range(25):
        n_terms = int(rng.integers(1, 6))
        query = [f"t{int(t)}" for t in rng.integers(0, 320, size=n_terms)]  # some unseen, some repeated
        expected = ref.get_scores(query)
        got = ours.scores(query)
        assert np.max(np.abs(got - expected)) <= 1e-9
        k = int(rng.integers(1, 25))
        top = ours.top(query, k)
        ids = [i for i, _ in top]
        exp_ids = reference_top(expected, k)
        # Identical ids, except where two reference scores are within rounding of each other.
        assert len(ids) == len(exp_ids)
        for (i, score), j in zip(top, exp_ids, strict=True):
            assert abs(score - expected[i]) <= 1e-9
            assert i == j or abs(expected[i] - expected[j]) <= 1e-9


def test_top_k_breaks_ties_in_corpus_order() -> None:
    corpus = [["a", "b"], ["c"], ["a", "b"], ["a", "b"], ["c", "d"]]
    for variant in VARIANTS:
        index = BM25Index(corpus, BM25Params(variant))
        assert [i for i, _ in index.top(["a"], 2)] == [0, 2]
        if variant == "bm25plus":  # every chunk scores idf × delta at least: fill in corpus order
            assert [i for i, _ in index.top(["d"], 3)] == [4, 0, 1]
        else:
            assert [i for i, _ in index.top(["d"], 3)] == [4]


def test_postings_are_compact() -> None:
    corpus = random_corpus(np.random.default_rng(7), 300, 200)
    a = BM25Index(corpus).arrays
    assert a.postings.dtype == np.int32 and a.codes.dtype == np.uint16
    assert len(a.pair_tf) < len(a.postings)  # shared (tf, length) pairs


TRICKY = [
    "Lukashenka's 37 000 people, 9,5 million and 90% in the 1990s; the 27th of February.",
    "Belarusian-Polish border, de-facto rule, co-operation (non-aligned) and U.S. aid.",
    "Café naïve ZÜRICH — “quoted” text, it's won't; 1,234,567.89 and 3.14 and 2022-11-04.",
    "Soviet Union and the USSR, Tsikhanouskaya met Tsikanowskaja; Ryanair flight to Minsk.",
    "",
    "   ",
]


def test_memo_analyzer_gives_the_plain_analyzers_terms_and_offsets() -> None:
    groups = [("Soviet Union", "USSR"), ("Tsikhanouskaya", "Tsikanowskaja"), ("Lukashenka", "Lukashenko")]
    plain = Analyzer().with_aliases(groups)
    memo = MemoAnalyzer().with_aliases(groups)
    corpus = generate(300, seed=3, n_questions=20)
    texts = TRICKY + [data.decode() for data in corpus.files.values()] + list(corpus.questions)
    for _ in range(2):  # second pass is served from the cache
        for text in texts:
            assert memo.terms(text) == plain.terms(text)
            assert memo.tokens(text) == plain.tokens(text)
            assert memo.terms(text, expand_compounds=False) == plain.terms(text, expand_compounds=False)


def test_cached_build_equals_direct_index() -> None:
    settings = RetrievalSettings()
    corpus = generate(400, seed=5, n_questions=5)
    docs = [parse_document(name, data) for name, data in corpus.files.items() if name.endswith(".md")]
    first = build_snapshot(docs, (), settings)
    # Rebuild with one document changed and one removed, reusing the cache.
    changed = parse_document(docs[1].path, corpus.files[docs[1].path] + b"\nA brand new paragraph.\n")
    second_docs = [docs[0], changed, *docs[3:]]
    second = build_snapshot(second_docs, (), settings, cache=first.cache)
    analyzer = Analyzer()
    direct = BM25Index(reference_chunk_terms(second.chunks, analyzer), bm25_params(settings))
    assert sorted(second.index.term_ids) == sorted(direct.term_ids)
    fresh = build_snapshot(second_docs, (), settings)
    assert [c.chunk_id for c in second.chunks] == [c.chunk_id for c in fresh.chunks]
    rng = np.random.default_rng(0)
    terms = list(direct.term_ids)
    for _ in range(30):
        query = [terms[int(i)] for i in rng.integers(0, len(terms), size=3)]
        assert np.max(np.abs(second.index.scores(query) - direct.scores(query))) <= 1e-9
    # Unchanged documents were not re-chunked: their chunk objects are the very same.
    assert second.chunks[0] is first.chunks[0]
