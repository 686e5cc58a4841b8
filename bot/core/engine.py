"""The answer engine: the current snapshot, and ``ask``.

A :class:`Snapshot` is immutable; :class:`Engine` holds the current one together with what
answering it needs besides (an analyzer with a small memo, and a bounded cache of the sentence
facts of paragraphs that questions reached), and swaps both in one step. A question asked during
a rebuild is answered from the previous snapshot and never sees a half-built index, and answering
writes nothing into any snapshot.

Time bound: a question is cut to ``limits.max_question_chars`` characters and 64 terms before
analysis, at most 8 unseen terms are matched to their relatives, alias phrases have at most 8
terms, and at most ``retrieval.candidates`` chunks are quoted, so the work per answer is bounded
whatever the question and the knowledge base hold (README, "Answer quality": time bound).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from bot.core.answer import Answer, Outcome, Passage
from bot.core.answering.acronyms import spelled_out
from bot.core.answering.names import written_as_name
from bot.core.answering.query import QueryTerms
from bot.core.answering.quotes import ParagraphFacts, paragraph_facts
from bot.core.answering.retrieval import (
    RankedWindows,
    evidence_terms,
    rank_passages,
    rank_windows,
    window_passage,
)
from bot.core.config import LimitSettings, RetrievalSettings
from bot.core.index.build import Snapshot, load_snapshot
from bot.core.text.analyzer import Analyzer

ANSWER_MEMO = 100_000  # word forms the answering analyzer remembers
FACTS_CACHE = 4096  # paragraphs whose sentence facts are kept
NAMES_CACHE = 10_000  # terms whose name-likeness is remembered


class _Answering:
    """A snapshot and what answering it needs besides; owned by the engine, replaced with it."""

    def __init__(self, snapshot: Snapshot, memo_limit: int = ANSWER_MEMO,
                 facts_limit: int = FACTS_CACHE) -> None:
        self.snapshot = snapshot
        self.analyzer = Analyzer(aliases=snapshot.aliases, memo_limit=memo_limit)
        self._facts: OrderedDict[int, ParagraphFacts] = OrderedDict()
        self._facts_limit = facts_limit
        self._lock = threading.Lock()
        self._names: dict[str, bool] = {}

    def written_as_name(self, term: str) -> bool:
        """:func:`~bot.core.answering.names.written_as_name` for this snapshot, remembered."""
        hit = self._names.get(term)
        if hit is None:
            if len(self._names) >= NAMES_CACHE:
                self._names.clear()
            snap = self.snapshot
            hit = self._names[term] = written_as_name(term, snap.index, snap.chunks, self.analyzer)
        return hit

    def facts_size(self) -> int:
        return len(self._facts)

    def facts_of(self, paragraph: int) -> ParagraphFacts:
        """Sentence facts of a global paragraph, computed once while it stays in the cache."""
        with self._lock:
            hit = self._facts.get(paragraph)
            if hit is not None:
                self._facts.move_to_end(paragraph)
                return hit
        chunks = self.snapshot.chunks
        text = chunks.paragraph(paragraph)
        facts = paragraph_facts(text.text, chunks.sentence_spans(paragraph), text.context, self.analyzer)
        with self._lock:
            self._facts[paragraph] = facts
            while len(self._facts) > self._facts_limit:
                self._facts.popitem(last=False)
        return facts


@dataclass(frozen=True, slots=True)
class DebugHit:
    """One chunk as BM25 ranked it, with what it matched of the question (``/kb test``)."""

    rank: int
    chunk_id: str
    title: str
    paragraph: int
    bm25: float
    coverage: float
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    preview: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """How the engine saw a question: its answer, its weighted terms, BM25's raw top chunks."""

    answer: Answer
    weights: dict[str, float]
    hits: tuple[DebugHit, ...]


DECLINE_UNUSED_WORDS = 5  # a decline names at most this many of the words the knowledge base never uses
RELATED_CHUNKS = 20  # BM25's best chunks whose documents a decline names first


def related_topics(snap: Snapshot, query: QueryTerms) -> tuple[str, ...]:
    """The knowledge base's titles for a decline, those of the documents BM25's best chunks come
    from first (best first): a question declined for want of matching words is often about one of
    them, and the reader can look there ("Releases and versioning" before "Server rules")."""
    chunks = snap.chunks
    near = dict.fromkeys(chunks.document_of(i).title for i, _ in snap.index.top(query.terms, RELATED_CHUNKS))
    return (*near, *(t for t in snap.topics if t not in near))


class Engine:
    """Answers questions from the current snapshot; thread-safe, swap-in-place."""

    def __init__(self, snapshot: Snapshot, limits: LimitSettings | None = None, *,
                 memo_limit: int = ANSWER_MEMO, facts_limit: int = FACTS_CACHE) -> None:
        self._caches = (memo_limit, facts_limit)
        self._state = _Answering(snapshot, *self._caches)
        self._lock = threading.Lock()
        self.limits = limits or LimitSettings()

    @classmethod
    def from_folder(cls, knowledge_dir: Path, settings: RetrievalSettings,
                    limits: LimitSettings | None = None) -> Engine:
        return cls(load_snapshot(knowledge_dir, settings, limits), limits)

    @property
    def snapshot(self) -> Snapshot:
        return self._state.snapshot

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Install a new snapshot (with a fresh answering state); returns the one it replaced."""
        state = _Answering(snapshot, *self._caches)
        with self._lock:
            old, self._state = self._state, state
        return old.snapshot

    def _query(self, state: _Answering, question: str) -> QueryTerms:
        snap = state.snapshot
        return QueryTerms.from_question(question[:self.limits.max_question_chars], state.analyzer,
                                        snap.index, snap.settings.generic_weight,
                                        snap.settings.unknown_name_share, state.written_as_name)

    def ask(self, question: str, top: int | None = None) -> Answer:
        state = self._state  # one read: the whole answer comes from one snapshot
        return self._answer(state, question, top or state.snapshot.settings.top)

    def _answer(self, state: _Answering, question: str, top: int) -> Answer:
        snap = state.snapshot
        question = question.strip()
        topics = snap.topics
        if not any(ch.isalnum() for ch in question[:self.limits.max_question_chars]):
            return Answer(question, Outcome.EMPTY_QUESTION, (),
                          "Your question is empty: ask in words, for example "
                          "“How many people were detained after the 2020 protests?”", topics)
        if not len(snap.chunks):
            return Answer(question, Outcome.NO_KNOWLEDGE, (), "The knowledge base is empty.", topics)
        query = self._query(state, question)
        if not query.terms:
            return Answer(question, Outcome.ONLY_COMMON_WORDS, (),
                          "Your question has only common words; name the person, place, event "
                          "or thing you want to know about.", topics)
        passages = rank_passages(query, snap.index, snap.chunks, state.facts_of, state.analyzer,
                                 snap.settings, top)
        if not passages:
            unused = query.unused_words(snap.index, as_written=True)[:DECLINE_UNUSED_WORDS]
            return Answer(question, Outcome.NO_MATCH, (), "Nothing in the knowledge base answers this.",
                          related_topics(snap, query), unused)
        return Answer(question, Outcome.ANSWERED, tuple(passages))  # topics are for declines

    def windows(self, question: str) -> tuple[QueryTerms, RankedWindows | None]:
        """The question's terms and every candidate window with its features and score, as the
        ranking saw them (for fitting the ranking's weights and for debugging)."""
        state = self._state
        snap = state.snapshot
        query = self._query(state, question.strip())
        if not query.terms:
            return query, None
        return query, rank_windows(query, snap.index, snap.chunks, state.facts_of, state.analyzer,
                                   snap.settings)

    def window_passage(self, ranked: RankedWindows, w: int, query: QueryTerms) -> Passage | None:
        """The passage window ``w`` of :meth:`windows` would be shown as."""
        state = self._state
        snap = state.snapshot
        found = window_passage(ranked, w, snap.chunks, state.analyzer, query, snap.index, snap.settings)
        return found[0] if found is not None else None

    def unused_words(self, question: str) -> tuple[str, ...]:
        """The question's words (as written, folded) that the knowledge base never uses, nor any
        relative of them: for ``/kb gaps``, the words an alias could join to the knowledge base's
        own ("coc" to "code of conduct"), in the question's order."""
        state = self._state
        return self._query(state, question.strip()).unused_words(state.snapshot.index)

    def spelled_out(self, abbreviation: str) -> str | None:
        """What an abbreviation ("coc") may stand for in the knowledge base ("Code of Conduct"):
        a suggestion for ``/kb gaps`` (:mod:`bot.core.answering.acronyms`)."""
        documents = self._state.snapshot.documents
        return spelled_out(abbreviation, (p.text for d in documents for p in d.paragraphs))

    def explain(self, question: str, k: int = 5) -> Explanation:
        """The answer, the question's weighted terms and the top ``k`` chunks by raw BM25 score
        (before any decline): the moderators' debug view asks this, it does not re-analyse."""
        state = self._state
        snap = state.snapshot
        answer = self._answer(state, question, snap.settings.top)
        query = self._query(state, question.strip())
        hits: list[DebugHit] = []
        chunks = snap.chunks
        for rank, (i, score) in enumerate(snap.index.top(query.terms, k) if query.terms else (), 1):
            first, last = chunks.chunk_sentences(i)  # the evidence the decision weighs
            present = evidence_terms(state.facts_of(int(chunks.chunk_para[i])), first, last)
            covered = query.covered(present)
            paragraph = chunks.chunk_paragraph(i)
            hits.append(DebugHit(rank, chunks.chunk_id(i), chunks.document_of(i).title, paragraph.number,
                                 score, query.coverage(present),
                                 tuple(t for t in query.groups if t in covered),
                                 tuple(t for t in query.groups if t not in covered),
                                 " ".join(chunks.text(i).split())[:160]))
        return Explanation(answer, dict(query.weights), tuple(hits))

    def cache_sizes(self) -> dict[str, int]:
        """Entries in the engine's own caches (bounded: word forms, paragraphs' sentence facts)."""
        state = self._state
        return {"word_forms": state.analyzer.memo_size(), "paragraphs": state.facts_size()}

    def describe_chunk(self, chunk_id: str) -> tuple[str, int, str] | None:
        """(document title, paragraph number, text) of a chunk id, or None when it is gone."""
        chunks = self.snapshot.chunks
        i = chunks.find(chunk_id)
        if i is None:
            return None
        return chunks.document_of(i).title, chunks.chunk_paragraph(i).number, chunks.text(i)

