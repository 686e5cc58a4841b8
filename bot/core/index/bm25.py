"""BM25 with the exact scores of ``rank_bm25``, precomputed for speed and memory.

``rank_bm25`` recomputes every term's contribution for every chunk on each query (a Python loop
over the corpus per query term). The scores only depend on the corpus, so this index stores
compressed sparse rows (term → chunks) and answers a query with a handful of vectorised additions.

Memory: a (term, chunk) contribution is ``idf(term) × tf_part(tf, chunk length)``. Chunks are a
few sentences long, so ~99 % of postings have tf 1, whose part depends on the chunk length
alone: one small float64 table per length. So a posting is its chunk number, held as a LEB128
gap from the term's previous chunk (:mod:`varint`: 1.4 bytes on average on the benchmark
corpora), plus an entry in a short list for the postings whose tf is not 1; a term's IDF is
computed from its df when a query asks for it. The arithmetic stays float64 and equal to
``rank_bm25``'s (a differential test checks ≤ 1e-9 and the same top-k). The vocabulary is one
sorted string (:mod:`vocabulary`, term id = position), so looking a term up is a bisection
and unseen words are matched to their neighbours by prefix without a second copy. The formulas
are written once, as small pure functions.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.core.config import RetrievalSettings, Variant
from bot.core.index import varint
from bot.core.index.vocabulary import Vocabulary

FloatArray = npt.NDArray[np.float64]
Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]


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
    """Everything an index is made of (what the saved index stores as ``.npy`` files and JSON).

    A term's postings are its chunks, ascending, as LEB128 gaps (:mod:`varint`), and their term
    frequencies: chunks are a few sentences long, so all but ~1 % of postings have tf 1 and
    only the others are listed (``tf_at``/``tf_val``). The chunk length a score also needs is
    ``doc_len[chunk]``.
    """

    terms: Vocabulary  # sorted: term id = position
    doc_len: npt.NDArray[np.unsignedinteger[Any]]  # tokens per chunk (the narrowest type that holds them)
    indptr: npt.NDArray[np.integer[Any]]  # postings of term t: [indptr[t], indptr[t + 1]); df = difference
    gap_ptr: npt.NDArray[np.integer[Any]]  # their bytes in ``gaps``: [gap_ptr[t], gap_ptr[t + 1])
    gaps: npt.NDArray[np.uint8]  # LEB128 gaps between a term's chunks
    tf_at: npt.NDArray[np.integer[Any]]  # ascending: the postings (as ``indptr`` numbers them) whose tf ≠ 1
    tf_val: npt.NDArray[np.unsignedinteger[Any]]  # their tf

    @property
    def n_postings(self) -> int:
        return int(self.indptr[-1]) if len(self.indptr) else 0

    def df(self) -> Int64Array:
        out = np.diff(self.indptr.astype(np.int64)).astype(np.int64, copy=False)
        return out

    def term_blocks(self, max_bytes: int = 1 << 18) -> Iterator[tuple[int, int]]:
        """Consecutive ranges of terms whose gaps take at most ``max_bytes`` (or one term), so
        that decoding the whole index holds a block's temporaries, not the corpus's."""
        n_terms = len(self.indptr) - 1
        t0 = 0
        while t0 < n_terms:
            limit = int(self.gap_ptr[t0]) + max_bytes
            t1 = max(int(np.searchsorted(self.gap_ptr, limit, side="right")) - 1, t0 + 1)
            t1 = min(t1, n_terms)
            yield t0, t1
            t0 = t1

    def chunks_of(self, t0: int, t1: int) -> Int64Array:
        """The chunks of terms ``t0 … t1 - 1``, term after term (their gaps restart at each term)."""
        data = self.gaps[int(self.gap_ptr[t0]):int(self.gap_ptr[t1])]
        return varint.restart_sums(varint.running_sums(data), np.diff(np.asarray(self.indptr[t0:t1 + 1],
                                                                                  dtype=np.int64)))

    def decoded(self) -> tuple[Int32Array, Int32Array, Int32Array]:
        """Every posting's term, chunk and tf, term-major (for merging into a new index)."""
        df = self.df()
        terms = np.repeat(np.arange(len(df), dtype=np.int32), df)
        chunks = np.empty(self.n_postings, dtype=np.int32)
        for t0, t1 in self.term_blocks():
            chunks[int(self.indptr[t0]):int(self.indptr[t1])] = self.chunks_of(t0, t1)
        tfs = np.ones(self.n_postings, dtype=np.int32)
        tfs[np.asarray(self.tf_at, dtype=np.int64)] = self.tf_val
        return terms, chunks, tfs


def _offsets(values: npt.NDArray[Any]) -> npt.NDArray[np.integer[Any]]:
    """Offsets (non-decreasing, from 0) in uint32 when they fit, else int64."""
    top = int(values[-1]) if len(values) else 0
    return values.astype(np.uint32 if top < 1 << 32 else np.int64)


def compress(terms: Sequence[str], doc_len: npt.NDArray[Any], df: npt.NDArray[Any],
             chunks: npt.NDArray[Any], tfs: npt.NDArray[Any]) -> IndexArrays:
    """The arrays of an index from its term-major columns (``chunks`` ascending within a term;
    handed over: it is overwritten with its gaps)."""
    indptr = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    values = varint.gaps_in_place(chunks, indptr)  # ``chunks`` becomes its gaps: no second column
    sizes = varint.encoded_sizes(values)
    gap_ptr = np.zeros(len(df) + 1, dtype=np.int64)
    if len(sizes):
        nonempty = np.asarray(df) > 0
        gap_ptr[1:][nonempty] = np.add.reduceat(sizes, indptr[:-1][nonempty], dtype=np.int64)
        np.cumsum(gap_ptr, out=gap_ptr)
    data = np.empty(int(gap_ptr[-1]), dtype=np.uint8)
    at = 0
    for start in range(0, len(values), _BLOCK):  # encoded a block at a time: small temporaries
        piece = varint.encode(values[start:start + _BLOCK], sizes[start:start + _BLOCK])
        data[at:at + len(piece)] = piece
        at += len(piece)
    del values, sizes
    tf_at = np.flatnonzero(tfs != 1)
    tf_val = varint.narrowest_uint(tfs[tf_at])
    vocabulary = terms if isinstance(terms, Vocabulary) else Vocabulary(terms)
    return IndexArrays(vocabulary, varint.narrowest_uint(np.asarray(doc_len)), _offsets(indptr),
                       _offsets(gap_ptr), data, _offsets(tf_at) if len(tf_at) else tf_at.astype(np.uint32),
                       tf_val)


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
    if kept is not None and kept_chunks is not None and kept.n_postings:
        vocab, old_ids, new_ids = _merge_vocabularies(kept.terms.to_list(), new.vocabulary)
        kept_terms, kept_postings, kept_tfs = kept.decoded()
        renumbered = kept_chunks[kept_postings]
        keep = renumbered >= 0
        _renumber(new.terms, new_ids)
        terms = np.concatenate([old_ids[kept_terms[keep]], new.terms])
        chunks = np.concatenate([renumbered[keep].astype(np.int32), new.chunks])
        tfs = np.concatenate([kept_tfs[keep], new.tfs])
        del keep, kept_terms, kept_postings, kept_tfs, renumbered
    else:
        vocab, _, new_ids = _merge_vocabularies([], new.vocabulary)
        terms, chunks, tfs = new.terms, new.chunks, new.tfs
        _renumber(terms, new_ids)
    del new, new_ids
    df_all = np.bincount(terms, minlength=len(vocab))
    chunks, tfs = _term_major(terms, chunks, tfs, n_docs)
    used = np.flatnonzero(df_all)
    kept_vocab = [vocab[i] for i in used.tolist()] if len(used) < len(vocab) else vocab
    return compress(kept_vocab, np.ascontiguousarray(doc_len), df_all[used], chunks, tfs)


_BLOCK = 1 << 20  # postings renumbered per step (a temporary of this size, not of the whole column)
_CHUNK_BITS, _TF_BITS = 24, 16  # the packed sort key: term, then chunk, then tf


def _renumber(ids: Int32Array, mapping: Int32Array) -> None:
    """``ids[i] = mapping[ids[i]]`` in place, a block at a time."""
    for start in range(0, len(ids), _BLOCK):
        block = ids[start:start + _BLOCK]
        block[:] = mapping[block]


def _term_major(terms: Int32Array, chunks: Int32Array, tfs: Int32Array,
                n_docs: int) -> tuple[Int32Array, npt.NDArray[np.integer[Any]]]:
    """``chunks`` and ``tfs`` ordered by term, then chunk (each (term, chunk) pair is unique).

    When the three fit one int64 (term < 2^23, chunk < 2^24, tf < 2^16: up to 16 M chunks),
    they are packed into one key sorted in place, so the sort holds one column and no int64
    permutation beside the three columns; otherwise, an argsort of term × chunks + chunk.
    """
    n_terms = int(terms.max()) + 1 if len(terms) else 0
    packs = (n_docs < 1 << _CHUNK_BITS and n_terms < 1 << (63 - _CHUNK_BITS - _TF_BITS)
             and (not len(tfs) or int(tfs.max()) < 1 << _TF_BITS))
    if packs:
        key = terms.astype(np.int64)
        key <<= _CHUNK_BITS
        key |= chunks
        key <<= _TF_BITS
        key |= tfs
        del terms, chunks, tfs
        key.sort(kind="stable")  # a merge when carried-over and new postings are each in order
        out_tfs = key.astype(np.uint16)  # the low 16 bits
        key >>= _TF_BITS
        out_chunks = key.astype(np.int32)  # the low 32 bits: the chunk, and 8 bits of the term
        del key
        out_chunks &= (1 << _CHUNK_BITS) - 1
        return out_chunks, out_tfs
    order = np.argsort(terms.astype(np.int64) * max(n_docs, 1) + chunks, kind="stable")
    return chunks[order], tfs[order]


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


# ---- scoring -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Lookup:
    """A query's indexed terms (repeats kept, as ``rank_bm25`` counts them): ids, where their
    postings start, their dfs and IDFs."""

    ids: list[int]
    starts: list[int]
    df: list[int]
    idf: FloatArray


class BM25Index:
    """Scores of every chunk for a tokenised query; chunk order is the corpus order.

    Immutable once built: nothing is cached or filled in while answering.
    """

    def __init__(self, arrays: IndexArrays, params: BM25Params) -> None:
        a = arrays
        self.params = params
        self.arrays = a
        self.terms: Vocabulary = a.terms
        self.n_docs = len(a.doc_len)
        self.avgdl = float(a.doc_len.sum(dtype=np.int64)) / self.n_docs if self.n_docs else 0.0
        self._indptr = a.indptr
        self._gap_ptr = a.gap_ptr
        self._gaps = a.gaps
        self._tf_at = a.tf_at
        self._tf_val = a.tf_val
        # Okapi floors negative IDFs at a share of the mean IDF over the whole vocabulary: that one
        # number is kept; a term's own IDF is computed from its df when a query needs it.
        self._floor = 0.0
        if params.variant == "okapi" and len(a.terms):
            idf = idf_okapi(self.n_docs, a.df().astype(np.float64))
            self._floor = params.epsilon * (math.fsum(idf.tolist()) / len(idf))
        top = int(a.doc_len.max()) if self.n_docs else 0
        lengths = np.arange(top + 1, dtype=np.float64)
        self._norm: FloatArray = (length_norm(lengths, self.avgdl, params) if self.avgdl > 0
                                  else np.ones(top + 1))
        # The tf-1 part of a score for every chunk length; postings with another tf compute theirs.
        self._tf1: FloatArray = self._tf_part(np.ones(top + 1), self._norm)
        for array in (a.doc_len, a.indptr, a.gap_ptr, a.gaps, a.tf_at, a.tf_val, self._norm, self._tf1):
            if array.flags.writeable:  # immutable once built: answering writes nothing into it
                array.setflags(write=False)

    def _tf_part(self, tf: FloatArray, norm: FloatArray) -> FloatArray:
        out = tf_part(tf, norm, self.params)
        if self.params.variant == "bm25plus":
            # BM25+ also gives chunks *without* the term idf × delta: added once per query term
            # to every chunk, and the postings store the difference.
            out = out - self.params.delta
        return out

    @classmethod
    def from_corpus(cls, corpus: Sequence[Sequence[str]], params: BM25Params) -> BM25Index:
        postings, lens = count_postings(corpus)
        return cls(merge_arrays(lens, postings), params)

    # ---- the vocabulary --------------------------------------------------------------------------

    def term_id(self, term: str) -> int | None:
        return self.terms.find(term)

    def _df(self, tid: int) -> int:
        return int(self._indptr[tid + 1]) - int(self._indptr[tid])

    def doc_freq(self, term: str) -> int:
        """Chunks holding ``term`` (0 for a term the index has never seen)."""
        tid = self.term_id(term)
        return 0 if tid is None else self._df(tid)

    def _idf(self, df: npt.NDArray[Any]) -> FloatArray:
        if self.params.variant == "okapi":
            idf: FloatArray = idf_okapi(self.n_docs, df)
            return np.where(idf < 0, self._floor, idf)
        return compute_idf(df, self.n_docs, self.params)

    def idfs(self, terms: Sequence[str]) -> FloatArray:
        """The IDF of each term (0 for a term the index has never seen), in one vectorised call."""
        ids = [self.term_id(t) for t in terms]
        seen = np.array([tid is not None for tid in ids], dtype=bool)
        df = np.array([1 if tid is None else self._df(tid) for tid in ids], dtype=np.float64)
        out: FloatArray = np.where(seen, self._idf(df), 0.0)
        return out

    def with_prefix(self, prefix: str, length: int | None = None, reach: int = 0) -> Sequence[str]:
        """Indexed terms starting with ``prefix``, sorted (for unseen question words); with
        ``length``, only those within ``reach`` letters of it (the only ones a fuzzy match of
        that many edits can find: at 100k chunks a first letter has thousands of terms)."""
        lo, hi = self.terms.prefix_range(prefix)
        if length is None or lo == hi:
            return self.terms[lo:hi]
        near = np.flatnonzero(np.abs(self.terms.lengths[lo:hi].astype(np.int32) - length) <= reach)
        return self.terms.pick((near + lo).tolist())

    # ---- scores ----------------------------------------------------------------------------------

    @property
    def doc_len(self) -> npt.NDArray[np.unsignedinteger[Any]]:
        return self.arrays.doc_len

    def _lookup(self, query: Sequence[str]) -> _Lookup:
        """The query's indexed terms with their postings' place and IDF, found once per query."""
        ids = [tid for tid in map(self.term_id, query) if tid is not None]
        starts = [self._indptr.item(t) for t in ids]
        df = [self._indptr.item(t + 1) - p0 for t, p0 in zip(ids, starts, strict=True)]
        return _Lookup(ids, starts, df, self._idf(np.array(df, dtype=np.float64)))

    def _constant(self, q: _Lookup) -> float:
        """What every chunk scores whatever it contains (non-zero for BM25+ only)."""
        if self.params.variant != "bm25plus" or not q.ids:
            return 0.0
        return float(sum(q.idf.tolist())) * self.params.delta

    def _postings(self, q: _Lookup) -> tuple[Int64Array, FloatArray, list[int]]:
        """The chunks of the query terms' postings and their scores (minus :meth:`_constant`),
        term after term, with where each term's postings end."""
        ids, starts, df, idf = q.ids, q.starts, q.df, q.idf
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64), []
        gap_ptr, gaps = self._gap_ptr, self._gaps
        if len(ids) == 1:
            chunks = varint.running_sums(gaps[gap_ptr.item(ids[0]):gap_ptr.item(ids[0] + 1)])
        else:
            pieces = [gaps[gap_ptr.item(t):gap_ptr.item(t + 1)] for t in ids]
            chunks = varint.running_sums(np.concatenate(pieces))
        ends = list(itertools.accumulate(df))
        if len(ids) > 1:  # each term's gaps start again from chunk 0
            chunks = varint.restart_sums(chunks, df)
            weights = np.repeat(idf, df)
        else:
            weights = idf[0]
        lengths = self.arrays.doc_len[chunks]
        values = weights * self._tf1[lengths]
        if len(self._tf_at):
            stops = [p0 + n for p0, n in zip(starts, df, strict=True)]
            bounds = self._tf_at.searchsorted(starts + stops).tolist()
            for k, p0 in enumerate(starts):
                i0, i1 = bounds[k], bounds[k + len(ids)]
                if i1 > i0:
                    at = self._tf_at[i0:i1].astype(np.int64) - (p0 - (ends[k - 1] if k else 0))
                    values[at] = idf[k] * self._tf_part(self._tf_val[i0:i1].astype(np.float64),
                                                        self._norm[lengths[at]])
        return chunks, values, ends

    def _sparse_scores(self, q: _Lookup) -> FloatArray:
        """Scores minus :meth:`_constant`: non-zero only for chunks holding a query term."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        chunks, values, ends = self._postings(q)
        start = 0
        for end in ends:  # a term at a time: a chunk's sum adds its terms in query order
            out[chunks[start:end]] += values[start:end]
            start = end
        return out

    def scores(self, query: Sequence[str]) -> FloatArray:
        """BM25 score of every chunk; a repeated query term counts again, as in ``rank_bm25``."""
        q = self._lookup(query)
        out = self._sparse_scores(q)
        constant = self._constant(q)
        if constant:
            out += constant
        return out

    def _hits(self, q: _Lookup) -> tuple[Int64Array, FloatArray]:
        """The chunks holding a query term (ascending) and their scores minus :meth:`_constant`.

        A typical question touches a few dozen postings of a corpus of 100k chunks: they are then
        summed per chunk directly (in the same order as the dense sum, so the floats are equal)
        instead of through an array as long as the corpus.
        """
        touched = sum(q.df)
        if touched * 8 >= self.n_docs:  # measured: sorting more postings costs more than a dense pass
            dense = self._sparse_scores(q)
            hits = np.flatnonzero(dense != 0)  # a boolean mask scans several times faster than floats
            return hits, dense[hits]
        if not touched:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        chunks, values, _ = self._postings(q)
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
        q = self._lookup(query)
        hits, values = self._hits(q)
        constant = self._constant(q)
        if len(hits) > k:
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            above = values > threshold
            tied = np.flatnonzero(values == threshold)[: k - int(above.sum())]
            keep = np.concatenate([np.flatnonzero(above), tied])
            hits, values = hits[keep], values[keep]
        elif len(hits) < k and constant > 0:
            # Every chunk scores ``constant`` at least: fill up with the first chunks without a hit
            # (a mask over the first k + hits chunks: np.setdiff1d sorts, several times slower).
            free = np.ones(k + len(hits), dtype=bool)
            free[hits[hits < len(free)]] = False
            fill = np.flatnonzero(free)[: k - len(hits)]
            hits = np.concatenate([hits, fill])
            values = np.concatenate([values, np.zeros(len(fill))])
        order = np.lexsort((hits, -values))
        ranked, scores = hits[order], values[order] + constant
        return [(i, s) for i, s in zip(ranked.tolist(), scores.tolist(), strict=True) if s > 0]

    def memory_bytes(self) -> int:
        """Bytes held by the index: its arrays and the vocabulary."""
        a = self.arrays
        arrays = (a.doc_len, a.indptr, a.gap_ptr, a.gaps, a.tf_at, a.tf_val, self._norm, self._tf1)
        return sum(int(x.nbytes) for x in arrays) + a.terms.memory_bytes()
