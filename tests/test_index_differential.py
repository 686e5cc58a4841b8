"""Our BM25 index against ``rank_bm25`` on random corpora: same scores (≤ 1e-9), same top-k."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import rank_bm25

from bot.core.config import VARIANTS
from bot.core.index.bm25 import BM25Index, BM25Params

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
    ours = BM25Index.from_corpus(corpus, params)
    ref = reference_model(variant, corpus, params)
    for _ in range(25):
        n_terms = int(rng.integers(1, 6))
        query = [f"t{int(t)}" for t in rng.integers(0, 320, size=n_terms)]  # some unseen, some repeated
        expected = ref.get_scores(query)
        got = ours.scores(query)
        assert np.max(np.abs(got - expected)) <= 1e-9
        # The IDFs the quote ranking reads: rank_bm25's (Okapi's floor included), 0 when unseen.
        assert np.allclose(ours.idfs(query), [ref.idf.get(t, 0.0) for t in query], rtol=0, atol=1e-12)
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
        index = BM25Index.from_corpus(corpus, BM25Params(variant, 1.2, 0.75, 0.5, 0.25))
        assert [i for i, _ in index.top(["a"], 2)] == [0, 2]
        if variant == "bm25plus":  # every chunk scores idf × delta at least: fill in corpus order
            assert [i for i, _ in index.top(["d"], 3)] == [4, 0, 1]
        else:
            assert [i for i, _ in index.top(["d"], 3)] == [4]


def test_postings_are_compact() -> None:
    """A posting is its chunk as a LEB128 gap (one byte when the gap is below 128) plus an entry
    in the tf list only when its tf is not 1; the scores stay rank_bm25's."""
    corpus = random_corpus(np.random.default_rng(7), 300, 200)
    a = BM25Index.from_corpus(corpus, BM25Params("bm25plus", 1.2, 0.5, 0.5, 0.25)).arrays
    n = a.n_postings
    assert n == sum(len(set(doc)) for doc in corpus)
    assert len(a.gaps) < 1.5 * n and a.gaps.dtype == np.uint8
    tfs = [tf for doc in corpus for tf in Counter(doc).values()]
    assert len(a.tf_at) == sum(tf != 1 for tf in tfs) < n
    assert a.doc_len.dtype == np.uint8  # the narrowest type that holds the chunk lengths
    okapi = BM25Params("okapi", 1.2, 0.75, 0.5, 0.25)
    # Gaps of every width (1 to 3 bytes) and tfs of more than a byte decode to the same scores.
    spread = [["a", f"u{i}"] + (["b"] * 300 if i % 5000 == 0 else []) for i in range(40_000)]
    wide = BM25Index.from_corpus(spread, okapi)
    assert wide.arrays.doc_len.dtype == np.uint16 and wide.arrays.tf_val.dtype == np.uint16
    assert len(wide.arrays.gaps) > wide.arrays.n_postings  # multi-byte gaps
    reference = reference_model("okapi", spread, wide.params)
    for query in (["a"], ["b"], ["u39999", "b"], ["u0", "u20000"]):
        assert np.allclose(wide.scores(query), reference.get_scores(query), rtol=0, atol=1e-9), query
    terms, chunks, tfs_back = wide.arrays.decoded()
    assert list(chunks[terms == wide.term_id("b")]) == [0, 5000, 10000, 15000, 20000, 25000, 30000, 35000]
    assert set(tfs_back[terms == wide.term_id("b")].tolist()) == {300}


@pytest.mark.parametrize("variant", VARIANTS)
def test_top_k_of_rare_terms_in_a_large_corpus_matches_rank_bm25(variant: str) -> None:
    """Few postings in many chunks: the index sums them per chunk without a corpus-long array;
    the result must be the same chunks and scores as rank_bm25's."""
    rng = np.random.default_rng(11)
    corpus = random_corpus(rng, n_docs=3000, vocab=20000)
    params = BM25Params(variant, k1=1.2, b=0.6, delta=0.5, epsilon=0.25)
    ours = BM25Index.from_corpus(corpus, params)
    ref = reference_model(variant, corpus, params)
    for _ in range(20):
        query = [f"t{int(t)}" for t in rng.integers(2000, 20000, size=int(rng.integers(1, 4)))]
        query += query[:int(rng.integers(0, 2))]  # sometimes a repeated term
        expected = ref.get_scores(query)
        dense = ours.scores(query)
        top = ours.top(query, 15)
        assert [i for i, _ in top] == reference_top(expected, 15)
        for i, score in top:
            assert abs(score - expected[i]) <= 1e-9
            assert score == dense[i]  # the per-chunk sums are the dense sum's floats


def test_prefix_lookup_by_length_keeps_exactly_the_terms_within_reach() -> None:
    terms = ["sa", "sal", "salt", "salts", "salty", "salted", "saltiest", "sea", "season", "t"]
    index = BM25Index.from_corpus([terms], BM25Params("okapi", 1.2, 0.75, 0.5, 0.25))
    for prefix, length, reach in [("s", 5, 1), ("sal", 4, 0), ("s", 3, 2), ("x", 3, 1), ("sea", 9, 2)]:
        near = [t for t in index.with_prefix(prefix) if abs(len(t) - length) <= reach]
        assert list(index.with_prefix(prefix, length, reach)) == near
