"""Saved index: a restart answers exactly as a fresh build, any change invalidates it, and the
saved files are plain arrays and JSON, private, crash-safe, never code."""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import msgspec
import numpy as np
import pytest

from bench.corpus_gen import generate
from bot.core.config import LimitSettings, RetrievalSettings
from bot.core.engine import Engine
from bot.core.index import saved
from bot.core.index.build import Snapshot, load_snapshot
from bot.core.index.saved import load_or_build, load_saved_snapshot, save_snapshot

SETTINGS = RetrievalSettings()
LIMITS = LimitSettings()


@pytest.fixture
def kb(tmp_path: Path) -> tuple[Path, list[str]]:
    corpus = generate(600, seed=11, n_questions=25)
    return corpus.write(tmp_path / "kb"), list(corpus.questions)


def answers(snap: Snapshot, questions: list[str]) -> list[dict[str, object]]:
    engine = Engine(snap)
    return [engine.ask(q).to_json() for q in questions]


def chunk_ids(snap: Snapshot) -> list[str]:
    return [snap.chunks.chunk_id(i) for i in range(len(snap.chunks))]


def test_saved_snapshot_answers_like_a_fresh_build(kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, questions = kb
    built = load_snapshot(folder, SETTINGS)
    save_snapshot(built, folder, tmp_path / "data")
    assert (tmp_path / "data" / "index" / "manifest.json").exists()
    loaded = load_saved_snapshot(folder, tmp_path / "data", SETTINGS)
    assert loaded is not None
    assert chunk_ids(loaded) == chunk_ids(built)
    assert loaded.documents == built.documents
    assert answers(loaded, questions) == answers(built, questions)
    assert sum(Engine(loaded).ask(q).answered for q in questions) > 0
    for name in ("indptr", "gap_ptr", "gaps", "tf_at", "tf_val", "doc_len"):
        assert np.array_equal(getattr(loaded.index.arrays, name), getattr(built.index.arrays, name))


def test_the_saved_index_is_arrays_and_json_only_and_private(kb: tuple[Path, list[str]],
                                                             tmp_path: Path) -> None:
    folder, _ = kb
    old_umask = os.umask(0o022)
    try:
        target = save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    finally:
        os.umask(old_umask)
    assert {p.suffix for p in target.iterdir()} == {".npy", ".json"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in target.iterdir())
    for p in target.glob("*.npy"):
        np.load(p, allow_pickle=False)  # no object arrays: loading cannot run code


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
        settings = msgspec.structs.replace(SETTINGS, k1=SETTINGS.k1 + 0.1)
    assert load_saved_snapshot(folder, tmp_path / "data", settings) is None
    # load_or_build rebuilds, saves, and the next start-up uses the new save.
    rebuilt = load_or_build(folder, tmp_path / "data", settings)
    again = load_saved_snapshot(folder, tmp_path / "data", settings)
    assert again is not None and len(again.chunks) == len(rebuilt.chunks)


def test_start_up_does_not_reread_files_whose_size_and_time_are_unchanged(
        kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, _ = kb
    save_snapshot(load_snapshot(folder, SETTINGS), folder, tmp_path / "data")
    manifest = tmp_path / "data" / "index" / "manifest.json"
    known = msgspec.json.decode(manifest.read_bytes())["files"]
    files = sorted(folder.glob("*.md"))
    # A file recognised by size and time is not read: a wrong recorded hash goes unnoticed...
    forged = dict(known, **{files[0].name: [*known[files[0].name][:2], "0" * 64]})
    assert saved._file_hashes(folder, LIMITS, forged)[files[0].name][2] == "0" * 64
    # ...while a file whose time changed is read again and gets its true hash.
    os.utime(files[0], ns=(files[0].stat().st_atime_ns, files[0].stat().st_mtime_ns + 10**9))
    assert saved._file_hashes(folder, LIMITS, forged)[files[0].name][2] == known[files[0].name][2]


def test_an_edit_between_the_build_and_its_save_is_not_keyed_as_current(
        kb: tuple[Path, list[str]], tmp_path: Path) -> None:
    """The key records what the build read, not what is on disk when it is saved: a file
    changed in between makes the next start-up rebuild instead of serving the older text."""
    folder, _ = kb
    built = load_snapshot(folder, SETTINGS)
    edited = sorted(folder.glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nZebras graze at dawn.\n", encoding="utf-8")
    save_snapshot(built, folder, tmp_path / "data")
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is None
    fresh = load_or_build(folder, tmp_path / "data", SETTINGS)
    assert any("Zebras graze at dawn." in fresh.chunks.text(i) for i in range(len(fresh.chunks)))
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is not None  # saved again, current


@pytest.mark.parametrize("damage", ["truncate", "garbage_json", "wrong_length", "manifest_not_a_mapping",
                                    "mismatched_table", "postings_out_of_range", "gap_cut_mid_value",
                                    "postings_not_ascending", "tf_of_one_listed", "unsorted_vocabulary"])
def test_a_damaged_saved_index_is_ignored_not_trusted(kb: tuple[Path, list[str]], tmp_path: Path,
                                                      damage: str) -> None:
    folder, questions = kb
    built = load_snapshot(folder, SETTINGS)
    target = save_snapshot(built, folder, tmp_path / "data")
    if damage == "truncate":
        data = (target / "gaps.npy").read_bytes()
        (target / "gaps.npy").write_bytes(data[: len(data) // 2])
    elif damage == "garbage_json":
        (target / "documents.json").write_bytes(b'{"documents": [1, 2')
    elif damage == "manifest_not_a_mapping":
        (target / "manifest.json").write_bytes(b"[1, 2]")
    elif damage == "mismatched_table":
        np.save(target / "para_sent.npy", np.zeros(1, dtype=np.int64))
    elif damage == "postings_out_of_range":
        gaps = np.load(target / "gaps.npy")
        np.save(target / "gaps.npy", np.full_like(gaps, 0x7F))  # every gap 127: past the last chunk
    elif damage == "gap_cut_mid_value":
        gaps = np.load(target / "gaps.npy")
        gaps[-1] |= 0x80  # the last value never ends
        np.save(target / "gaps.npy", gaps)
    elif damage == "postings_not_ascending":
        gaps = np.load(target / "gaps.npy")
        gap_ptr = np.load(target / "gap_ptr.npy")
        indptr = np.load(target / "indptr.npy")
        # A term in two chunks or more whose last gap is one byte: that gap becomes 0.
        t = next(t for t in np.flatnonzero(np.diff(indptr) > 1) if gaps[int(gap_ptr[t + 1]) - 2] < 0x80)
        gaps[int(gap_ptr[t + 1]) - 1] = 0
        np.save(target / "gaps.npy", gaps)
    elif damage == "tf_of_one_listed":
        np.save(target / "tf_at.npy", np.zeros(1, dtype=np.uint32))
        np.save(target / "tf_val.npy", np.ones(1, dtype=np.uint8))
    elif damage == "unsorted_vocabulary":
        terms = json.loads((target / "vocabulary.json").read_text())
        (target / "vocabulary.json").write_text(json.dumps(terms[::-1]))
    else:
        np.save(target / "doc_len.npy", np.zeros(3, dtype=np.int32))
    assert load_saved_snapshot(folder, tmp_path / "data", SETTINGS) is None
    assert answers(load_or_build(folder, tmp_path / "data", SETTINGS), questions) == answers(built, questions)


def test_a_writer_killed_mid_save_leaves_nothing_behind_for_long(kb: tuple[Path, list[str]],
                                                                  tmp_path: Path) -> None:
    folder, _ = kb
    data = tmp_path / "data"
    data.mkdir()
    # A folder like the one a killed writer leaves: named after a process that no longer runs.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    leftover = data / f".index-{dead.stdout.strip()}-abc123"
    leftover.mkdir()
    (leftover / "postings.npy").write_bytes(b"partial")
    mine = data / f".index-{os.getpid()}-inprogress"  # a save of this very process, in progress
    mine.mkdir()
    save_snapshot(load_snapshot(folder, SETTINGS), folder, data)
    assert not leftover.exists()
    assert mine.exists()
    assert sorted(p.name for p in data.iterdir()) == sorted(["index", mine.name])


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
    # Unchanged documents kept their parsed objects from the saved snapshot.
    unchanged = files[0].stem
    before = next(d for d in loaded.documents if d.doc_id == unchanged)
    assert next(d for d in reloaded.documents if d.doc_id == unchanged) is before


def test_the_saved_document_table_is_the_documents_schema_exactly(kb: tuple[Path, list[str]],
                                                                   tmp_path: Path) -> None:
    """documents.json is written a document at a time; it must still decode as one object with
    the documents, alias groups and problems the snapshot had."""
    import msgspec

    from bot.core.index.saved import _Saved

    folder, _ = kb
    built = load_snapshot(folder, SETTINGS)
    target = save_snapshot(built, folder, tmp_path / "data")
    saved = msgspec.json.decode((target / "documents.json").read_bytes(), type=_Saved)
    assert saved.documents == built.documents and saved.alias_groups == built.alias_groups
    assert [tuple(p) for p in saved.problems] == [(p.path, p.line, p.message) for p in built.problems]


def test_the_saved_index_key_covers_every_module_a_build_runs() -> None:
    """A saved index made by other code must never be taken as current: every module that
    loading documents and building the index imports is in the key (knowledge/markup.py, added
    later, was missing from a hand-written list). Imports are followed in the source, from the
    modules a build starts at."""
    root = Path(__file__).resolve().parent.parent
    todo = ["bot.core.index.build", "bot.core.index.saved", "bot.core.knowledge.documents"]
    seen: set[Path] = set()
    while todo:
        name = todo.pop()
        path = root / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = root / name.replace(".", "/") / "__init__.py"
        if path in seen or name in ("bot", "bot.core"):
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.core"):
                todo.append(node.module or "")
                todo += [f"{node.module}.{a.name}" for a in node.names
                         if (root / f"{node.module}.{a.name}".replace(".", "/")).with_suffix(".py").exists()]
    covered = {p.resolve() for p in saved._source_files()}
    # Settings are in the key as values; files.py only reads files.
    exempt = {root / "bot/core/config.py", root / "bot/core/files.py"}
    assert seen - exempt <= covered, sorted(map(str, seen - exempt - covered))
