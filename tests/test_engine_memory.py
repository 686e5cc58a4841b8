"""Snapshots are immutable and freed promptly; the engine's own caches are bounded.

No process-wide collector tricks are used: a snapshot must hold no reference cycles so that a
replaced one is freed by reference counting the moment the last question using it finishes,
and nothing a question does may grow a snapshot or the engine without bound.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.corpus_gen import generate
from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import Snapshot, load_snapshot

QUESTIONS = ["What did the ministers agree?", "Who leads the council?", "When was the treaty signed?",
             "How many troops crossed the border?", "Zorblax quuxification of the wibble"]


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return generate(3000, seed=4, n_questions=5).write(tmp_path / "kb")


def test_a_replaced_snapshot_is_freed_without_the_collector(kb: Path, collector_off: None) -> None:
    settings = RetrievalSettings()
    engine = Engine(load_snapshot(kb, settings))
    for q in QUESTIONS:
        engine.ask(q)  # fills the engine's caches for this snapshot too
    first = engine.snapshot
    refs = [weakref.ref(first), weakref.ref(first.index), weakref.ref(first.chunks)]
    del first
    engine.swap(load_snapshot(kb, settings))  # a full rebuild: nothing shared with the first
    assert [r() for r in refs] == [None] * len(refs)


def _state(snap: Snapshot) -> list[object]:
    arrays = [getattr(snap.chunks, name) for name in ("doc_para", "para_sent", "sent_start", "sent_end",
                                                       "doc_chunk", "chunk_para", "chunk_first")]
    arrays += [getattr(snap.index.arrays, name)
               for name in ("indptr", "gap_ptr", "gaps", "tf_at", "tf_val", "doc_len")]
    return [len(snap.index.terms), len(snap.documents), *(a.tobytes() for a in arrays),
            sorted(vars(snap)), sorted(vars(snap.chunks)), sorted(vars(snap.index))]


def test_answering_writes_nothing_into_the_snapshot(kb: Path) -> None:
    engine = Engine(load_snapshot(kb, RetrievalSettings()))
    snap = engine.snapshot
    before = _state(snap)
    for i in range(300):
        engine.ask(f"{QUESTIONS[i % len(QUESTIONS)]} unseenword{i} Quux{i}")
        engine.explain(QUESTIONS[i % len(QUESTIONS)])
    assert _state(snap) == before
    with pytest.raises(ValueError, match="read-only"):
        snap.index.arrays.gaps[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        snap.chunks.sent_start[0] = np.int32(1)


def test_the_engines_caches_stay_within_their_bounds(kb: Path) -> None:
    engine = Engine(load_snapshot(kb, RetrievalSettings()), memo_limit=500, facts_limit=20)
    for i in range(2000):
        engine.ask(f"what about word{i}x{i * 7} and thing{i} in the council?")
    sizes = engine.cache_sizes()
    assert 0 < sizes["word_forms"] <= 3 * 500
    assert 0 < sizes["paragraphs"] <= 20


def test_memory_returns_after_a_reload(kb: Path, collector_off: None) -> None:
    settings = RetrievalSettings()
    tracemalloc.start()
    try:
        engine = Engine(load_snapshot(kb, settings))
        engine.ask(QUESTIONS[0])
        one_snapshot = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            engine.swap(load_snapshot(kb, settings, previous=engine.snapshot))
            engine.swap(load_snapshot(kb, settings))
            engine.ask(QUESTIONS[0])
        after_reloads = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after_reloads < one_snapshot * 1.15, (one_snapshot, after_reloads)
