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

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.analysis_cache import MemoAnalyzer
from bot.core.chunking import Chunk, chunk_documents
from bot.core.config import RetrievalSettings
from bot.core.documents import Document
from bot.core.index import IndexArrays, arrays_from_counts
from bot.core.term_counts import ChunkCounts, TermCounter

Int32Array = npt.NDArray[np.int32]


def cache_key(alias_groups: Sequence[Sequence[str]], settings: RetrievalSettings) -> tuple[object, ...]:
    """What chunks and terms depend on besides the document itself."""
    return (tuple(tuple(g) for g in alias_groups), settings.chunk_sentences, settings.chunk_overlap,
            settings.chunk_max_chars)


@dataclass(frozen=True, slots=True)
class DocTerms:
    """One document's chunks and their term counts (global term ids)."""

    chunks: tuple[Chunk, ...]
    counts: ChunkCounts


def _concat(parts: Sequence[DocTerms], name: str) -> Int32Array:
    """One count array (``rows``, ``tfs``, ...) of several documents, in order."""
    arrays = [getattr(p.counts, name) for p in parts]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int32)


class BuildCache:
    """Chunks and term counts per document, reused across rebuilds with the same key."""

    def __init__(self, key: tuple[object, ...], analyzer: MemoAnalyzer) -> None:
        self.key = key
        self.analyzer = analyzer  # a MemoAnalyzer keeps its word cache across rebuilds too
        self._counter = TermCounter(analyzer)
        self._docs: dict[tuple[str, str], DocTerms] = {}
        self._lock = threading.Lock()

    def _analyse(self, doc: Document, settings: RetrievalSettings) -> DocTerms:
        chunks = tuple(chunk_documents([doc], settings.chunk_sentences, settings.chunk_overlap,
                                       settings.chunk_max_chars))
        return DocTerms(chunks, self._counter.count(chunks))

    def build(self, documents: Sequence[Document],
              settings: RetrievalSettings) -> tuple[tuple[Chunk, ...], IndexArrays]:
        """Chunks of ``documents`` in order and the index arrays, analysing only new documents."""
        with self._lock:
            parts: list[DocTerms] = []
            live: dict[tuple[str, str], DocTerms] = {}
            for doc in documents:
                key = (doc.doc_id, doc.content_hash)
                part = self._docs.get(key) or self._analyse(doc, settings)
                live[key] = part
                parts.append(part)
            self._docs = live  # forget removed and replaced versions
            chunks = tuple(c for p in parts for c in p.chunks)
            return chunks, arrays_from_counts(_concat(parts, "rows"), _concat(parts, "tfs"),
                                              _concat(parts, "uniq"), _concat(parts, "lens"),
                                              self._counter.terms)

    def parts(self, documents: Sequence[Document]) -> tuple[
            list[str], Int32Array, Int32Array, Int32Array, Int32Array, Int32Array] | None:
        """The cached counts of ``documents`` concatenated (for saving), or None if any is missing."""
        with self._lock:
            found = [self._docs.get((d.doc_id, d.content_hash)) for d in documents]
            parts = [p for p in found if p is not None]
            if len(parts) < len(found):
                return None
            n_chunks = np.array([len(p.chunks) for p in parts], dtype=np.int32)
            return (list(self._counter.terms), _concat(parts, "rows"), _concat(parts, "tfs"),
                    _concat(parts, "uniq"), _concat(parts, "lens"), n_chunks)

    def restore(self, documents: Sequence[Document], chunks: Sequence[Chunk], terms: list[str],
                rows: Int32Array, tfs: Int32Array, uniq: Int32Array, lens: Int32Array,
                n_chunks: Int32Array) -> None:
        """Refill the cache from :meth:`parts` output saved alongside ``documents`` and ``chunks``."""
        with self._lock:
            self._counter = TermCounter(self.analyzer, terms)
            chunk_ptr = np.zeros(len(n_chunks) + 1, dtype=np.int64)
            np.cumsum(n_chunks, out=chunk_ptr[1:])
            post_ptr = np.zeros(len(uniq) + 1, dtype=np.int64)
            np.cumsum(uniq, out=post_ptr[1:])
            self._docs = {}
            for i, doc in enumerate(documents):
                c0, c1 = int(chunk_ptr[i]), int(chunk_ptr[i + 1])
                p0, p1 = int(post_ptr[c0]), int(post_ptr[c1])
                self._docs[(doc.doc_id, doc.content_hash)] = DocTerms(
                    tuple(chunks[c0:c1]), ChunkCounts(rows[p0:p1], tfs[p0:p1], uniq[c0:c1], lens[c0:c1]))
