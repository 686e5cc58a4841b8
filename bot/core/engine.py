"""The answer engine: a knowledge snapshot (documents → chunks → index) and ``ask``.

A :class:`Snapshot` is immutable and built off the event loop; :class:`Engine` holds the
current one and swaps in a new one atomically, so a question asked during a rebuild is
answered from the previous snapshot and never sees a half-built index.
"""

from __future__ import annotations

import functools
import gc
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.aliases import load_aliases
from bot.core.analysis import Analyzer
from bot.core.analysis_cache import MemoAnalyzer
from bot.core.answer import Answer, Outcome
from bot.core.build_cache import BuildCache, cache_key
from bot.core.chunking import Chunk
from bot.core.config import RetrievalSettings
from bot.core.documents import Document, load_documents
from bot.core.index import BM25Index, BM25Params
from bot.core.problems import Problem, ProblemError
from bot.core.query import QueryTerms
from bot.core.quotes import SentenceFacts
from bot.core.retrieval import rank_passages


@dataclass(frozen=True)
class Snapshot:
    """Everything needed to answer, derived from the knowledge files; disposable."""

    documents: tuple[Document, ...]
    alias_groups: tuple[tuple[str, ...], ...]
    analyzer: Analyzer
    chunks: tuple[Chunk, ...]
    index: BM25Index
    settings: RetrievalSettings
    problems: tuple[Problem, ...]
    built_at: float
    build_seconds: float
    # Per-document chunks and term counts, reused by the next build (see build_cache).
    cache: BuildCache | None = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def documents_by_id(self) -> dict[str, Document]:
        return {d.doc_id: d for d in self.documents}

    @functools.cached_property
    def facts_cache(self) -> dict[tuple[str, int], list[SentenceFacts]]:
        """Per-paragraph sentence analysis for quotes, filled as questions touch paragraphs."""
        return {}

    @functools.cached_property
    def topics(self) -> tuple[str, ...]:
        """Titles of the documents, computed once per snapshot (not once per question)."""
        return tuple(d.title for d in self.documents)

    def chunk_counts(self) -> dict[str, int]:
        counts = {d.doc_id: 0 for d in self.documents}
        for c in self.chunks:
            counts[c.doc_id] += 1
        return counts


def bm25_params(settings: RetrievalSettings) -> BM25Params:
    return BM25Params(settings.variant, settings.k1, settings.b, settings.delta, settings.epsilon)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building, then freeze what was built.

    A build allocates millions of small, acyclic objects (tokens, term lists); with the
    collector on, each full collection walks every live object, so the build time grows
    with the square of the corpus (23 s instead of a few at 100k chunks). Afterwards the
    new snapshot's objects (chunks, spans, paragraphs: ~700k at 100k chunks) would still
    be walked by the next collections, which hold the GIL for a quarter of a second each
    and stall the event loop; ``gc.freeze`` moves everything alive into the permanent
    generation, which the collector skips. Snapshots hold no reference cycles, so a
    replaced one is still freed by reference counting (tests/test_engine_memory.py).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def build_snapshot(documents: Sequence[Document], alias_groups: Sequence[Sequence[str]],
                   settings: RetrievalSettings, problems: Sequence[Problem] = (),
                   cache: BuildCache | None = None) -> Snapshot:
    """Chunk, analyse and index ``documents``; with ``cache`` (from the previous snapshot),
    documents whose content is unchanged are not analysed again."""
    with gc_paused():
        started = time.perf_counter()
        key = cache_key(alias_groups, settings)
        if cache is None or cache.key != key:
            cache = BuildCache(key, MemoAnalyzer().with_aliases(alias_groups))
        chunks, arrays = cache.build(documents, settings)
        index = BM25Index.from_arrays(arrays, bm25_params(settings))
        return Snapshot(tuple(documents), tuple(tuple(g) for g in alias_groups), cache.analyzer, chunks,
                        index, settings, tuple(problems), time.time(), time.perf_counter() - started, cache)


def load_snapshot(knowledge_dir: Path, settings: RetrievalSettings,
                  previous: Snapshot | None = None) -> Snapshot:
    """Load the knowledge folder; broken files keep their last good version from ``previous``."""
    result = load_documents(knowledge_dir, previous.documents if previous else ())
    problems = list(result.problems)
    try:
        aliases = load_aliases(knowledge_dir)
    except ProblemError as exc:
        problems.extend(exc.problems)
        aliases = previous.alias_groups if previous else ()
    return build_snapshot(result.documents, aliases, settings, problems,
                          previous.cache if previous else None)


class Engine:
    """Answers questions from the current snapshot; thread-safe, swap-in-place."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._lock = threading.Lock()

    @classmethod
    def from_folder(cls, knowledge_dir: Path, settings: RetrievalSettings) -> Engine:
        return cls(load_snapshot(knowledge_dir, settings))

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Install a new snapshot; returns the one it replaced."""
        with self._lock:
            old, self._snapshot = self._snapshot, snapshot
        return old

    def ask(self, question: str, top: int | None = None) -> Answer:
        snap = self._snapshot  # one read: the whole answer comes from one snapshot
        return answer_question(snap, question, top or snap.settings.top)


def answer_question(snap: Snapshot, question: str, top: int) -> Answer:
    question = question.strip()
    topics = snap.topics
    if not any(ch.isalnum() for ch in question):
        return Answer(question, Outcome.EMPTY_QUESTION, (),
                      "Your question is empty: ask in words, for example "
                      "“How many people were detained after the 2020 protests?”", topics)
    if not snap.chunks:
        return Answer(question, Outcome.NO_KNOWLEDGE, (), "The knowledge base is empty.", topics)
    query = QueryTerms.from_question(question, snap.analyzer, snap.index, snap.settings.generic_weight)
    if not query.terms:
        return Answer(question, Outcome.ONLY_COMMON_WORDS, (),
                      "Your question has only common words; name the person, place, event "
                      "or thing you want to know about.", topics)
    passages = rank_passages(snap, query, top)
    if not passages:
        return Answer(question, Outcome.NO_MATCH, (),
                      "Nothing in the knowledge base answers this.", topics)
    return Answer(question, Outcome.ANSWERED, tuple(passages), None, topics)
