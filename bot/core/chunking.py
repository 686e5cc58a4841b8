"""Documents → chunks: paragraphs, long ones split into overlapping sentence windows.

A chunk remembers the character span of each of its sentences inside its paragraph, so
an answer can quote whole sentences verbatim without re-splitting text at query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.documents import Document, Paragraph

# A sentence ends at . ! ? (…) optionally followed by closing quotes or brackets, then
# whitespace and something that can start a sentence. A line break also ends a sentence
# (block-quote attribution lines, list items). A full stop after a known abbreviation
# ("Mr.", "U.S.") or a single letter (an initial) does not; those are negative
# look-behinds, one per length, since Python's look-behinds have a fixed width.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k u.n no nos fig cf approx gen col lt sgt rev "
    "jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp".split()
)


def _not_after_abbreviation() -> str:
    """Look-behinds rejecting "<abbreviation>." where the abbreviation is a whole run of
    letters and dots (preceded by something else, or by the start of the text)."""
    by_length: dict[int, list[str]] = {}
    for word in [*sorted(_ABBREVIATIONS), "[a-z]"]:
        by_length.setdefault(1 if word == "[a-z]" else len(word), []).append(
            word if word == "[a-z]" else re.escape(word))
    parts = []
    for words in by_length.values():
        either = "|".join(words)
        parts.append(rf"(?<![^A-Za-z.](?ai:{either})\.)(?<!^(?ai:{either})\.)")
    return "".join(parts)


# Two patterns, each starting with what it must consume (a punctuation mark, a line
# break) so the regex engine can skip ahead to candidates instead of trying every position.
# Each matches the white space between two sentences in its group 1.
_AFTER_PUNCTUATION = re.compile(
    rf"[.!?…]{_not_after_abbreviation()}[\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
_AROUND_LINE_BREAK = re.compile(r"([^\S\n]*\n\s*)")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int

    def __reduce__(self) -> tuple[type[Span], tuple[int, int]]:
        # Unpickling through the constructor is several times faster than the dataclass
        # default, which matters for the saved index (hundreds of thousands of spans).
        return (Span, (self.start, self.end))


def split_sentences(text: str) -> tuple[Span, ...]:
    """Character spans of the sentences of ``text`` (surrounding whitespace excluded)."""
    gaps = [m.span(1) for m in _AFTER_PUNCTUATION.finditer(text)]
    if "\n" in text:  # both kinds of gap are whole runs of white space: the same run is the same gap
        gaps = sorted({*gaps, *(m.span(1) for m in _AROUND_LINE_BREAK.finditer(text))})
    starts = [len(text) - len(text.lstrip()), *(end for _, end in gaps)]
    ends = [*(start for start, _ in gaps), len(text.rstrip())]
    return tuple(Span(a, b) for a, b in zip(starts, ends, strict=True) if b > a)


@dataclass(frozen=True, slots=True)
class Chunk:
    """The unit of retrieval. ``sentences`` are spans inside ``paragraph.text``."""

    chunk_id: str
    doc_id: str
    paragraph: Paragraph
    sentences: tuple[Span, ...]
    first_sentence: int  # index of sentences[0] in paragraph_sentences
    paragraph_sentences: tuple[Span, ...]  # all sentences of the paragraph (shared by its chunks)

    def __reduce__(self) -> tuple[type[Chunk], tuple[object, ...]]:
        return (Chunk, (self.chunk_id, self.doc_id, self.paragraph, self.sentences, self.first_sentence,
                        self.paragraph_sentences))

    @property
    def last_sentence(self) -> int:
        return self.first_sentence + len(self.sentences) - 1

    @property
    def text(self) -> str:
        return self.paragraph.text[self.sentences[0].start:self.sentences[-1].end]


def chunk_paragraph(doc_id: str, paragraph: Paragraph, max_sentences: int, overlap: int,
                    max_chars: int) -> list[Chunk]:
    """A paragraph is one chunk unless it is long; then overlapping windows of sentences."""
    spans = split_sentences(paragraph.text)
    base_id = f"{doc_id}#p{paragraph.number}"
    if len(spans) <= max_sentences and len(paragraph.text) <= max_chars:
        return [Chunk(base_id, doc_id, paragraph, spans, 0, spans)]
    stride = max(1, max_sentences - overlap)
    chunks: list[Chunk] = []
    start = 0
    while True:
        window = spans[start:start + max_sentences]
        chunks.append(Chunk(f"{base_id}.w{len(chunks) + 1}", doc_id, paragraph, window, start, spans))
        if start + max_sentences >= len(spans):
            break
        start += stride
    return chunks


def chunk_documents(documents: Iterable[Document], max_sentences: int = 4, overlap: int = 1,
                    max_chars: int = 900) -> list[Chunk]:
    return [
        chunk
        for doc in documents
        for paragraph in doc.paragraphs
        for chunk in chunk_paragraph(doc.doc_id, paragraph, max_sentences, overlap, max_chars)
    ]
