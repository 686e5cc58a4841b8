"""BM25 with the exact scores of ``rank_bm25``, precomputed for speed and memory.

``rank_bm25`` recomputes every term's contribution for every chunk on each query (a Python loop
over the corpus per query term). The scores only depend on the corpus, so this index stores
compressed sparse rows (term → chunks) and answers a query with a handful of vectorised additions.

Memory: a (term, chunk) contribution is ``idf(term) × tf_part(tf, chunk length)``, and ``tf_part``
depends only on the pair (tf, chunk length), of which a corpus has a few hundred (chunks are
bounded in length). So each posting stores its chunk (int32) and the code of its pair (uint8 when
there are at most 256 pairs, else uint16) into one small float64 table: 5 or 6 bytes per posting,
while the arithmetic stays float64 and equal to ``rank_bm25``'s (a differential test checks
≤ 1e-9 and the same top-k). The vocabulary is one sorted list of terms (term id = position),
so looking a term up is a bisection and unseen words are matched to their neighbours by prefix
without a second copy. The formulas are written once, as small pure functions.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core.config import RetrievalSettings, Variant

FloatArray = npt.NDArray[np.float64]
Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
DENSE_PAIR_TABLE_MAX = 1 << 24  # (max tf + 1) × (max length + 1) up to this: code pairs without sorting


@dataclass(frozen=True, slots=True)
class BM25Params:
    variant: Variant
    k1: float
    b: float
    delta: float  # BM25L and BM25+ only
    epsilon: float  # Okapi only: floor for negative IDF, as a share of the mean IDF

    @classmethod
    def from_settings(cls, settings: RetrievalSettings) -> BM25Params:
        return cls(settings.variant, settings.k1, settings.b, settings.delta, settings.epsilon)


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


@dataclass(frozen=True, eq=False)
class IndexArrays:
    """Everything an index is made of (what the saved index stores as ``.npy`` files and JSON)."""

    terms: list[str]  # the vocabulary, sorted: term id = position
    doc_len: Int32Array  # tokens per chunk
    df: Int32Array  # chunks per term
    indptr: Int64Array  # postings of term t: [indptr[t], indptr[t + 1])
    postings: Int32Array  # chunk numbers, ascending within a term
    codes: npt.NDArray[np.unsignedinteger[Any]]  # per posting: row of ``pair_tf``/``pair_len``
    pair_tf: Int32Array  # the distinct (tf, chunk length) pairs
    pair_len: Int32Array

    def term_of_posting(self) -> Int32Array:
        return np.repeat(np.arange(len(self.terms), dtype=np.int32), np.diff(self.indptr))


# ---- building the arrays -----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Postings:
    """(term, chunk, tf) triples of some chunks, with the terms as strings of ``vocabulary``."""

    vocabulary: list[str]  # any order; ids in ``terms`` point into it
    terms: Int32Array
    chunks: Int32Array
    tfs: Int32Array


def count_postings(corpus: Sequence[Sequence[str]]) -> tuple[Postings, Int32Array]:
    """Postings and chunk lengths of tokenised chunks (the slow, obvious way: tests and baselines)."""
    ids: dict[str, int] = {}
    terms: list[int] = []
    chunks: list[int] = []
    tfs: list[int] = []
    for i, doc in enumerate(corpus):
        for term, tf in Counter(doc).items():
            terms.append(ids.setdefault(term, len(ids)))
            chunks.append(i)
            tfs.append(tf)
    lens = np.array([len(d) for d in corpus], dtype=np.int32)
    return Postings(list(ids), np.array(terms, dtype=np.int32), np.array(chunks, dtype=np.int32),
                    np.array(tfs, dtype=np.int32)), lens


def merge_arrays(doc_len: Int32Array, new: Postings, kept: IndexArrays | None = None,
                 kept_chunks: Int64Array | None = None) -> IndexArrays:
    """The index of a corpus whose chunk lengths are ``doc_len``, from ``new`` postings and the
    postings of an earlier index ``kept`` whose chunk ``c`` is now chunk ``kept_chunks[c]``
    (-1: gone). Terms no chunk holds any more are dropped; the vocabulary stays sorted.

    This is how an incremental build costs one file: unchanged documents' postings are carried
    over with a renumbering instead of being analysed again. ``new`` is handed over: its arrays
    are reused in place (this merge is a build's memory peak, so it keeps few copies alive).
    """
    n_docs = len(doc_len)
    lens = np.ascontiguousarray(doc_len, dtype=np.int32)
    if kept is not None and kept_chunks is not None and len(kept.postings):
        vocab, old_ids, new_ids = _merge_vocabularies(kept.terms, new.vocabulary)
        keep = kept_chunks[kept.postings] >= 0
        _renumber(new.terms, new_ids)
        terms = np.concatenate([old_ids[kept.term_of_posting()[keep]], new.terms])
        chunks = np.concatenate([kept_chunks[kept.postings[keep]].astype(np.int32), new.chunks])
        tfs = np.concatenate([kept.pair_tf[kept.codes[keep]], new.tfs])
        del keep
    else:
        vocab, _, new_ids = _merge_vocabularies([], new.vocabulary)
        terms, chunks, tfs = new.terms, new.chunks, new.tfs
        _renumber(terms, new_ids)
    del new, new_ids
    # Pair codes first (they need the tfs, which then go), then term-major order.
    codes, pair_tf, pair_len = _pair_codes(tfs, lens[chunks])
    del tfs
    df_all = np.bincount(terms, minlength=len(vocab))
    chunks, codes = _term_major(terms, chunks, codes, n_docs)
    if len(pair_tf) <= 1 << 8:  # chunk lengths are bounded: a corpus has a few hundred pairs at most
        codes = codes.astype(np.uint8)
    used = np.flatnonzero(df_all)
    kept_vocab = [vocab[i] for i in used.tolist()] if len(used) < len(vocab) else vocab
    df = df_all[used].astype(np.int32)
    indptr = np.zeros(len(kept_vocab) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return IndexArrays(kept_vocab, lens, df, indptr, chunks, codes, pair_tf, pair_len)


_BLOCK = 1 << 20  # postings renumbered per step (a temporary of this size, not of the whole column)
_CHUNK_BITS, _CODE_BITS = 24, 16  # the packed sort key: term, then chunk, then pair code


def _renumber(ids: Int32Array, mapping: Int32Array) -> None:
    """``ids[i] = mapping[ids[i]]`` in place, a block at a time."""
    for start in range(0, len(ids), _BLOCK):
        block = ids[start:start + _BLOCK]
        block[:] = mapping[block]


def _term_major(terms: Int32Array, chunks: Int32Array, codes: npt.NDArray[np.unsignedinteger[Any]],
                n_docs: int) -> tuple[Int32Array, npt.NDArray[np.unsignedinteger[Any]]]:
    """``chunks`` and ``codes`` ordered by term, then chunk (each (term, chunk) pair is unique).

    When the three fit one int64 (term < 2^23, chunk < 2^24, code < 2^16: up to 16 M chunks),
    they are packed into one key sorted in place, so the sort holds one column and no int64
    permutation beside the three columns; otherwise, an argsort of term × chunks + chunk.
    """
    n_terms = int(terms.max()) + 1 if len(terms) else 0
    packs = n_docs < 1 << _CHUNK_BITS and n_terms < 1 << (63 - _CHUNK_BITS - _CODE_BITS)
    if packs and codes.dtype == np.uint16:
        key = terms.astype(np.int64)
        key <<= _CHUNK_BITS
        key |= chunks
        key <<= _CODE_BITS
        key |= codes
        del terms, chunks, codes
        key.sort(kind="stable")  # a merge when carried-over and new postings are each in order
        out_codes = key.astype(np.uint16)  # the low 16 bits
        key >>= _CODE_BITS
        out_chunks = key.astype(np.int32)  # the low 32 bits: the chunk, and 8 bits of the term
        del key
        out_chunks &= (1 << _CHUNK_BITS) - 1
        return out_chunks, out_codes
    order = np.argsort(terms.astype(np.int64) * max(n_docs, 1) + chunks, kind="stable")
    return chunks[order], codes[order]


def _merge_vocabularies(old: list[str], new: list[str]) -> tuple[list[str], Int32Array, Int32Array]:
    """The sorted union of a sorted vocabulary and some terms, with both renumbered into it.

    The usual incremental case adds a handful of terms to a large vocabulary: they are placed by
    bisection, and the old ids shift by how many new terms sort before them.
    """
    added = sorted(set(new).difference(old))
    if not old:
        vocab = added
    else:
        cuts = [bisect.bisect_left(old, t) for t in added]
        vocab = []
        last = 0
        for cut, term in zip(cuts, added, strict=True):
            vocab.extend(old[last:cut])
            vocab.append(term)
            last = cut
        vocab.extend(old[last:])
    shift = np.searchsorted(np.array(cuts if old else [], dtype=np.int64), np.arange(len(old)), side="right")
    old_ids = (np.arange(len(old), dtype=np.int64) + shift).astype(np.int32)
    if len(new) > 5000:
        position = {t: i for i, t in enumerate(vocab)}
        new_ids = np.fromiter(map(position.__getitem__, new), dtype=np.int32, count=len(new))
    else:
        new_ids = np.array([bisect.bisect_left(vocab, t) for t in new], dtype=np.int32)
    return vocab, old_ids, new_ids


def _pair_codes(tf: Int32Array, length: Int32Array) -> tuple[
        npt.NDArray[np.unsignedinteger[Any]], Int32Array, Int32Array]:
    """Number the distinct (tf, length) pairs; return each posting's pair code and the pairs.

    ``tf`` is overwritten (it becomes the pairs' keys) unless the keys need 64 bits.
    """
    if not len(tf):
        return np.empty(0, dtype=np.uint16), np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    width, n_tf = int(length.max()) + 1, int(tf.max()) + 1
    wide = n_tf * width >= 1 << 31
    keys = np.multiply(tf, width, dtype=np.int64 if wide else np.int32,
                       out=None if wide or tf.dtype != np.int32 else tf)
    keys += length
    del length
    if n_tf * width <= DENSE_PAIR_TABLE_MAX:
        present = np.bincount(keys)
        distinct = np.flatnonzero(present)
        # The lookup has the codes' own type, so the per-posting codes are made once, not twice.
        lookup = np.zeros(len(present), dtype=_code_type(len(distinct)))
        del present
        lookup[distinct] = np.arange(len(distinct))
        inverse: npt.NDArray[np.integer[Any]] = lookup[keys]
    else:
        distinct, inverse = np.unique(keys, return_inverse=True)
    del keys
    return (inverse.astype(_code_type(len(distinct)), copy=False), (distinct // width).astype(np.int32),
            (distinct % width).astype(np.int32))


def _code_type(n_pairs: int) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if n_pairs <= 1 << 16 else np.uint32


# ---- scoring -----------------------------------------------------------------------------------

class BM25Index:
    """Scores of every chunk for a tokenised query; chunk order is the corpus order.

    Immutable once built: nothing is cached or filled in while answering.
    """

    def __init__(self, arrays: IndexArrays, params: BM25Params) -> None:
        a = arrays
        self.params = params
        self.arrays = a
        self.terms = a.terms
        self._term_len = np.fromiter(map(len, a.terms), dtype=np.int32, count=len(a.terms))
        self.n_docs = len(a.doc_len)
        self.avgdl = float(a.doc_len.sum(dtype=np.int64)) / self.n_docs if self.n_docs else 0.0
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
        for array in (a.doc_len, a.df, a.indptr, a.postings, a.codes, a.pair_tf, a.pair_len, self.idf,
                      self._table, self._term_len):
            if array.flags.writeable:  # immutable once built: answering writes nothing into it
                array.setflags(write=False)

    @classmethod
    def from_corpus(cls, corpus: Sequence[Sequence[str]], params: BM25Params) -> BM25Index:
        postings, lens = count_postings(corpus)
        return cls(merge_arrays(lens, postings), params)

    # ---- the vocabulary --------------------------------------------------------------------------

    def term_id(self, term: str) -> int | None:
        i = bisect.bisect_left(self.terms, term)
        return i if i < len(self.terms) and self.terms[i] == term else None

    def doc_freq(self, term: str) -> int:
        """Chunks holding ``term`` (0 for a term the index has never seen)."""
        tid = self.term_id(term)
        return 0 if tid is None else int(self.arrays.df[tid])

    def idf_of(self, term: str) -> float:
        tid = self.term_id(term)
        return 0.0 if tid is None else float(self.idf[tid])

    def with_prefix(self, prefix: str, length: int | None = None, reach: int = 0) -> Sequence[str]:
        """Indexed terms starting with ``prefix``, sorted (for unseen question words); with
        ``length``, only those within ``reach`` letters of it (the only ones a fuzzy match of
        that many edits can find: at 100k chunks a first letter has thousands of terms)."""
        terms = self.terms
        lo = bisect.bisect_left(terms, prefix)
        if lo == len(terms) or not terms[lo].startswith(prefix):
            return ()  # most prefixes tried for an unseen word have no term: one bisection, not two
        hi = bisect.bisect_left(terms, prefix + "\uffff", lo)
        if length is None:
            return terms[lo:hi]
        near = np.flatnonzero(np.abs(self._term_len[lo:hi] - length) <= reach)
        return [terms[lo + i] for i in near.tolist()]

    # ---- scores ----------------------------------------------------------------------------------

    @property
    def doc_len(self) -> Int32Array:
        return self.arrays.doc_len

    def _ids(self, query: Sequence[str]) -> list[int]:
        return [tid for tid in map(self.term_id, query) if tid is not None]

    def _constant(self, ids: Sequence[int]) -> float:
        """What every chunk scores whatever it contains (non-zero for BM25+ only)."""
        if self.params.variant != "bm25plus":
            return 0.0
        return sum(float(self.idf[tid]) for tid in ids) * self.params.delta

    def _sparse_scores(self, ids: Sequence[int]) -> FloatArray:
        """Scores minus :meth:`_constant`: non-zero only for chunks holding a query term."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for tid in ids:
            lo, hi = self.indptr[tid], self.indptr[tid + 1]
            out[self.postings[lo:hi]] += self.idf[tid] * self._table[self._codes[lo:hi]]
        return out

    def scores(self, query: Sequence[str]) -> FloatArray:
        """BM25 score of every chunk; a repeated query term counts again, as in ``rank_bm25``."""
        ids = self._ids(query)
        out = self._sparse_scores(ids)
        constant = self._constant(ids)
        if constant:
            out += constant
        return out

    def _hits(self, ids: Sequence[int]) -> tuple[Int64Array, FloatArray]:
        """The chunks holding a query term (ascending) and their scores minus :meth:`_constant`.

        A typical question touches a few dozen postings of a corpus of 100k chunks: they are then
        summed per chunk directly (in the same order as the dense sum, so the floats are equal)
        instead of through an array as long as the corpus.
        """
        spans = [(int(self.indptr[tid]), int(self.indptr[tid + 1]), tid) for tid in ids]
        touched = sum(hi - lo for lo, hi, _ in spans)
        if touched * 8 >= self.n_docs:  # measured: sorting more postings costs more than a dense pass
            dense = self._sparse_scores(ids)
            hits = np.flatnonzero(dense != 0)  # a boolean mask scans several times faster than floats
            return hits, dense[hits]
        if not touched:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        chunks = np.concatenate([self.postings[lo:hi] for lo, hi, _ in spans])
        values = np.concatenate([self.idf[tid] * self._table[self._codes[lo:hi]]
                                 for lo, hi, tid in spans])
        # Group equal chunk numbers by a stable sort (each chunk's values stay in query order, so
        # the sums are the dense sum's floats); cheaper than np.unique(return_inverse=True).
        order = np.argsort(chunks, kind="stable")
        ordered = chunks[order]
        starts = np.empty(len(ordered), dtype=bool)
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        group = np.cumsum(starts) - 1
        hits = ordered[starts]
        summed = np.asarray(np.bincount(group, weights=values[order], minlength=len(hits)), dtype=np.float64)
        return hits.astype(np.int64), summed

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks with a positive score, best first (ties: corpus order)."""
        if self.n_docs == 0 or k <= 0:
            return []
        k = min(k, self.n_docs)
        ids = self._ids(query)
        hits, values = self._hits(ids)
        constant = self._constant(ids)
        if len(hits) > k:
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            above = values > threshold
            tied = np.flatnonzero(values == threshold)[: k - int(above.sum())]
            keep = np.concatenate([np.flatnonzero(above), tied])
            hits, values = hits[keep], values[keep]
        elif len(hits) < k and constant > 0:
            # Every chunk scores ``constant`` at least: fill up with the first chunks without a hit.
            fill = np.setdiff1d(np.arange(k + len(hits)), hits)[: k - len(hits)]
            hits = np.concatenate([hits, fill])
            values = np.concatenate([values, np.zeros(len(fill))])
        order = np.lexsort((hits, -values))
        ranked, scores = hits[order], values[order] + constant
        return [(i, s) for i, s in zip(ranked.tolist(), scores.tolist(), strict=True) if s > 0]

    def memory_bytes(self) -> int:
        """Bytes held by the index arrays plus the vocabulary's strings and list."""
        a = self.arrays
        arrays = (a.doc_len, a.df, a.indptr, a.postings, a.codes, a.pair_tf, a.pair_len, self.idf,
                  self._table, self._term_len)
        vocab = sum(len(t) + 49 for t in a.terms) + 8 * len(a.terms)
        return sum(int(x.nbytes) for x in arrays) + vocab
