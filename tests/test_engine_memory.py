"""Replaced snapshots are freed by reference counting alone.

Builds freeze what they allocate out of the cyclic collector's reach (see
``engine.gc_paused``), so a snapshot caught in a reference cycle would never be freed and
every reload would leak a whole index. These tests run with the collector off and check
that dropping a snapshot gives its memory back.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.config import RetrievalSettings
from bot.core.corpus_gen import generate
from bot.core.engine import Engine, load_snapshot


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
    engine.ask("What did the ministers agree?")  # fills the per-snapshot quote cache too
    first = engine.snapshot
    refs = [weakref.ref(first), weakref.ref(first.index), weakref.ref(first.analyzer)]
    assert first.cache is not None
    refs.append(weakref.ref(first.cache))
    del first
    engine.swap(load_snapshot(kb, settings))  # a full rebuild: nothing shared with the first
    assert [r() for r in refs] == [None] * len(refs)


def test_memory_returns_after_a_reload(kb: Path, collector_off: None) -> None:
    settings = RetrievalSettings()
    tracemalloc.start()
    try:
        engine = Engine(load_snapshot(kb, settings))
        engine.ask("What did the ministers agree?")
        one_snapshot = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            engine.swap(load_snapshot(kb, settings))
            engine.ask("What did the ministers agree?")
        after_reloads = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after_reloads < one_snapshot * 1.15, (one_snapshot, after_reloads)
