"""The two encodings under the index: LEB128 gaps and the one-string vocabulary."""

from __future__ import annotations

import bisect
import itertools

import numpy as np
import pytest

from bot.core.index import varint
from bot.core.index.vocabulary import BLOCK, Vocabulary


def test_gaps_round_trip_at_every_width() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.integers(0, 1 << k, size=500) for k in (7, 8, 14, 15, 21, 28, 35, 40)])
    rng.shuffle(values)
    data = varint.encode(values)
    assert len(data) == int(varint.encoded_sizes(values).sum())
    assert np.array_equal(np.diff(varint.running_sums(data), prepend=0), values)
    assert np.array_equal(varint.running_sums(data), np.cumsum(values))
    small = np.array([0, 1, 127], dtype=np.int64)
    assert varint.encode(small).tolist() == [0, 1, 127]  # one byte each below 128
    assert varint.encode(np.array([128, 300])).tolist() == [0x80, 0x01, 0xAC, 0x02]  # protobuf's example
    assert varint.running_sums(np.empty(0, dtype=np.uint8)).tolist() == []
    assert varint.narrowest_uint(np.array([0, 255])).dtype == np.uint8
    assert varint.narrowest_uint(np.array([256])).dtype == np.uint16


def test_gaps_restart_at_each_term_and_spans_count_their_values() -> None:
    chunks = np.array([3, 9, 200, 0, 5, 70000], dtype=np.int32)
    indptr = np.array([0, 3, 6])
    gaps = varint.gaps_in_place(chunks.copy(), indptr)
    assert gaps.tolist() == [3, 6, 191, 0, 5, 69995]
    for block in (1, 2, 4):  # subtracted a block at a time, from the end
        assert varint.gaps_in_place(chunks.copy(), indptr, block).tolist() == gaps.tolist()
    data = varint.encode(gaps)
    split = int(varint.encoded_sizes(gaps[:3]).sum())
    assert varint.ends_per_span(data, np.array([0, split, len(data)])).tolist() == [3, 3]


def _terms(n: int) -> list[str]:
    rng = np.random.default_rng(n)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzé_0"))
    words = {"".join(rng.choice(letters, size=int(rng.integers(1, 12)))) for _ in range(n)}
    return sorted(words)


@pytest.mark.parametrize("n", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 1000])
def test_vocabulary_behaves_as_the_sorted_list(n: int) -> None:
    terms = _terms(n)
    vocab = Vocabulary(terms)
    assert len(vocab) == len(terms) and list(vocab) == terms and vocab == terms
    assert [vocab[i] for i in range(len(terms))] == terms
    assert vocab[2:BLOCK * 2 + 3] == terms[2:BLOCK * 2 + 3]
    for i, term in enumerate(terms):
        assert vocab.find(term) == i
    probes = ["", "a", "m", "zzzz", "b_", "é", "ab", "q0"]
    probes += [t + "x" for t in terms[::7]] + [t[:-1] for t in terms[::5]]
    for probe in probes:
        assert vocab.bisect_left(probe) == bisect.bisect_left(terms, probe), probe
        lo, hi = vocab.prefix_range(probe)
        assert terms[lo:hi] == [t for t in terms if t.startswith(probe)], probe
        assert (vocab.find(probe) is None) == (probe not in terms)
    ids = list(range(0, len(terms), 3))
    assert vocab.pick(ids) == [terms[i] for i in ids]
    assert vocab.lengths.tolist() == [len(t) for t in terms]


def test_vocabulary_holds_a_term_in_about_its_own_length() -> None:
    terms = _terms(20_000)
    ascii_terms = sorted({t.replace("é", "e") for t in terms})
    vocab = Vocabulary(ascii_terms)
    letters = sum(map(len, ascii_terms))
    # A list of str would cost ~57 bytes per term plus 8 for the pointer.
    assert vocab.memory_bytes() < letters + 6 * len(ascii_terms)


def test_decoding_a_block_of_terms_at_a_time_gives_every_posting() -> None:
    """Merges and the saved index's check decode the postings a block of terms at a time; any
    block size gives the chunks a plain (term, chunk) listing has."""
    from bot.core.index.bm25 import BM25Index, BM25Params

    rng = np.random.default_rng(1)
    corpus = [[f"t{int(x)}" for x in rng.zipf(1.3, size=20)] for _ in range(3000)]
    index = BM25Index.from_corpus(corpus, BM25Params("okapi", 1.2, 0.75, 0.5, 0.25))
    a = index.arrays
    expected = sorted((index.terms.find(t), i) for i, doc in enumerate(corpus) for t in set(doc))
    terms, chunks, _ = a.decoded()
    assert list(zip(terms.tolist(), chunks.tolist(), strict=True)) == expected
    for size in (1, 64, 4096):
        blocks = list(a.term_blocks(size))
        assert blocks[0][0] == 0 and blocks[-1][1] == len(index.terms)
        assert all(b[1] == c[0] for b, c in itertools.pairwise(blocks))
        assert np.array_equal(np.concatenate([a.chunks_of(t0, t1) for t0, t1 in blocks]), chunks)


def test_running_sums_restart_at_each_segment() -> None:
    """Several terms' gaps read in one pass give each term's own chunks, empty terms included."""
    segments = [[3, 9, 200], [], [0, 5], [70000], []]
    gaps = np.concatenate([np.diff(np.array(s, dtype=np.int64), prepend=0) for s in segments])
    sums = varint.running_sums(varint.encode(gaps))
    restarted = varint.restart_sums(sums, [len(s) for s in segments])
    assert restarted.tolist() == [c for s in segments for c in s]
    assert varint.restart_sums(np.empty(0, dtype=np.int64), [0, 0]).tolist() == []
