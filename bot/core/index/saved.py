"""The saved index under ``<data_dir>/index/``: a snapshot as plain arrays and JSON, no pickle.

A restart (of the bot, or of ``python -m bot ask``/``eval``) should not re-analyse every file.
What is saved is everything derived from the knowledge files:

- one ``.npy`` file per array of the index and of the chunk table (loaded memory-mapped, so
  only the pages a question touches become resident);
- ``vocabulary.json`` (the sorted terms) and ``documents.json`` (the parsed documents, alias
  groups and problems);
- ``manifest.json``, whose key hashes what the saved data depends on: every knowledge file's
  content hash, the aliases file, the retrieval settings, the stopwords and the source of the
  modules that produced it. Any difference and the saved index is ignored (and rebuilt).

Nothing in it can run code when read (``allow_pickle=False``, JSON decoded into the core's own
dataclasses), and it is private to the bot's user. A new index is written to a hidden folder that
is renamed into place, so a crash leaves the old index or the new one; folders left by a writer
that was killed are removed by the next save.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from bot.core import problems as problem_reports
from bot.core.config import LimitSettings, RetrievalSettings
from bot.core.files import OutsideFolder, create_private, fsync_dir, make_private_dir, read_inside
from bot.core.index import bm25, build, varint
from bot.core.index.bm25 import BM25Index, BM25Params, IndexArrays
from bot.core.index.build import Snapshot
from bot.core.index.vocabulary import Vocabulary
from bot.core.knowledge import sentences
from bot.core.knowledge.aliases import ALIASES_FILE
from bot.core.knowledge.chunking import ChunkTable
from bot.core.knowledge.documents import Document, content_hash, knowledge_files
from bot.core.problems import Problem
from bot.core.text import analyzer, words
from bot.core.text.analyzer import AliasTable, Analyzer

FORMAT = 4
INDEX_DIR = "index"
_TEMP = re.compile(r"^\.index-(?:old-)?(\d+)-")
# Everything that decides documents, chunks and terms: whole packages, so that a module added to
# one of them (as knowledge/markup.py was) cannot be left out of the key by accident.
_SOURCE_PACKAGES = (analyzer, sentences, bm25)  # one module of each of text/, knowledge/, index/
_SOURCE_MODULES = (problem_reports,)
_INDEX_ARRAYS = ("doc_len", "indptr", "gap_ptr", "gaps", "tf_at", "tf_val")
_TABLE_ARRAYS = ("doc_para", "para_sent", "sent_start", "sent_end", "doc_chunk", "chunk_para",
                 "chunk_first", "chunk_count", "chunk_window", "para_len")
_MAPPED = frozenset({"gaps", "sent_start", "sent_end", "chunk_para", "chunk_first",
                     "chunk_count", "chunk_window", "doc_len"})


class _Saved(msgspec.Struct, frozen=True):
    """``documents.json``: what the arrays do not hold."""

    documents: tuple[Document, ...]
    alias_groups: tuple[tuple[str, ...], ...]
    problems: tuple[tuple[str, int | None, str], ...]


@functools.cache
def _code_hash() -> str:
    """Hash of the code that decides documents, chunks and terms, as imported (the code actually
    running), and of its word lists."""
    h = hashlib.sha256()
    for path in _source_files():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _source_files() -> list[Path]:
    files = [Path(m.__file__ or "") for m in _SOURCE_MODULES]
    for module in _SOURCE_PACKAGES:
        folder = Path(module.__file__ or "").parent
        files += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".py", ".txt"))
    return files


FileStats = dict[str, list[Any]]  # file name -> [size, mtime_ns, content hash]


def _file_hashes(knowledge_dir: Path, limits: LimitSettings, known: FileStats | None = None,
                 built: Snapshot | None = None) -> FileStats:
    """Content hash of every file the snapshot depends on.

    A file whose size and modification time match ``known`` keeps its recorded hash without being
    read again (as git's index does). A file that cannot be read, or points outside the folder,
    is recorded as such (the loader reports it); its target is never read.

    ``built`` (when saving): its documents' own stamps and hashes are recorded, not the disk's, so
    an edit that lands after the build read a file is seen at the next start-up as a change (a
    stale index is never keyed as current). Other files (a broken one, ``aliases.yaml``) changed
    since the build started are recorded as unknown, for the same reason.
    """
    out: FileStats = {}
    paths = list(knowledge_files(knowledge_dir))
    if (knowledge_dir / ALIASES_FILE).exists():
        paths.append(knowledge_dir / ALIASES_FILE)
    read_as: dict[str, list[Any]] = {}
    since = 0
    if built is not None:
        read_as = {Path(d.path).name: [d.stamp[0], d.stamp[1], d.content_hash]
                   for d in built.documents if d.stamp is not None}
        since = int((built.built_at - built.build_seconds - 2.0) * 1e9)  # 2 s: coarse file times
    for path in paths:
        if path.name in read_as:
            out[path.name] = read_as[path.name]
            continue
        try:
            st = path.stat()
        except OSError:
            out[path.name] = [None, None, "unreadable"]
            continue
        old = (known or {}).get(path.name)
        if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            out[path.name] = old
            continue
        if built is not None and st.st_mtime_ns >= since:
            out[path.name] = [st.st_size, st.st_mtime_ns, "changed during the build"]
            continue
        try:
            digest = content_hash(read_inside(path, knowledge_dir, limits.max_file_bytes))
        except OutsideFolder:
            digest = "outside"
        except OSError:
            digest = "unreadable"
        out[path.name] = [st.st_size, st.st_mtime_ns, digest]
    return out


def snapshot_key(settings: RetrievalSettings, limits: LimitSettings, files: FileStats) -> str:
    """Hash of everything a saved snapshot depends on: files, aliases, settings, code."""
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT, msgspec.to_builtins(settings), msgspec.to_builtins(limits),
                         sorted(words.DEFAULT_STOPWORDS), _code_hash()], sort_keys=True).encode())
    for name in sorted(files):
        h.update(f"{name}\0{files[name][2]}\0".encode())
    return h.hexdigest()


def _remove_abandoned(data_dir: Path) -> None:
    """Remove ``.index-*`` folders whose writer is no longer running (killed mid-save)."""
    with contextlib.suppress(OSError):
        for entry in data_dir.iterdir():
            m = _TEMP.match(entry.name)
            if m is None or not entry.is_dir():
                continue
            pid = int(m.group(1))
            alive = True  # our own (a save in progress) or another process's that still runs
            if pid != os.getpid():
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    alive = False
                except PermissionError:
                    pass
            if not alive:
                shutil.rmtree(entry, ignore_errors=True)


def _save_array(folder: Path, name: str, array: np.ndarray[Any, Any]) -> None:
    with create_private(folder / f"{name}.npy") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _save_bytes(folder: Path, name: str, data: bytes) -> None:
    with create_private(folder / name) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _save_documents(folder: Path, snap: Snapshot) -> None:
    """``documents.json`` as one :class:`_Saved` object, written a document at a time: the
    paragraph texts are most of the knowledge base, and encoding them as one bytes object
    would hold a second copy of it in memory during the save."""
    encode = msgspec.json.Encoder().encode
    problems = tuple((p.path, p.line, p.message) for p in snap.problems)
    with create_private(folder / "documents.json") as f:
        f.write(b'{"documents":[')
        for i, doc in enumerate(snap.documents):
            f.write(b"," + encode(doc) if i else encode(doc))
        f.write(b'],"alias_groups":' + encode(snap.alias_groups) + b',"problems":' + encode(problems) + b"}")
        f.flush()
        os.fsync(f.fileno())


def save_snapshot(snap: Snapshot, knowledge_dir: Path, data_dir: Path,
                  limits: LimitSettings | None = None) -> Path:
    """Write ``snap`` under ``data_dir/index`` (a new private folder renamed into place)."""
    limits = limits or LimitSettings()
    make_private_dir(data_dir)
    _remove_abandoned(data_dir)
    target = data_dir / INDEX_DIR
    files = _file_hashes(knowledge_dir, limits, built=snap)
    key = snapshot_key(snap.settings, limits, files)
    tmp = Path(tempfile.mkdtemp(prefix=f".index-{os.getpid()}-", dir=data_dir))  # mode 0700
    try:
        a = snap.index.arrays
        for name in _INDEX_ARRAYS:
            _save_array(tmp, name, getattr(a, name))
        for name in _TABLE_ARRAYS:
            _save_array(tmp, name, getattr(snap.chunks, name))
        _save_bytes(tmp, "vocabulary.json", msgspec.json.encode(a.terms.to_list()))
        _save_documents(tmp, snap)
        _save_bytes(tmp, "manifest.json", json.dumps({
            "format": FORMAT, "key": key, "saved_at": time.time(), "chunks": len(snap.chunks),
            "documents": len(snap.documents), "files": files}).encode())
        fsync_dir(tmp)
        old = None
        if target.exists():
            old = data_dir / f".index-old-{os.getpid()}-{time.monotonic_ns()}"
            target.rename(old)
        tmp.rename(target)
        fsync_dir(data_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _load_arrays(folder: Path, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: np.load(folder / f"{name}.npy", allow_pickle=False,
                          mmap_mode="r" if name in _MAPPED else None) for name in names}


def _ascending_from_zero(offsets: Any, end: int) -> bool:
    """``offsets`` is a valid offsets array (0, …, ``end``, never decreasing)."""
    return (len(offsets) >= 1 and int(offsets[0]) == 0 and int(offsets[-1]) == end
            and bool(np.all(np.diff(offsets) >= 0)))


def _within(values: Any, end: int) -> bool:
    return len(values) == 0 or (int(values.min()) >= 0 and int(values.max()) < end)


def _postings_valid(arrays: IndexArrays, n_chunks: int) -> bool:
    """Each term's gaps decode to as many chunks as its df, ascending and below ``n_chunks``; the
    listed tfs point at postings, in order, and are not 1. Checked a block of terms at a time
    (the temporaries of one block, not of the whole index)."""
    n_terms, n_post = len(arrays.terms), arrays.n_postings
    if not (len(arrays.indptr) == n_terms + 1 and len(arrays.gap_ptr) == n_terms + 1
            and _ascending_from_zero(arrays.indptr, n_post)
            and _ascending_from_zero(arrays.gap_ptr, len(arrays.gaps))
            and len(arrays.tf_at) == len(arrays.tf_val) and _within(arrays.tf_at, n_post)
            and bool(np.all(np.diff(arrays.tf_at.astype(np.int64)) > 0))
            and (not len(arrays.tf_val) or int(arrays.tf_val.min()) != 1)):
        return False
    for t0, t1 in arrays.term_blocks():
        g0 = int(arrays.gap_ptr[t0])
        data = arrays.gaps[g0:int(arrays.gap_ptr[t1])]
        spans = np.asarray(arrays.gap_ptr[t0:t1 + 1], dtype=np.int64) - g0
        df = np.diff(np.asarray(arrays.indptr[t0:t1 + 1], dtype=np.int64))
        ends = spans[1:][df > 0] - 1
        if not np.array_equal(varint.ends_per_span(data, spans), df) or bool(np.any(data[ends] >= 0x80)):
            return False  # a term's count is wrong, or its last value runs over into the next term
        chunks = arrays.chunks_of(t0, t1)
        later = np.ones(len(chunks), dtype=bool)
        later[(np.asarray(arrays.indptr[t0:t1], dtype=np.int64) - int(arrays.indptr[t0]))[df > 0]] = False
        if not (bool(np.all(np.diff(chunks)[later[1:]] > 0)) and _within(chunks, n_chunks)):
            return False
    return True


def _consistent(table: ChunkTable, arrays: IndexArrays) -> bool:
    """Every array of a loaded index agrees in length and range with the others, so that a file
    swapped or damaged on disk is refused at start-up rather than raising at question time."""
    n_docs, n_para, n_chunks = len(table.documents), len(table.para_len), len(table.chunk_para)
    n_sent = len(table.sent_start)
    paragraphs = np.fromiter((len(d.paragraphs) for d in table.documents), dtype=np.int64, count=n_docs)
    return (
        _ascending_from_zero(table.doc_para, n_para)
        and bool(np.array_equal(np.diff(table.doc_para), paragraphs))
        and _ascending_from_zero(table.para_sent, n_sent) and len(table.sent_end) == n_sent
        and _ascending_from_zero(table.doc_chunk, n_chunks)
        and all(len(column) == n_chunks for column in (
            table.chunk_first, table.chunk_count, table.chunk_window, arrays.doc_len))
        and _within(table.chunk_para, n_para)
        and _postings_valid(arrays, n_chunks)
    )


def load_saved_snapshot(knowledge_dir: Path, data_dir: Path, settings: RetrievalSettings,
                        limits: LimitSettings | None = None) -> Snapshot | None:
    """The saved snapshot if it matches the knowledge folder and settings exactly, else None."""
    limits = limits or LimitSettings()
    folder = data_dir / INDEX_DIR
    started = time.perf_counter()
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            return None
        known = manifest.get("files") if isinstance(manifest.get("files"), dict) else None
        if manifest.get("format") != FORMAT:
            return None
        files = _file_hashes(knowledge_dir, limits, known)
        if manifest.get("key") != snapshot_key(settings, limits, files):
            return None
        saved = msgspec.json.decode((folder / "documents.json").read_bytes(), type=_Saved)
        terms = msgspec.json.decode((folder / "vocabulary.json").read_bytes(), type=list[str])
        if any(a >= b for a, b in itertools.pairwise(terms)) or any("\0" in t for t in terms):
            return None  # the vocabulary must be sorted and distinct: lookups bisect it
        index_arrays = _load_arrays(folder, _INDEX_ARRAYS)
        table_arrays = _load_arrays(folder, _TABLE_ARRAYS)
        arrays = IndexArrays(Vocabulary(terms), **index_arrays)
        table = ChunkTable(saved.documents, **table_arrays)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, msgspec.DecodeError):
        return None  # damaged or from another version: rebuilt, never a crash at start-up
    if not _consistent(table, arrays):
        return None
    table_aliases: AliasTable = Analyzer().with_aliases(saved.alias_groups).aliases
    index = BM25Index(arrays, BM25Params.from_settings(settings))
    problems = tuple(Problem(path, line, message) for path, line, message in saved.problems)
    return Snapshot(table, index, saved.alias_groups, table_aliases, settings, problems, time.time(),
                    time.perf_counter() - started, tuple(d.title for d in saved.documents))


def load_or_build(knowledge_dir: Path, data_dir: Path, settings: RetrievalSettings,
                  limits: LimitSettings | None = None, save: bool = True) -> Snapshot:
    """Start-up: the saved snapshot when still valid, otherwise a fresh build (then saved)."""
    snap = load_saved_snapshot(knowledge_dir, data_dir, settings, limits)
    if snap is not None:
        return snap
    snap = build.load_snapshot(knowledge_dir, settings, limits)
    if save:
        # A read-only data folder only costs the next start-up a rebuild.
        with contextlib.suppress(OSError):
            save_snapshot(snap, knowledge_dir, data_dir, limits)
    return snap


__all__ = ["load_or_build", "load_saved_snapshot", "save_snapshot", "snapshot_key"]
