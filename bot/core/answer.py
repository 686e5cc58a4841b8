"""The answer object: what every renderer (command line, JSON, Discord) draws from.

Renderers never look at the index; they only read these frozen records, so the command
line and the bot show exactly the same passages, quotes and citations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote as url_quote

RECORD_VERSION = 1  # of the to_record() shape; from_record() refuses any other


class Outcome(StrEnum):
    ANSWERED = "answered"
    NO_MATCH = "no_match"  # the knowledge base does not cover the question
    EMPTY_QUESTION = "empty_question"  # nothing but spaces or punctuation
    ONLY_COMMON_WORDS = "only_common_words"  # "what is it?": no word to search for
    NO_KNOWLEDGE = "no_knowledge"  # the knowledge base is empty


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str
    title: str
    published: str | None
    url: str | None
    paragraphs: tuple[int, ...]
    section: str | None
    link: str | None  # url with a #:~:text= fragment pointing at the quoted sentence

    @property
    def location(self) -> str:
        first, last = self.paragraphs[0], self.paragraphs[-1]
        return f"¶{first}" if first == last else f"¶{first}–{last}"

    def describe(self) -> str:
        """One line a reader can check: title, section, ¶, date."""
        parts = [self.title]
        if self.section:
            parts.append(self.section)
        parts.append(self.location)
        if self.published:
            parts.append(self.published)
        return " · ".join(parts)

    def to_record(self) -> dict[str, Any]:
        """Every field, JSON-ready: see :meth:`Answer.to_record`."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "published": self.published,
            "url": self.url,
            "paragraphs": list(self.paragraphs),
            "section": self.section,
            "link": self.link,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Citation:
        if not _list(data, "paragraphs"):
            raise ValueError("answer record: a citation names at least one paragraph")
        return cls(
            doc_id=_text(data, "doc_id"),
            title=_text(data, "title"),
            published=_optional_text(data, "published"),
            url=_optional_text(data, "url"),
            paragraphs=tuple(_whole(v, "paragraphs") for v in _list(data, "paragraphs")),
            section=_optional_text(data, "section"),
            link=_optional_text(data, "link"),
        )


@dataclass(frozen=True, slots=True)
class Passage:
    chunk_id: str
    score: float
    quote: str
    highlights: tuple[tuple[int, int], ...]  # character spans in ``quote`` of matched terms
    text: str  # the whole chunk
    citation: Citation
    matched_terms: tuple[str, ...]
    coverage: float
    # Distinctive words of the question (a year, a number, a name) the quote does not hold, as the
    # question wrote them: a reader can judge a near miss ("not found in the quote: 1990").
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        c = self.citation
        return {
            "document": c.doc_id,
            "title": c.title,
            "published": c.published,
            "url": c.url,
            "location": c.location,
            "paragraphs": list(c.paragraphs),
            "score": round(self.score, 6),
            "quote": self.quote,
            "text": self.text,
            "missing": list(self.missing),
        }

    def to_record(self) -> dict[str, Any]:
        """Every field, JSON-ready: see :meth:`Answer.to_record`."""
        return {
            "chunk_id": self.chunk_id,
            "score": self.score,
            "quote": self.quote,
            "highlights": [[start, end] for start, end in self.highlights],
            "text": self.text,
            "citation": self.citation.to_record(),
            "matched_terms": list(self.matched_terms),
            "coverage": self.coverage,
            "missing": list(self.missing),
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Passage:
        spans = []
        for span in _list(data, "highlights"):
            if not isinstance(span, list) or len(span) != 2:
                raise ValueError("answer record: a highlight must be [start, end]")
            spans.append((_whole(span[0], "highlights"), _whole(span[1], "highlights")))
        citation = data.get("citation")
        if not isinstance(citation, Mapping):
            raise ValueError("answer record: 'citation' must be a mapping")
        return cls(
            chunk_id=_text(data, "chunk_id"),
            score=_number(data, "score"),
            quote=_text(data, "quote"),
            highlights=tuple(spans),
            text=_text(data, "text"),
            citation=Citation.from_record(citation),
            matched_terms=tuple(_item_text(v, "matched_terms") for v in _list(data, "matched_terms")),
            coverage=_number(data, "coverage"),
            missing=tuple(_item_text(v, "missing") for v in _list(data, "missing"))
            if "missing" in data else (),  # records written before the field existed
        )


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    outcome: Outcome
    passages: tuple[Passage, ...]
    message: str | None = None  # why there is no answer, in words a user understands
    topics: tuple[str, ...] = ()  # titles of what the knowledge base does cover, for declines
    # For a decline: the question's words that the knowledge base never uses, nor any relative
    # of them (names as the question wrote them, other words folded), at most five: the reader
    # can ask again in the files' own words.
    unused_words: tuple[str, ...] = ()

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWERED

    def to_json(self) -> dict[str, Any]:
        """The public ``ask --json`` contract (documented in the README)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "passages": [p.to_json() for p in self.passages] if self.answered else [],
            "unused_words": [] if self.answered else list(self.unused_words),
        }

    def to_record(self) -> dict[str, Any]:
        """The whole answer as JSON-ready data, for storing what a user was shown.

        Why not :meth:`to_json`: that is the public command-line contract and leaves out what
        rendering needs (highlights, sections, links). A button pressed days later re-renders any
        page from this record exactly, with no new retrieval; :meth:`from_record` gives back an
        equal Answer.
        """
        return {
            "version": RECORD_VERSION,
            "question": self.question,
            "outcome": self.outcome.value,
            "passages": [p.to_record() for p in self.passages],
            "message": self.message,
            "topics": list(self.topics),
            "unused_words": list(self.unused_words),
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Answer:
        """The Answer :meth:`to_record` stored; ValueError for a record of another version or shape."""
        if not isinstance(data, Mapping) or data.get("version") != RECORD_VERSION:
            raise ValueError(f"answer record: not version {RECORD_VERSION}")
        try:
            outcome = Outcome(_text(data, "outcome"))
        except ValueError:
            raise ValueError(f"answer record: unknown outcome {data.get('outcome')!r}") from None
        passages = []
        for item in _list(data, "passages"):
            if not isinstance(item, Mapping):
                raise ValueError("answer record: a passage must be a mapping")
            passages.append(Passage.from_record(item))
        return cls(
            question=_text(data, "question"),
            outcome=outcome,
            passages=tuple(passages),
            message=_optional_text(data, "message"),
            topics=tuple(_item_text(v, "topics") for v in _list(data, "topics")),
            unused_words=tuple(_item_text(v, "unused_words") for v in _list(data, "unused_words"))
            if "unused_words" in data else (),  # records written before the field existed
        )


def _text(data: Mapping[str, Any], key: str) -> str:
    return _item_text(data.get(key), key)


def _item_text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"answer record: {key!r} must be text")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else _item_text(value, key)


def _whole(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"answer record: {key!r} must hold whole numbers")
    return value


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"answer record: {key!r} must be a number")
    return float(value)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"answer record: {key!r} must be a list")
    return value


def text_fragment_link(url: str, sentence: str) -> str:
    """A link that scrolls to and highlights ``sentence`` (URL text fragments)."""
    words = sentence.split()

    def enc(s: str) -> str:
        return url_quote(s, safe="")

    base = url.split("#", 1)[0]
    if len(words) <= 8:
        fragment = enc(" ".join(words))
    else:
        fragment = f"{enc(' '.join(words[:4]))},{enc(' '.join(words[-4:]))}"
    return f"{base}#:~:text={fragment}"
