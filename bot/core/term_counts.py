"""Chunks → (chunk, term, count) rows, for a whole document at a time.

An index build spends most of its time turning text into term counts. Analysing chunk by
chunk costs a Python call, a list of term strings and a dictionary lookup per token, and
analyses the sentences that neighbouring windows share twice. Here a document is analysed
once: its headings and sentences are joined around a separator word, the text is split at
white space (a C loop, several times faster than the token pattern), each word is looked
up once in a memo of *term ids* (not strings), and numpy expands words to terms, applies
aliases, and gathers and counts each chunk's sentences. The terms are exactly those of
analysing each heading and sentence on its own with :meth:`Analyzer.terms` (see
:func:`reference_chunk_terms`; tests/test_build_differential.py compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import numpy.typing as npt

from bot.core.analysis import (
    _NEEDS_FULL_PATTERN,
    _TOKEN_PLAIN_STRINGS,
    _TOKEN_STRINGS,
    Analyzer,
    token_strings,
)
from bot.core.analysis_cache import MemoAnalyzer
from bot.core.chunking import Chunk

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

# The separator between a document's segments (headings, sentences): a word of its own,
# which the token pattern can neither match as part of a token nor join across, so
# segments tokenise as if alone. A document that contains it takes the reference path.
SEPARATOR = "\x00"
_FULL = re.compile(f"{_TOKEN_STRINGS.pattern}|{SEPARATOR}")
_PLAIN = re.compile(f"{_TOKEN_PLAIN_STRINGS.pattern}|{SEPARATOR}")


def chunk_segments(chunk: Chunk) -> list[str]:
    """What a chunk is indexed as: its section heading (a heading says what its paragraphs
    are about, so its words count for them too), then each of its sentences."""
    text = chunk.paragraph.text
    heading = [chunk.paragraph.section] if chunk.paragraph.section else []
    return heading + [text[s.start:s.end] for s in chunk.sentences]


def reference_chunk_terms(chunks: Sequence[Chunk], analyzer: Analyzer) -> list[list[str]]:
    """The index terms of each chunk, segment by segment: the slow, obvious definition."""
    return [[term for segment in chunk_segments(chunk) for term in analyzer.terms(segment)]
            for chunk in chunks]


@dataclass(frozen=True, slots=True)
class ChunkCounts:
    """Term counts of consecutive chunks, chunk-major."""

    rows: Int32Array  # term id per (chunk, distinct term)
    tfs: Int32Array  # its count in the chunk
    uniq: Int32Array  # distinct terms per chunk
    lens: Int32Array  # tokens per chunk


class _Growable:
    """An append-only list of ints with an int64 array view, for vocabularies.

    Appends go to the list (cheap, one at a time); :attr:`array` copies only what was
    appended since the last call into a buffer that grows by doubling.
    """

    def __init__(self, initial: Sequence[int] = ()) -> None:
        self.values: list[int] = list(initial)
        self._data = np.zeros(1024, dtype=np.int64)
        self._synced = 0

    @property
    def array(self) -> Int64Array:
        n = len(self.values)
        if n > self._synced:
            if n > len(self._data):
                grown = np.zeros(max(n, 2 * len(self._data)), dtype=np.int64)
                grown[:self._synced] = self._data[:self._synced]
                self._data = grown
            self._data[self._synced:n] = self.values[self._synced:n]
            self._synced = n
        return self._data[:n]


class TermCounter:
    """An append-only vocabulary, and a memo from raw token to its term ids.

    Ids are global and never reused, so counts computed for one document stay valid while
    other documents add terms. The memo is two-level so that the per-token Python work is a
    single dictionary lookup: a raw token ("Belarus's", "the", "Russia-Belarus") maps to a
    *form* number, and numpy expands forms to their term *slots* (zero for a stopword,
    several for a compound). A slot is a term id + 1; slot 0 is the separator, so one
    array lookup (``_canon``) applies single-term aliases and marks separators at once.
    """

    def __init__(self, analyzer: MemoAnalyzer, terms: Sequence[str] = ()) -> None:
        self.analyzer = analyzer
        self.terms: list[str] = []
        self._ids: dict[str, int] = {}
        self._forms: dict[str, int] = {SEPARATOR: 0}
        self._form_start = _Growable([0])  # form → its slots, CSR-style
        self._form_len = _Growable([1])
        self._form_slots = _Growable([0])
        self._digit_edges = _Growable([0])  # form → 1 if it starts with a digit, + 2 if it ends with one
        self._canon = _Growable([-1])  # slot → id of its aliased term; -1 for the separator
        self._single = analyzer.aliases.single
        for term in terms:
            self._id(term)
        table = analyzer.aliases
        self._phrases = {tuple(self._id(t) + 1 for t in seq): self._id(canonical)
                         for seq, canonical in table.phrases.items()}
        self._phrase_starts = np.array(sorted({seq[0] for seq in self._phrases}), dtype=np.int64)
        self._longest = max((len(seq) for seq in self._phrases), default=0)

    def _id(self, term: str) -> int:
        tid = self._ids.get(term)
        if tid is None:
            tid = self._ids[term] = len(self.terms)
            self.terms.append(term)
            canonical = self._single.get(term, term)
            canon = self._canon.values
            canon.append(-1)  # reserve the slot before the aliased term takes an id
            canon[tid + 1] = tid if canonical == term else self._id(canonical)
        return tid

    def _form(self, word: str) -> int:
        """Number a new whitespace-delimited word (or raw token) and store its term slots."""
        slots = [self._id(term) + 1 for raw in token_strings(word) for term in self.analyzer.raw_terms(raw)]
        form = self._forms[word] = len(self._forms)
        self._form_start.values.append(len(self._form_slots.values))
        self._form_len.values.append(len(slots))
        self._form_slots.values.extend(slots)
        self._digit_edges.values.append(word[0].isdigit() | (word[-1].isdigit() << 1))
        return form

    def _slots(self, text: str) -> Int64Array:
        """The term slots of ``text``, in order (slot 0 at each separator).

        Splitting at white space is several times faster than the token pattern, and a word
        between spaces tokenises the same alone as in its text, with one exception: the
        pattern reads "37 000" as one number. Where a word ending in a digit is followed
        by one starting with a digit, the text is tokenised with the pattern instead.
        """
        forms = self._forms_of(text.split())
        edges = self._digit_edges.array
        if len(forms) > 1 and np.any((edges[forms[:-1]] & 2) & (edges[forms[1:]] & 1) << 1):
            pattern = _FULL if _NEEDS_FULL_PATTERN.search(text) else _PLAIN
            forms = self._forms_of(pattern.findall(text))
        lens = self._form_len.array[forms]
        offsets = np.repeat(self._form_start.array[forms] - (np.cumsum(lens) - lens), lens)
        slots: Int64Array = self._form_slots.array[np.arange(len(offsets), dtype=np.int64) + offsets]
        return slots

    def _forms_of(self, words: list[str]) -> Int64Array:
        forms = np.fromiter(map(self._forms.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        for i in np.flatnonzero(forms < 0).tolist():
            form = self._forms.get(words[i])  # a word seen twice in this text is new only once
            forms[i] = self._form(words[i]) if form is None else form
        return forms

    def _ids_with_phrases(self, slots: Int64Array) -> Int64Array:
        """Aliased term ids (-1 at separators), with each phrase's group term after its first word."""
        ids = self._canon.array[slots]
        if not self._longest:
            return ids
        found = np.flatnonzero(np.isin(slots, self._phrase_starts))
        if not len(found):
            return ids
        at: list[int] = []
        values: list[int] = []
        for i in found.tolist():
            for n in range(2, self._longest + 1):
                canonical = self._phrases.get(tuple(slots[i:i + n].tolist()))
                if canonical is not None:
                    at.append(i + 1)
                    values.append(canonical)
        return np.insert(ids, at, values) if at else ids

    def _reference_counts(self, chunks: Sequence[Chunk]) -> ChunkCounts:
        """Counts by analysing each segment on its own: for text that holds the separator."""
        words = reference_chunk_terms(chunks, self.analyzer)
        lens = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        ids = np.fromiter(map(self._id, chain.from_iterable(words)), dtype=np.int64, count=int(lens.sum()))
        return _count(np.repeat(np.arange(len(words), dtype=np.int64), lens), ids, lens, len(self.terms))

    def count(self, chunks: Sequence[Chunk]) -> ChunkCounts:
        """Term counts of ``chunks`` (typically one document's, in order)."""
        segments, spec = _segments(chunks)
        joined = f" {SEPARATOR} ".join(segments)
        if not chunks or joined.count(SEPARATOR) != len(segments) - 1:  # the text holds the separator
            return self._reference_counts(chunks)
        ids = self._ids_with_phrases(self._slots(joined))
        separators = ids < 0
        segment_of = np.cumsum(separators)[~separators]
        ids = ids[~separators]
        seg_start = np.zeros(len(segments) + 1, dtype=np.int64)
        np.cumsum(np.bincount(segment_of, minlength=len(segments)), out=seg_start[1:])
        # Each chunk is two runs of the flat id array: its heading's ids, then its sentences'.
        heading = np.maximum(spec[:, 0], 0)
        heading_size = np.where(spec[:, 0] >= 0, seg_start[heading + 1] - seg_start[heading], 0)
        starts = np.column_stack([seg_start[heading], seg_start[spec[:, 1]]]).ravel()
        sizes = np.column_stack([heading_size, seg_start[spec[:, 2]] - seg_start[spec[:, 1]]]).ravel()
        lens = sizes.reshape(-1, 2).sum(axis=1)
        run_offset = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        gathered = ids[np.arange(len(run_offset), dtype=np.int64) + run_offset]
        return _count(np.repeat(np.arange(len(chunks), dtype=np.int64), lens), gathered, lens,
                      len(self.terms))


def _segments(chunks: Sequence[Chunk]) -> tuple[list[str], Int64Array]:
    """The headings and sentences of the chunks' paragraphs, each once, and per chunk the
    segment numbers of its heading (-1: none), its first sentence and one past its last."""
    segments: list[str] = []
    spec: list[tuple[int, int, int]] = []
    first_of: dict[int, tuple[int, int]] = {}  # paragraph (by identity) → its heading, first sentence
    for chunk in chunks:
        para = chunk.paragraph
        where = first_of.get(id(para))
        if where is None:
            heading = -1
            if para.section:
                heading = len(segments)
                segments.append(para.section)
            where = first_of[id(para)] = (heading, len(segments))
            text = para.text
            segments.extend([text[s.start:s.end] for s in chunk.paragraph_sentences])
        start = where[1] + chunk.first_sentence
        spec.append((where[0], start, start + len(chunk.sentences)))
    return segments, np.array(spec, dtype=np.int64).reshape(-1, 3)


def _count(chunk_of: Int64Array, ids: Int64Array, lens: Int64Array, width: int) -> ChunkCounts:
    """Distinct (chunk, term) pairs with their counts: one sort instead of a Counter per chunk."""
    width = max(width, 1)
    keys, tfs = np.unique(chunk_of * width + ids, return_counts=True)
    uniq = np.bincount(keys // width, minlength=len(lens))
    return ChunkCounts((keys % width).astype(np.int32), tfs.astype(np.int32), uniq.astype(np.int32),
                       lens.astype(np.int32))
