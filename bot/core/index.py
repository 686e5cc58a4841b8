"""BM25 index with the exact scores of ``rank_bm25``, precomputed for speed and memory.

``rank_bm25`` recomputes every term's contribution for every chunk on each query (a
Python loop over the corpus per query term). The scores only depend on the corpus, so
this index stores compressed sparse rows (term → chunks) and answers a query with a
handful of vectorised additions.

Memory: a (term, chunk) contribution is ``idf(term) × tf_part(tf, chunk length)``, and
``tf_part`` depends only on the pair (tf, chunk length), of which a corpus has a few
thousand. So each posting stores its chunk (int32) and the code of its pair (uint16)
into one small float64 table: 6 bytes per posting instead of 12-16, while the
arithmetic stays float64 and equal to ``rank_bm25``'s (a differential test checks
≤ 1e-9 and the same top-k). The formulas are written once, as small pure functions.
"""

from __future__ import annotations

import functools
import math
import sys
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Variant = Literal["okapi", "bm25l", "bm25plus"]
VARIANTS: tuple[Variant, ...] = ("okapi", "bm25l", "bm25plus")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DENSE_PAIR_TABLE_MAX = 1 << 24  # (max tf + 1) × (max length + 1) up to this: code pairs without sorting


@dataclass(frozen=True, slots=True)
class BM25Params:
    variant: Variant = "bm25l"
    k1: float = 1.2
    b: float = 0.75
    delta: float = 0.5  # BM25L and BM25+ only
    epsilon: float = 0.25  # Okapi only: floor for negative IDF, as a share of the mean IDF


def idf_okapi(n_docs: int, df: Any) -> Any:
    return np.log(n_docs - df + 0.5) - np.log(df + 0.5)


def idf_bm25l(n_docs: int, df: Any) -> Any:
    return np.log(n_docs + 1) - np.log(df + 0.5)


def idf_bm25plus(n_docs: int, df: Any) -> Any:
    return np.log((n_docs + 1) / df)


def tf_okapi(tf: FloatArray, norm: FloatArray, p: BM25Params) -> FloatArray:
    """``norm`` is ``1 - b + b * doc_len / avgdl``."""
    out: FloatArray = tf * (p.k1 + 1) / (tf + p.k1 * norm)
    return out


def tf_bm25l(tf: FloatArray, norm: FloatArray, p: BM25Params) -> FloatArray:
    ctd = tf / norm
    out: FloatArray = tf * (p.k1 + 1) * (ctd + p.delta) / (p.k1 + ctd + p.delta)
    return out


def tf_bm25plus(tf: FloatArray, norm: FloatArray, p: BM25Params) -> FloatArray:
    out: FloatArray = p.delta + (tf * (p.k1 + 1)) / (p.k1 * norm + tf)
    return out


def length_norm(doc_len: FloatArray, avgdl: float, p: BM25Params) -> FloatArray:
    out: FloatArray = 1 - p.b + p.b * doc_len / avgdl
    return out


def compute_idf(df: npt.NDArray[Any], n_docs: int, p: BM25Params) -> FloatArray:
    """IDF per term (``df`` in vocabulary order), exactly as ``rank_bm25`` (incl. Okapi's floor)."""
    df = df.astype(np.float64)
    if p.variant == "okapi":
        idf: FloatArray = idf_okapi(n_docs, df)
        if len(idf):
            floor = p.epsilon * (math.fsum(idf.tolist()) / len(idf))
            idf = np.where(idf < 0, floor, idf)
        return idf
    if p.variant == "bm25l":
        out: FloatArray = idf_bm25l(n_docs, df)
        return out
    out = idf_bm25plus(n_docs, df)
    return out


def tf_part(tf: FloatArray, norm: FloatArray, p: BM25Params) -> FloatArray:
    if p.variant == "okapi":
        return tf_okapi(tf, norm, p)
    if p.variant == "bm25l":
        return tf_bm25l(tf, norm, p)
    return tf_bm25plus(tf, norm, p)


class DocFreqs(Mapping[str, int]):
    """``term → number of chunks containing it``, a view over the index arrays (no copy)."""

    def __init__(self, term_ids: dict[str, int], df: npt.NDArray[np.int32]) -> None:
        self._term_ids = term_ids
        self._df = df

    def __getitem__(self, term: str) -> int:
        return int(self._df[self._term_ids[term]])

    def get(self, term: str, default: Any = None) -> Any:
        tid = self._term_ids.get(term)
        return default if tid is None else int(self._df[tid])

    def __contains__(self, term: object) -> bool:
        return term in self._term_ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._term_ids)

    def __len__(self) -> int:
        return len(self._term_ids)


@dataclass(frozen=True)
class IndexArrays:
    """Everything an index is made of; what :mod:`bot.core.persist` saves and loads."""

    terms: list[str]  # vocabulary, in order of first occurrence
    doc_len: npt.NDArray[np.int32]  # tokens per chunk
    df: npt.NDArray[np.int32]  # chunks per term
    indptr: IntArray  # postings of term t: [indptr[t], indptr[t + 1])
    postings: npt.NDArray[np.int32]  # chunk numbers, ascending within a term
    codes: npt.NDArray[np.unsignedinteger[Any]]  # per posting: row of ``pair_tf``/``pair_len``
    pair_tf: npt.NDArray[np.int32]  # the distinct (tf, chunk length) pairs
    pair_len: npt.NDArray[np.int32]


def corpus_arrays(corpus: Sequence[Sequence[str]]) -> IndexArrays:
    """Count terms per chunk and invert into term-major postings (chunk order kept)."""
    term_ids: dict[str, int] = {}
    rows = array("i")
    tfs = array("i")
    uniq = array("i")
    doc_len = array("i")
    setdefault = term_ids.setdefault
    for doc in corpus:
        counts = Counter(doc)
        rows.extend([setdefault(t, len(term_ids)) for t in counts])
        tfs.extend(counts.values())
        uniq.append(len(counts))
        doc_len.append(len(doc))
    return arrays_from_counts(np.frombuffer(rows, dtype=np.int32), np.frombuffer(tfs, dtype=np.int32),
                              np.frombuffer(uniq, dtype=np.int32), np.frombuffer(doc_len, dtype=np.int32),
                              list(term_ids))


def arrays_from_counts(rows: npt.NDArray[np.int32], tfs: npt.NDArray[np.int32], uniq: npt.NDArray[np.int32],
                       doc_len: npt.NDArray[np.int32], terms: Sequence[str]) -> IndexArrays:
    """Invert chunk-major counts into term-major postings.

    ``rows``/``tfs`` hold (term id, count) for each distinct term of each chunk, chunk by
    chunk; ``uniq`` says how many per chunk. Terms of ``terms`` that no chunk uses are
    dropped, so a vocabulary shared across rebuilds may keep stale entries.
    """
    n_docs = len(doc_len)
    df_all = np.bincount(rows, minlength=len(terms)) if len(rows) else np.zeros(len(terms), dtype=np.int64)
    used = np.flatnonzero(df_all)
    if len(used) < len(terms):
        remap = np.full(len(terms), -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        rows = remap[rows]
        kept = [terms[i] for i in used.tolist()]
    else:
        kept = list(terms)
    df = df_all[used].astype(np.int32)
    cols = np.repeat(np.arange(n_docs, dtype=np.int32), uniq)
    order = np.argsort(rows, kind="stable")
    postings = cols[order]
    tf_sorted = tfs[order]
    del order, cols
    indptr = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    lens = np.ascontiguousarray(doc_len, dtype=np.int32).copy()
    codes, pair_tf, pair_len = _pair_codes(tf_sorted, lens[postings])
    return IndexArrays(kept, lens, df, indptr, postings, codes, pair_tf, pair_len)


def _pair_codes(tf: npt.NDArray[np.int32], length: npt.NDArray[np.int32]) -> tuple[
        npt.NDArray[np.unsignedinteger[Any]], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Number the distinct (tf, length) pairs; return each posting's pair code and the pairs."""
    if not len(tf):
        return np.empty(0, dtype=np.uint16), np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    width = int(length.max()) + 1
    keys = tf.astype(np.int64) * width + length
    if (int(tf.max()) + 1) * width <= DENSE_PAIR_TABLE_MAX:
        present = np.bincount(keys)
        distinct = np.flatnonzero(present)
        lookup = np.zeros(len(present), dtype=np.int64)
        lookup[distinct] = np.arange(len(distinct))
        inverse = lookup[keys]
    else:
        distinct, inverse = np.unique(keys, return_inverse=True)
    dtype = np.uint16 if len(distinct) <= 1 << 16 else np.uint32
    return (inverse.astype(dtype), (distinct // width).astype(np.int32),
            (distinct % width).astype(np.int32))


class BM25Index:
    """Scores of every chunk for a tokenised query; chunk order is the corpus order."""

    def __init__(self, corpus: Sequence[Sequence[str]], params: BM25Params | None = None) -> None:
        self._install(corpus_arrays(corpus), params or BM25Params())

    @classmethod
    def from_arrays(cls, arrays: IndexArrays, params: BM25Params) -> BM25Index:
        index = cls.__new__(cls)
        index._install(arrays, params)
        return index

    def _install(self, a: IndexArrays, params: BM25Params) -> None:
        self.params = params
        self.arrays = a
        self.n_docs = len(a.doc_len)
        self.avgdl = float(a.doc_len.sum(dtype=np.int64)) / self.n_docs if self.n_docs else 0.0
        self.term_ids: dict[str, int] = dict(zip(a.terms, range(len(a.terms)), strict=True))
        self.doc_freqs = DocFreqs(self.term_ids, a.df)
        self.idf: FloatArray = compute_idf(a.df, self.n_docs, params)
        self.indptr = a.indptr
        self.postings = a.postings
        self._codes = a.codes
        if self.avgdl > 0:
            norm = length_norm(a.pair_len.astype(np.float64), self.avgdl, params)
        else:
            norm = np.ones(len(a.pair_len))
        table = tf_part(a.pair_tf.astype(np.float64), norm, params)
        if params.variant == "bm25plus":
            # BM25+ also gives chunks *without* the term idf × delta: added once per query term
            # to every chunk, and the postings store the difference.
            table = table - params.delta
        self._table: FloatArray = table

    @property
    def doc_len(self) -> npt.NDArray[np.int32]:
        return self.arrays.doc_len

    def idf_of(self, term: str) -> float:
        tid = self.term_ids.get(term)
        return 0.0 if tid is None else float(self.idf[tid])

    def _constant(self, query: Sequence[str]) -> float:
        """What every chunk scores whatever it contains (non-zero for BM25+ only)."""
        if self.params.variant != "bm25plus":
            return 0.0
        total = 0.0
        for term in query:
            tid = self.term_ids.get(term)
            if tid is not None:
                total += float(self.idf[tid]) * self.params.delta
        return total

    def _sparse_scores(self, query: Sequence[str]) -> FloatArray:
        """Scores minus :meth:`_constant`: non-zero only for chunks holding a query term."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for term in query:
            tid = self.term_ids.get(term)
            if tid is None:
                continue
            lo, hi = self.indptr[tid], self.indptr[tid + 1]
            out[self.postings[lo:hi]] += self.idf[tid] * self._table[self._codes[lo:hi]]
        return out

    def scores(self, query: Sequence[str]) -> FloatArray:
        """BM25 score of every chunk; a repeated query term counts again, as in ``rank_bm25``."""
        out = self._sparse_scores(query)
        constant = self._constant(query)
        if constant:
            out += constant
        return out

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks with a positive score, best first (ties: corpus order)."""
        if self.n_docs == 0 or k <= 0:
            return []
        k = min(k, self.n_docs)
        sparse = self._sparse_scores(query)
        constant = self._constant(query)
        hits = np.flatnonzero(sparse != 0)  # a boolean mask scans several times faster than floats
        if len(hits) > k:
            values = sparse[hits]
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            above = hits[values > threshold]
            tied = hits[values == threshold][: k - len(above)]
            hits = np.concatenate([above, tied])
        elif len(hits) < k and constant > 0:
            # Every chunk scores ``constant`` at least: fill up with the first chunks without a hit.
            fill = np.flatnonzero(sparse == 0)[: k - len(hits)]
            hits = np.concatenate([hits, fill])
        ranked = hits[np.lexsort((hits, -sparse[hits]))]
        values = sparse[ranked] + constant
        return [(i, s) for i, s in zip(ranked.tolist(), values.tolist(), strict=True) if s > 0]

    @functools.cached_property
    def vocabulary(self) -> list[str]:
        """All indexed terms, sorted (for prefix look-ups of unseen question terms)."""
        return sorted(self.term_ids)

    def memory_bytes(self) -> int:
        """Bytes held by the index arrays plus an estimate for the vocabulary dict."""
        a = self.arrays
        arrays = (a.doc_len, a.df, a.indptr, a.postings, a.codes, a.pair_tf, a.pair_len, self.idf,
                  self._table)
        vocab = sum(len(t) + 49 for t in a.terms) + 8 * len(a.terms)  # str objects + list slots
        return sum(x.nbytes for x in arrays) + vocab + sys.getsizeof(self.term_ids)
