"""Saved index: a restart answers exactly as a fresh build, and any change invalidates it."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core import persist
from bot.core.config import RetrievalSettings
from bot.core.corpus_gen import generate
from bot.core.engine import Engine, load_snapshot
from bot.core.persist import load_or_build, load_saved_snapshot, save_snapshot

SETTINGS = RetrievalSettings()


@pytest.fixture
def kb(tmp_path: Path) -> tuple[Path, list[str]]:
    corpus = generate(600, seed=11, n_questions=25)
    return corpus.write(tmp_path / "kb"), list(corpus.questions)


def answers(snap, questions: list[str]) -> list[dict]:  # type: ignore[no-untyped-def]
    engine = Engine(snap)
    return [engine.ask(q).to_json() for q in questions]


def test_saved_snapshot_answers_like_a_fresh_build(kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, questions = kb
    built = load_snapshot(folder, SETTINGS)
    save_snapshot(built, folder, tmp_path / "data")
    assert (tmp_path / "data" / "index" / "manifest.json").exists()
    loaded = load_saved_snapshot(folder, tmp_path / "data", SETTINGS)
    assert loaded is not None
    assert [c.chunk_id for c in loaded.chunks] == [c.chunk_id for c in built.chunks]
    assert loaded.documents == built.documents
    assert answers(loaded, questions) == answers(built, questions)
    assert sum(Engine(loaded).ask(q).answered for q in questions) > 0
    for name in ("postings", "codes", "indptr", "doc_len"):
        assert np.array_equal(getattr(loaded.index.arrays, name), getattr(built.index.arrays, name))


@pytest.mark.parametrize("change", ["edit", "add", "remove", "aliases", "settings"])
def test_any_change_invalidates_the_saved_index(kb: tuple[Path, list[str]], tmp_path: Path,
                                                change: str) -> None:
    folder, _ = kb
    save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    settings = SETTINGS
    files = sorted(folder.glob("*.md"))
    if change == "edit":
        files[0].write_bytes(files[0].read_bytes() + b"\nOne more paragraph.\n")
    elif change == "add":
        (folder / "new.md").write_bytes(b"---\ntitle: New\n---\n\nFresh text here.\n")
    elif change == "remove":
        files[-1].unlink()
    elif change == "aliases":
        (folder / "aliases.yaml").write_bytes(b"aliases:\n  - [Zorb, Zorbulon]\n")
    else:
        settings = replace(SETTINGS, k1=SETTINGS.k1 + 0.1)
    assert load_saved_snapshot(folder, tmp_path / "data", settings) is None
    # load_or_build rebuilds, saves, and the next start-up uses the new save.
    rebuilt = load_or_build(folder, tmp_path / "data", settings)
    again = load_saved_snapshot(folder, tmp_path / "data", settings)
    assert again is not None and len(again.chunks) == len(rebuilt.chunks)


def test_start_up_does_not_reread_files_whose_size_and_time_are_unchanged(
        kb: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, _ = kb
    save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    hashed: list[int] = []
    real = persist.content_hash
    monkeypatch.setattr(persist, "content_hash", lambda data: hashed.append(1) or real(data))
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is not None
    assert hashed == []  # every file was recognised by its size and modification time
    files = sorted(folder.glob("*.md"))
    files[0].write_bytes(files[0].read_bytes().replace(b"---\n\n", b"---\n\nChanged. ", 1))
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is None  # the edit is seen
    assert hashed == [1]  # ...by re-reading only the changed file


def test_a_tampered_pickle_is_refused_not_executed(kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, _ = kb
    target = save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (marker,))

    (target / "objects.pickle").write_bytes(pickle.dumps((Evil(), (), (), ())))
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is None
    assert not marker.exists()


def test_incremental_reload_after_start_up_reanalyses_only_the_changed_file(
        kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, questions = kb
    save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    loaded = load_saved_snapshot(folder, tmp_path / "data", SETTINGS)
    assert loaded is not None
    files = sorted(folder.glob("*.md"))
    files[1].write_bytes(files[1].read_bytes() + b"\nThe Zorbulon treaty was signed in Quexville.\n")
    reloaded = load_snapshot(folder, SETTINGS, previous=loaded)
    fresh = load_snapshot(folder, SETTINGS)
    assert answers(reloaded, [*questions, "Zorbulon treaty Quexville"]) == answers(
        fresh, [*questions, "Zorbulon treaty Quexville"])
    # Unchanged documents kept their parsed objects and chunks from the saved snapshot.
    unchanged = files[0].stem
    assert reloaded.documents_by_id[unchanged] is loaded.documents_by_id[unchanged]
    first_chunk = next(c for c in reloaded.chunks if c.doc_id == unchanged)
    assert first_chunk is next(c for c in loaded.chunks if c.doc_id == unchanged)
