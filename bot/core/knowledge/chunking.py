"""Documents → chunks: paragraphs, long ones split into overlapping windows of sentences.

The unit of retrieval is a chunk; the unit of quoting is a sentence. Both are kept as columns
of integers (:class:`ChunkTable`): a knowledge base of 100k paragraphs has ~700k sentences, and
an object per sentence costs memory, start-up time (they must be rebuilt or unpickled) and
garbage-collector pauses (every full collection walks them). Offsets point into the paragraph
text, so a quote is always cut from the text exactly as written.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.core.config import RetrievalSettings
from bot.core.knowledge.documents import Document, Paragraph
from bot.core.knowledge.sentences import split_sentences

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class DocChunks:
    """One document's sentences and chunks, in the document's own numbering (compact int arrays:
    a large build holds every new document's until the table is assembled)."""

    para_sent: array[int]  # per paragraph: its number of sentences
    sent_start: array[int]  # per sentence: offsets in its paragraph's text
    sent_end: array[int]
    chunk_para: array[int]  # per chunk: paragraph index in the document (0-based)
    chunk_first: array[int]  # first sentence, within the paragraph
    chunk_count: array[int]  # sentences in the chunk
    chunk_window: array[int]  # 0: the whole paragraph; else the window number (1-based)
    para_len: array[int]  # per paragraph: terms as indexed (heading and sentences), set when counted


def chunk_document(doc: Document, settings: RetrievalSettings) -> DocChunks:
    """A paragraph is one chunk unless it is long; then overlapping windows of sentences."""
    size, overlap, max_chars = settings.chunk_sentences, settings.chunk_overlap, settings.chunk_max_chars
    stride = max(1, size - overlap)
    out = DocChunks(*(array("i") for _ in range(8)))
    for k, paragraph in enumerate(doc.paragraphs):
        starts, ends = split_sentences(paragraph.text)
        if not starts:  # a paragraph is never empty, but keep one sentence whatever the splitter says
            starts, ends = [0], [len(paragraph.text)]
        n = len(starts)
        out.para_sent.append(n)
        out.sent_start.extend(starts)
        out.sent_end.extend(ends)
        if n <= size and len(paragraph.text) <= max_chars:
            windows = [(0, n, 0)]
        else:
            firsts = list(range(0, max(n - size, 0) + 1, stride))
            if firsts[-1] + size < n:
                firsts.append(firsts[-1] + stride)
            windows = [(f, min(size, n - f), w) for w, f in enumerate(firsts, 1)]
        for first, count, window in windows:
            out.chunk_para.append(k)
            out.chunk_first.append(first)
            out.chunk_count.append(count)
            out.chunk_window.append(window)
    return out


def _freeze(array: npt.NDArray[np.integer]) -> None:
    """Make ``array`` read-only (memory-mapped arrays of the saved index already are)."""
    if array.flags.writeable:
        array.setflags(write=False)


def _ptr(counts: Sequence[int] | npt.NDArray[np.integer]) -> Int64Array:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _decimal(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²", which ``int`` refuses."""
    return text.isascii() and text.isdecimal()


@dataclass(frozen=True, eq=False)
class ChunkTable:
    """Every document, paragraph, sentence and chunk of a snapshot, as columns.

    Numbering is global and in document order: paragraphs of document ``d`` are
    ``doc_para[d]:doc_para[d + 1]``, sentences of paragraph ``p`` are
    ``para_sent[p]:para_sent[p + 1]``, chunks of document ``d`` are ``doc_chunk[d]:doc_chunk[d + 1]``.
    """

    documents: tuple[Document, ...]
    doc_para: Int64Array
    para_sent: Int64Array
    sent_start: Int32Array
    sent_end: Int32Array
    doc_chunk: Int64Array
    chunk_para: Int32Array
    chunk_first: Int32Array
    chunk_count: Int32Array
    chunk_window: Int32Array
    para_len: Int32Array  # terms of each paragraph as indexed (heading and sentences)

    def __post_init__(self) -> None:
        # Derived once here, not on first use, and read-only: answering writes nothing into a snapshot.
        para_doc = np.repeat(np.arange(len(self.documents), dtype=np.int32), np.diff(self.doc_para))
        for column in (self.doc_para, self.para_sent, self.sent_start, self.sent_end, self.doc_chunk,
                      self.chunk_para, self.chunk_first, self.chunk_count, self.chunk_window, self.para_len,
                      para_doc):
            _freeze(column)
        avg = float(self.para_len.mean()) if len(self.para_len) else 0.0
        object.__setattr__(self, "avg_paragraph_terms", avg)
        object.__setattr__(self, "para_doc", para_doc)  # document of each paragraph
        object.__setattr__(self, "_by_id", {d.doc_id: i for i, d in enumerate(self.documents)})

    para_doc: Int32Array = field(init=False)
    avg_paragraph_terms: float = field(init=False)  # for BM25 over whole paragraphs
    _by_id: dict[str, int] = field(init=False, repr=False)

    def __len__(self) -> int:
        return len(self.chunk_para)

    # ---- assembling --------------------------------------------------------------------------

    @classmethod
    def assemble(cls, documents: Sequence[Document],
                 pieces: Sequence[tuple[ChunkTable, int, int] | DocChunks]) -> ChunkTable:
        """A table of ``documents`` from pieces in document order: fresh :class:`DocChunks`, or a
        run ``(table, first_doc, end_doc)`` of an earlier table reused as it is (no re-splitting)."""
        n_para, n_docs = 0, 0
        cols: dict[str, list[npt.NDArray[np.integer]]] = {k: [] for k in (
            "para_count", "sent_count", "sent_start", "sent_end", "chunk_count_per_doc", "chunk_para",
            "chunk_first", "chunk_count", "chunk_window", "para_len")}
        for piece in pieces:
            if isinstance(piece, DocChunks):
                cols["para_count"].append(np.array([len(piece.para_sent)], dtype=np.int64))
                cols["sent_count"].append(np.frombuffer(piece.para_sent, dtype=np.int32).astype(np.int64))
                cols["sent_start"].append(np.frombuffer(piece.sent_start, dtype=np.int32))
                cols["sent_end"].append(np.frombuffer(piece.sent_end, dtype=np.int32))
                cols["chunk_count_per_doc"].append(np.array([len(piece.chunk_para)], dtype=np.int64))
                cols["chunk_para"].append(np.frombuffer(piece.chunk_para, dtype=np.int32) + np.int32(n_para))
                cols["chunk_first"].append(np.frombuffer(piece.chunk_first, dtype=np.int32))
                cols["chunk_count"].append(np.frombuffer(piece.chunk_count, dtype=np.int32))
                cols["chunk_window"].append(np.frombuffer(piece.chunk_window, dtype=np.int32))
                assert len(piece.para_len) == len(piece.para_sent), "count a document before assembling"
                cols["para_len"].append(np.frombuffer(piece.para_len, dtype=np.int32))
                n_para += len(piece.para_sent)
                n_docs += 1
                continue
            table, d0, d1 = piece
            p0, p1 = int(table.doc_para[d0]), int(table.doc_para[d1])
            s0, s1 = int(table.para_sent[p0]), int(table.para_sent[p1])
            c0, c1 = int(table.doc_chunk[d0]), int(table.doc_chunk[d1])
            cols["para_count"].append(np.diff(table.doc_para[d0:d1 + 1]))
            cols["sent_count"].append(np.diff(table.para_sent[p0:p1 + 1]))
            cols["sent_start"].append(table.sent_start[s0:s1])
            cols["sent_end"].append(table.sent_end[s0:s1])
            cols["chunk_count_per_doc"].append(np.diff(table.doc_chunk[d0:d1 + 1]))
            cols["chunk_para"].append(table.chunk_para[c0:c1] - np.int32(p0) + np.int32(n_para))
            cols["chunk_first"].append(table.chunk_first[c0:c1])
            cols["chunk_count"].append(table.chunk_count[c0:c1])
            cols["chunk_window"].append(table.chunk_window[c0:c1])
            cols["para_len"].append(table.para_len[p0:p1])
            n_para += p1 - p0
            n_docs += d1 - d0
        assert n_docs == len(documents), "pieces must cover the documents exactly"

        def cat(name: str) -> Int32Array:
            parts = cols[name]
            joined = np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            return joined.astype(np.int32, copy=False)

        def counts(name: str) -> Int64Array:
            parts = cols[name]
            return _ptr(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64))

        return cls(tuple(documents), counts("para_count"), counts("sent_count"), cat("sent_start"),
                   cat("sent_end"), counts("chunk_count_per_doc"), cat("chunk_para"), cat("chunk_first"),
                   cat("chunk_count"), cat("chunk_window"), cat("para_len"))

    # ---- reading -----------------------------------------------------------------------------

    def doc_index(self, doc_id: str) -> int | None:
        return self._by_id.get(doc_id)

    def paragraph(self, p: int) -> Paragraph:
        """Global paragraph ``p``."""
        d = int(self.para_doc[p])
        return self.documents[d].paragraphs[p - int(self.doc_para[d])]

    def document_of(self, chunk: int) -> Document:
        return self.documents[int(self.para_doc[self.chunk_para[chunk]])]

    def chunk_paragraph(self, chunk: int) -> Paragraph:
        return self.paragraph(int(self.chunk_para[chunk]))

    def sentence_spans(self, p: int) -> list[tuple[int, int]]:
        """(start, end) of each sentence of global paragraph ``p``, in its text."""
        s0, s1 = int(self.para_sent[p]), int(self.para_sent[p + 1])
        return list(zip(self.sent_start[s0:s1].tolist(), self.sent_end[s0:s1].tolist(), strict=True))

    def chunk_sentences(self, chunk: int) -> tuple[int, int]:
        """First and last sentence (inclusive, within the paragraph) of ``chunk``."""
        first = int(self.chunk_first[chunk])
        return first, first + int(self.chunk_count[chunk]) - 1

    def chunk_id(self, chunk: int) -> str:
        """Stable id: ``doc#p4`` for a whole paragraph, ``doc#p4.w2`` for its second window."""
        paragraph = self.chunk_paragraph(chunk)
        window = int(self.chunk_window[chunk])
        base = f"{self.document_of(chunk).doc_id}#p{paragraph.number}"
        return f"{base}.w{window}" if window else base

    def find(self, chunk_id: str) -> int | None:
        """The chunk with this id, or None (a chunk id from before a knowledge change)."""
        doc_id, _, rest = chunk_id.partition("#p")
        d = self.doc_index(doc_id)
        number, _, window = rest.partition(".w")
        if d is None or not _decimal(number) or (window and not _decimal(window)):
            return None
        p = int(self.doc_para[d]) + int(number) - 1
        if not int(self.doc_para[d]) <= p < int(self.doc_para[d + 1]):
            return None
        c0, c1 = int(self.doc_chunk[d]), int(self.doc_chunk[d + 1])
        hits = np.flatnonzero((self.chunk_para[c0:c1] == p) & (self.chunk_window[c0:c1] == int(window or 0)))
        return c0 + int(hits[0]) if len(hits) else None

    def text(self, chunk: int) -> str:
        """The chunk's text: from its first sentence's start to its last sentence's end."""
        p = int(self.chunk_para[chunk])
        s = int(self.para_sent[p]) + int(self.chunk_first[chunk])
        e = s + int(self.chunk_count[chunk]) - 1
        return self.paragraph(p).text[int(self.sent_start[s]):int(self.sent_end[e])]

    def counts_by_document(self) -> dict[str, int]:
        """Chunks per document id."""
        counts = np.diff(self.doc_chunk).tolist()
        return {d.doc_id: int(n) for d, n in zip(self.documents, counts, strict=True)}

    def memory_bytes(self) -> int:
        arrays = (self.doc_para, self.para_sent, self.sent_start, self.sent_end, self.doc_chunk,
                  self.chunk_para, self.chunk_first, self.chunk_count, self.chunk_window, self.para_len)
        return sum(a.nbytes for a in arrays)


def segments(doc: Document, chunks: DocChunks) -> tuple[list[str], list[tuple[int, int, int]],
                                                       list[tuple[int, int, int]]]:
    """What a document's chunks are indexed as, each piece of text once: each paragraph's section
    heading (a heading says what its paragraphs are about, so its words count for them) and its
    sentences. Per chunk, and per paragraph: (heading segment or -1, first sentence segment, one
    past the last)."""
    out: list[str] = []
    spec: list[tuple[int, int, int]] = []
    paragraphs: list[tuple[int, int, int]] = []
    first_segment: list[tuple[int, int]] = []  # per paragraph: heading segment, first sentence segment
    s = 0
    for paragraph, n in zip(doc.paragraphs, chunks.para_sent, strict=True):
        heading = -1
        context = paragraph.context
        if context:
            heading = len(out)
            out.append(context)
        first_segment.append((heading, len(out)))
        text = paragraph.text
        ends = chunks.sent_end[s:s + n]
        out.extend(text[a:b] for a, b in zip(chunks.sent_start[s:s + n], ends, strict=True))
        paragraphs.append((heading, first_segment[-1][1], len(out)))
        s += n
    for k, first, count in zip(chunks.chunk_para, chunks.chunk_first, chunks.chunk_count, strict=True):
        heading, start = first_segment[k]
        spec.append((heading, start + first, start + first + count))
    return out, spec, paragraphs
