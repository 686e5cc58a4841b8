"""Per-document build results kept between snapshots, so a reload redoes only what changed.

Parsing, chunking and text analysis cost seconds at 100k chunks; a moderator who edits
one file should wait for one file. A :class:`BuildCache` remembers, per document
(id + content hash), its chunks and its term counts as arrays of *global* term ids (an
append-only vocabulary shared by all builds), so a rebuild concatenates arrays instead
of re-analysing text. The cache is only valid for one analysis and chunking
configuration: :func:`cache_key` names it, and a snapshot built with another key starts
a fresh cache.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from bot.core.analysis import Analyzer
from bot.core.chunking import Chunk, chunk_documents
from bot.core.config import RetrievalSettings
from bot.core.documents import (
    Document,
)
from bot.core.index import IndexArrays, arrays_from_counts

Int32Array = npt.NDArray[np.int32]


def cache_key(alias_groups: Sequence[Sequence[str]], settings: RetrievalSettings) -> tuple[object, ...]:
    """What chunks and terms depend on besides the document itself."""
    return (tuple(tuple(g) for g in alias_groups), settings.chunk_sentences, settings.chunk_overlap,
            settings.chunk_max_chars)


PARALLEL_MIN_CHARS = 4_000_000  # text of new documents before a build uses a second process
LocalTerms = tuple[list[str], "Int32Array", "Int32Array"]  # see _local_terms


def _chunks_of(doc: Document, settings: RetrievalSettings) -> tuple[Chunk, ...]:
    return tuple(chunk_documents([doc], settings.chunk_sentences, settings.chunk_overlap,
                                 settings.chunk_max_chars))


def _local_terms(chunks: Sequence[Chunk], analyzer: Analyzer
                 ) -> tuple[list[str], Int32Array, Int32Array]:
    """A document's terms as (its distinct terms, every token as an index into them,
    tokens per chunk): compact to send between processes."""
    words = chunk_terms(chunks, analyzer)
    local: dict[str, int] = {}
    for term in chain.from_iterable(words):
        if term not in local:
            local[term] = len(local)
    lens = np.fromiter(map(len, words), dtype=np.int32, count=len(words))
    ids = np.fromiter(map(local.__getitem__, chain.from_iterable(words)), dtype=np.int32,
                      count=int(lens.sum()))
    return list(local), ids, lens


def analyse_documents(documents: Sequence[Document], settings: RetrievalSettings,
                      alias_groups: Sequence[Sequence[str]]
                      ) -> list[tuple[list[str], Int32Array, Int32Array]]:
    """Worker-process entry point: the terms of each document (see BuildCache._analyse_elsewhere)."""
    from bot.core.analysis_cache import MemoAnalyzer

    analyzer = MemoAnalyzer().with_aliases(alias_groups)
    return [_local_terms(_chunks_of(doc, settings), analyzer) for doc in documents]


def chunk_terms(chunks: Sequence[Chunk], analyzer: Analyzer) -> list[list[str]]:
    """The index terms of each chunk (of :func:`chunk_index_text`).

    Analysing each chunk's text whole is faster than analysing each sentence once and
    joining: the overlap costs less than the per-call overhead of three times as many calls.
    """
    return [analyzer.terms(chunk_index_text(chunk)) for chunk in chunks]


def chunk_index_text(chunk: Chunk) -> str:
    """What a chunk is indexed as: its text, after its section heading (a heading says what
    its paragraphs are about, so its words count for them too)."""
    return chunk.text if not chunk.paragraph.section else f"{chunk.paragraph.section}\n{chunk.text}"


@dataclass(frozen=True, slots=True)
class DocTerms:
    """One document's chunks and term counts (global term ids), chunk by chunk."""

    chunks: tuple[Chunk, ...]
    rows: Int32Array  # term id per (chunk, distinct term)
    tfs: Int32Array  # its count in the chunk
    uniq: Int32Array  # distinct terms per chunk
    lens: Int32Array  # tokens per chunk


class _Helper:
    """Text analysis of part of a large build in a second process, on the second core.

    Analysis is pure Python per word, so a thread would not help; a process does. The
    helper takes about half of the new text while this process chunks everything and
    analyses the rest; small builds (reloads) stay in-process, where starting a process
    would cost more than it saves. Any failure falls back to in-process analysis.
    """

    def __init__(self, new: Sequence[Document]) -> None:
        self.share: list[Document] = []
        total = sum(d.size_chars for d in new)
        if total >= PARALLEL_MIN_CHARS and (os.cpu_count() or 1) >= 2:
            taken = 0
            for doc in new:
                if taken >= total // 2:
                    break
                self.share.append(doc)
                taken += doc.size_chars
        self.keys = {(d.doc_id, d.content_hash) for d in self.share}
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[list[tuple[list[str], Int32Array, Int32Array]]] | None = None

    def __enter__(self) -> _Helper:
        return self

    def start(self, settings: RetrievalSettings, alias_groups: Sequence[Sequence[str]]) -> None:
        if not self.share:
            return
        try:
            context = multiprocessing.get_context("spawn")  # safe beside the bot's threads
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            self._future = self._pool.submit(analyse_documents, self.share, settings, alias_groups)
        except (OSError, RuntimeError):
            self._future = None

    def results(self) -> Iterator[tuple[tuple[str, str], LocalTerms | None, Document]]:
        """(key, terms from the helper or None to analyse here, document) for the helper's share."""
        analysed: list[tuple[list[str], Int32Array, Int32Array]] | None = None
        if self._future is not None:
            try:
                analysed = self._future.result()
            except (OSError, RuntimeError, BrokenProcessPool, pickle.PicklingError):
                analysed = None
        for i, doc in enumerate(self.share):
            yield (doc.doc_id, doc.content_hash), (analysed[i] if analysed else None), doc

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class BuildCache:
    """Chunks and term counts per document, reused across rebuilds with the same key."""

    def __init__(self, key: tuple[object, ...], analyzer: Analyzer) -> None:
        self.key = key
        self.analyzer = analyzer  # a MemoAnalyzer keeps its word cache across rebuilds too
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._docs: dict[tuple[str, str], DocTerms] = {}
        self._lock = threading.Lock()

    def _global_ids(self, local_terms: Sequence[str]) -> npt.NDArray[np.int64]:
        """Global term ids of ``local_terms``, adding the new ones to the vocabulary."""
        vocab, terms = self._vocab, self._terms
        for term in set(local_terms).difference(vocab):
            vocab[term] = len(terms)
            terms.append(term)
        return np.fromiter(map(vocab.__getitem__, local_terms), dtype=np.int64, count=len(local_terms))

    def _analyse(self, doc: Document, settings: RetrievalSettings,
                 analysed: tuple[list[str], Int32Array, Int32Array] | None = None) -> DocTerms:
        """``analysed``: the document's terms as computed by a worker process (see build)."""
        chunks = _chunks_of(doc, settings)
        local_terms, local_ids, lens32 = analysed or _local_terms(chunks, self.analyzer)
        ids = self._global_ids(local_terms)[local_ids] if len(local_ids) else np.empty(0, np.int64)
        lens = lens32.astype(np.int64)
        # Count (chunk, term) pairs with numpy instead of a Counter per chunk: one sort of
        # the document's term ids, keyed by chunk, replaces millions of dict operations.
        width = len(self._terms)
        n = len(lens)
        keys, tfs = np.unique(np.repeat(np.arange(n, dtype=np.int64), lens) * width + ids,
                              return_counts=True)
        uniq = np.bincount(keys // width, minlength=n) if width else np.zeros(n)
        return DocTerms(chunks, (keys % width).astype(np.int32) if width else keys.astype(np.int32),
                        tfs.astype(np.int32), uniq.astype(np.int32), lens.astype(np.int32))

    def build(self, documents: Sequence[Document],
              settings: RetrievalSettings) -> tuple[tuple[Chunk, ...], IndexArrays]:
        """Chunks of ``documents`` in order and the index arrays, analysing only new documents."""
        with self._lock:
            parts: list[DocTerms] = []
            live: dict[tuple[str, str], DocTerms] = {}
            new = [d for d in documents if (d.doc_id, d.content_hash) not in self._docs]
            with _Helper(new) as helper:
                helper.start(settings, self.analyzer.aliases.groups)
                for doc in new:  # this process's share, while the helper process does its own
                    key = (doc.doc_id, doc.content_hash)
                    if key not in helper.keys:
                        live[key] = self._analyse(doc, settings)
                for key, analysed, doc in helper.results():
                    live[key] = self._analyse(doc, settings, analysed)
            for doc in documents:
                key = (doc.doc_id, doc.content_hash)
                part = live.get(key) or self._docs[key]
                live[key] = part
                parts.append(part)
            self._docs = live  # forget removed and replaced versions
            chunks = tuple(c for p in parts for c in p.chunks)

            def cat(name: str) -> Int32Array:
                arrays = [getattr(p, name) for p in parts]
                return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int32)

            arrays = arrays_from_counts(cat("rows"), cat("tfs"), cat("uniq"), cat("lens"), self._terms)
            return chunks, arrays


    def parts(self, documents: Sequence[Document]) -> tuple[
            list[str], Int32Array, Int32Array, Int32Array, Int32Array, Int32Array] | None:
        """The cached counts of ``documents`` concatenated (for saving), or None if any is missing."""
        with self._lock:
            parts = [self._docs.get((d.doc_id, d.content_hash)) for d in documents]
            if any(p is None for p in parts):
                return None
            ok = [p for p in parts if p is not None]

            def cat(name: str) -> Int32Array:
                arrays = [getattr(p, name) for p in ok]
                return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int32)

            n_chunks = np.array([len(p.chunks) for p in ok], dtype=np.int32)
            return list(self._terms), cat("rows"), cat("tfs"), cat("uniq"), cat("lens"), n_chunks

    def restore(self, documents: Sequence[Document], chunks: Sequence[Chunk], terms: list[str],
                rows: Int32Array, tfs: Int32Array, uniq: Int32Array, lens: Int32Array,
                n_chunks: Int32Array) -> None:
        """Refill the cache from :meth:`parts` output saved alongside ``documents`` and ``chunks``."""
        with self._lock:
            self._terms = list(terms)
            self._vocab = dict(zip(self._terms, range(len(self._terms)), strict=True))
            chunk_ptr = np.zeros(len(n_chunks) + 1, dtype=np.int64)
            np.cumsum(n_chunks, out=chunk_ptr[1:])
            post_ptr = np.zeros(len(uniq) + 1, dtype=np.int64)
            np.cumsum(uniq, out=post_ptr[1:])
            self._docs = {}
            for i, doc in enumerate(documents):
                c0, c1 = int(chunk_ptr[i]), int(chunk_ptr[i + 1])
                p0, p1 = int(post_ptr[c0]), int(post_ptr[c1])
                self._docs[(doc.doc_id, doc.content_hash)] = DocTerms(
                    tuple(chunks[c0:c1]), rows[p0:p1], tfs[p0:p1], uniq[c0:c1], lens[c0:c1])
