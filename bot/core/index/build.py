"""Documents → chunks → index: building a :class:`Snapshot`, from scratch or from the previous one.

A snapshot is immutable and disposable: everything in it is derived from the knowledge files.
A rebuild after an edit reuses what did not change by reading it from the previous snapshot
(the reloader passes it in): the chunks and postings of unchanged documents are carried over
with a renumbering, and only new or changed documents are split and analysed. There is no
separate build cache to keep in step or to prune: what the previous snapshot holds is exactly
what is still live.

Counting terms: the analyzer turns a batch of documents' headings and sentences into one term
list (:meth:`Analyzer.joined_terms`); numpy turns that into (chunk, term, count) postings, one
sort per batch instead of a Counter per chunk.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.core.config import LimitSettings, RetrievalSettings
from bot.core.index.bm25 import BM25Index, BM25Params, Postings, merge_arrays
from bot.core.knowledge.aliases import load_aliases
from bot.core.knowledge.chunking import ChunkTable, DocChunks, chunk_document, segments
from bot.core.knowledge.documents import Document, load_documents
from bot.core.problems import Problem, ProblemError
from bot.core.text.analyzer import SEGMENT_BREAK, AliasTable, Analyzer

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
BUILD_MEMO = 2_000_000  # word forms an index build remembers (dropped with the build)
BATCH_SEGMENTS = 20_000  # headings and sentences analysed per numpy pass


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything needed to answer, derived from the knowledge files; immutable, swapped whole."""

    chunks: ChunkTable
    index: BM25Index
    alias_groups: tuple[tuple[str, ...], ...]
    aliases: AliasTable  # the compiled groups the index terms were made with
    settings: RetrievalSettings
    problems: tuple[Problem, ...] = ()
    built_at: float = 0.0
    build_seconds: float = 0.0
    topics: tuple[str, ...] = field(default=())  # document titles, for declines

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.chunks.documents

    def chunk_counts(self) -> dict[str, int]:
        return self.chunks.counts_by_document()

    def reusable_by(self, alias_groups: tuple[tuple[str, ...], ...], settings: RetrievalSettings) -> bool:
        """Can a build with these aliases and settings carry this snapshot's chunks and terms over?"""
        return self.alias_groups == alias_groups and self.settings.analysis_key == settings.analysis_key


class _TermIds(dict[str, int]):
    """Term → this build's id, in order of first appearance; a new term is numbered on lookup
    (``__missing__``), so a batch's terms are numbered in one C-level pass. The segment break
    is -1."""

    __slots__ = ("vocabulary",)

    def __init__(self) -> None:
        super().__init__({SEGMENT_BREAK: -1})
        self.vocabulary: list[str] = []

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self.vocabulary)
        self.vocabulary.append(term)
        return number


class _TermCounter:
    """Postings of new documents, counted in batches; the vocabulary is this build's own."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.ids = _TermIds()
        self.vocabulary = self.ids.vocabulary
        self._segments: list[str] = []
        self._spec: list[tuple[int, int, int]] = []  # per chunk: heading, first, end (batch segment numbers)
        self._chunk_numbers: list[int] = []  # per chunk: its number in the new snapshot
        self._paragraphs: list[tuple[int, int, int]] = []  # per paragraph: heading, first, end
        self._owners: list[DocChunks] = []  # per paragraph: the document's chunks (for para_len)
        self._out_terms: list[Int32Array] = []
        self._out_chunks: list[Int32Array] = []
        self._out_tfs: list[Int32Array] = []
        self._length_of: list[tuple[Int32Array, Int32Array]] = []  # per batch: chunk numbers, tokens

    def add(self, doc: Document, chunks: DocChunks, first_chunk: int) -> None:
        texts, spec, paragraphs = segments(doc, chunks)
        base = len(self._segments)
        self._segments.extend(texts)
        self._spec.extend((h + base if h >= 0 else -1, a + base, b + base) for h, a, b in spec)
        self._paragraphs.extend((h + base if h >= 0 else -1, a + base, b + base) for h, a, b in paragraphs)
        self._owners.extend([chunks] * len(paragraphs))
        self._chunk_numbers.extend(range(first_chunk, first_chunk + len(spec)))
        if len(self._segments) >= BATCH_SEGMENTS:
            self.flush()

    def _term_ids(self, terms: list[str]) -> Int64Array:
        return np.fromiter(map(self.ids.__getitem__, terms), dtype=np.int64, count=len(terms))

    def flush(self) -> None:
        if not self._spec:
            self._segments, self._paragraphs, self._owners = [], [], []
            return
        ids = self._term_ids(self.analyzer.joined_terms(self._segments))
        breaks = ids < 0
        segment_of = np.cumsum(breaks)[~breaks]
        ids = ids[~breaks]
        seg_start = np.zeros(len(self._segments) + 1, dtype=np.int64)
        np.cumsum(np.bincount(segment_of, minlength=len(self._segments)), out=seg_start[1:])
        sizes_of = np.diff(seg_start)
        for (h, a, b), owner in zip(self._paragraphs, self._owners, strict=True):
            owner.para_len.append(int(seg_start[b] - seg_start[a]) + (int(sizes_of[h]) if h >= 0 else 0))
        spec = np.array(self._spec, dtype=np.int64).reshape(-1, 3)
        # Each chunk is two runs of the flat id array: its heading's ids, then its sentences'.
        heading = np.maximum(spec[:, 0], 0)
        heading_size = np.where(spec[:, 0] >= 0, seg_start[heading + 1] - seg_start[heading], 0)
        starts = np.column_stack([seg_start[heading], seg_start[spec[:, 1]]]).ravel()
        sizes = np.column_stack([heading_size, seg_start[spec[:, 2]] - seg_start[spec[:, 1]]]).ravel()
        lens = sizes.reshape(-1, 2).sum(axis=1)
        run_offset = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        gathered = ids[np.arange(len(run_offset), dtype=np.int64) + run_offset]
        chunk_of = np.repeat(np.arange(len(spec), dtype=np.int64), lens)
        width = max(len(self.vocabulary), 1)
        keys, tfs = np.unique(chunk_of * width + gathered, return_counts=True)
        numbers = np.array(self._chunk_numbers, dtype=np.int32)
        self._out_terms.append((keys % width).astype(np.int32))
        self._out_chunks.append(numbers[keys // width])
        self._out_tfs.append(tfs.astype(np.int32))
        self._length_of.append((numbers, lens.astype(np.int32)))
        self._segments, self._spec, self._chunk_numbers = [], [], []
        self._paragraphs, self._owners = [], []

    def fill_lengths(self, doc_len: Int32Array) -> None:
        """Write the token count of every chunk counted into ``doc_len`` (indexed by chunk number)."""
        for numbers, lens in self._length_of:
            doc_len[numbers] = lens

    def postings(self) -> Postings:
        """All postings counted (the batches are handed over: a build holds them once)."""
        self.flush()

        def take(parts: list[Int32Array]) -> Int32Array:
            out = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            parts.clear()
            return out

        self.ids = _TermIds()  # the term → id table is only needed while counting
        return Postings(self.vocabulary, take(self._out_terms), take(self._out_chunks), take(self._out_tfs))


def build_snapshot(documents: Sequence[Document], alias_groups: Sequence[Sequence[str]],
                   settings: RetrievalSettings, problems: Sequence[Problem] = (),
                   previous: Snapshot | None = None) -> Snapshot:
    """Chunk, analyse and index ``documents``; documents unchanged since ``previous`` (same id and
    content hash, same aliases and chunking) are carried over instead of analysed again."""
    started = time.perf_counter()
    groups = tuple(tuple(g) for g in alias_groups)
    analyzer = Analyzer(memo_limit=BUILD_MEMO).with_aliases(groups)
    reuse = previous if previous is not None and previous.reusable_by(groups, settings) else None
    old_position = {(d.doc_id, d.content_hash): i for i, d in enumerate(reuse.documents)} if reuse else {}
    counter = _TermCounter(analyzer)
    pieces: list[tuple[ChunkTable, int, int] | DocChunks] = []
    kept_chunks = np.full(len(reuse.chunks) if reuse else 0, -1, dtype=np.int64)
    length_pieces: list[Int32Array] = []
    n_chunks = 0
    for doc in documents:
        j = old_position.get((doc.doc_id, doc.content_hash))
        if reuse is not None and j is not None:
            c0, c1 = int(reuse.chunks.doc_chunk[j]), int(reuse.chunks.doc_chunk[j + 1])
            kept_chunks[c0:c1] = np.arange(n_chunks, n_chunks + c1 - c0)
            last = pieces[-1] if pieces else None
            if isinstance(last, tuple) and last[2] == j:  # extend the run of reused documents
                pieces[-1] = (reuse.chunks, last[1], j + 1)
            else:
                pieces.append((reuse.chunks, j, j + 1))
            length_pieces.append(reuse.index.doc_len[c0:c1].astype(np.int32))
            n_chunks += c1 - c0
            continue
        doc_chunks = chunk_document(doc, settings)
        counter.add(doc, doc_chunks, n_chunks)
        pieces.append(doc_chunks)
        length_pieces.append(np.full(len(doc_chunks.chunk_para), -1, dtype=np.int32))  # filled below
        n_chunks += len(doc_chunks.chunk_para)
    counter.flush()  # counts the last batch, which also sets its paragraphs' lengths
    analyzer.clear_memo()  # analysis is over: its memo goes before the merge, the memory peak
    table = ChunkTable.assemble(documents, pieces)
    del pieces
    doc_len = np.concatenate(length_pieces) if length_pieces else np.empty(0, dtype=np.int32)
    counter.fill_lengths(doc_len)
    arrays = merge_arrays(doc_len, counter.postings(), reuse.index.arrays if reuse else None,
                          kept_chunks if reuse else None)
    index = BM25Index(arrays, BM25Params.from_settings(settings))
    return Snapshot(table, index, groups, analyzer.aliases, settings, tuple(problems), time.time(),
                    time.perf_counter() - started, tuple(d.title for d in documents))


def load_snapshot(knowledge_dir: Path, settings: RetrievalSettings, limits: LimitSettings | None = None,
                  previous: Snapshot | None = None) -> Snapshot:
    """Load the knowledge folder; broken files keep their last good version from ``previous``."""
    result = load_documents(knowledge_dir, previous.documents if previous else (), limits)
    problems = list(result.problems)
    try:
        aliases = load_aliases(knowledge_dir, limits)
    except ProblemError as exc:
        problems.extend(exc.problems)
        aliases = previous.alias_groups if previous else ()
    return build_snapshot(result.documents, aliases, settings, problems, previous)
