"""The answer object: what every renderer (command line, JSON, Discord) draws from.

Renderers never look at the index; they only read these frozen records, so the command
line and the bot show exactly the same passages, quotes and citations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote as url_quote


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
        }


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    outcome: Outcome
    passages: tuple[Passage, ...]
    message: str | None = None  # why there is no answer, in words a user understands
    topics: tuple[str, ...] = ()  # titles of what the knowledge base does cover, for declines

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWERED

    def to_json(self) -> dict[str, Any]:
        """The public ``ask --json`` contract (documented in the README)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "passages": [p.to_json() for p in self.passages] if self.answered else [],
        }


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
