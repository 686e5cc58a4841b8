"""A saved snapshot under ``<data_dir>/index/``, so a restart does not re-analyse every file.

What is saved is everything derived from the knowledge files: the parsed documents and
their chunks (``objects.pickle``), the index arrays and the per-document term counts of
the build cache (``arrays.npz``), and ``manifest.json``, whose key hashes what the saved
data depends on: every knowledge file's content hash, the aliases file, the retrieval
settings, the stopwords, and the source of the modules that produced it. Any difference
and the saved index is ignored (and rebuilt by the caller).

The pickle is read with an allow-list unpickler that only builds the core's own
dataclasses and plain containers, so a tampered file cannot run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import analysis, analysis_cache, build_cache, chunking, documents, index, term_counts
from bot.core.analysis_cache import MemoAnalyzer
from bot.core.build_cache import BuildCache, cache_key
from bot.core.config import RetrievalSettings
from bot.core.documents import ALIASES_FILE, content_hash, knowledge_files
from bot.core.engine import Snapshot, bm25_params, gc_paused
from bot.core.index import BM25Index, IndexArrays

FORMAT = 2
INDEX_DIR = "index"
_SOURCES = (analysis, analysis_cache, build_cache, chunking, documents, index, term_counts)
_ALLOWED = {
    ("bot.core.documents", "Document"), ("bot.core.documents", "Paragraph"),
    ("bot.core.chunking", "Chunk"), ("bot.core.chunking", "Span"),
    ("bot.core.problems", "Problem"),
}


@functools.cache
def _code_hash() -> str:
    """Hash of the analysing modules' source as imported (once: the code actually running)."""
    h = hashlib.sha256()
    for module in _SOURCES:
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()


FileStats = dict[str, list[Any]]  # file name -> [size, mtime_ns, content hash]


def _file_hashes(knowledge_dir: Path, known: FileStats | None = None) -> FileStats:
    """Content hash of every file the snapshot depends on.

    A file whose size and modification time match ``known`` keeps its recorded hash
    without being read again (as git's index does): at 100k chunks, reading and hashing
    every file is 0.4 s of a start-up that should take under a second.
    """
    out: FileStats = {}
    paths = list(knowledge_files(knowledge_dir))
    aliases = knowledge_dir / ALIASES_FILE
    if aliases.exists():
        paths.append(aliases)
    for path in paths:
        st = path.stat()
        old = (known or {}).get(path.name)
        if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            out[path.name] = old
        else:
            out[path.name] = [st.st_size, st.st_mtime_ns, content_hash(path.read_bytes())]
    return out


def snapshot_key(knowledge_dir: Path, settings: RetrievalSettings, known: FileStats | None = None,
                 files: FileStats | None = None) -> str:
    """Hash of everything a saved snapshot depends on: files, aliases, settings, code."""
    files = files if files is not None else _file_hashes(knowledge_dir, known)
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT, dataclasses.asdict(settings), sorted(analysis.DEFAULT_STOPWORDS),
                         _code_hash()], sort_keys=True).encode())
    for name in sorted(files):
        h.update(f"{name}\0{files[name][2]}\0".encode())
    return h.hexdigest()


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"not allowed in a saved index: {module}.{name}")


def save_snapshot(snap: Snapshot, knowledge_dir: Path, data_dir: Path) -> Path:
    """Write ``snap`` under ``data_dir/index`` (atomically: a new folder is renamed into place)."""
    target = data_dir / INDEX_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    files = _file_hashes(knowledge_dir)
    key = snapshot_key(knowledge_dir, snap.settings, files=files)
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=data_dir))
    a = snap.index.arrays
    arrays: dict[str, Any] = {
        "terms": _encode_terms(a.terms), "doc_len": a.doc_len, "df": a.df, "indptr": a.indptr,
        "postings": a.postings, "codes": a.codes, "pair_tf": a.pair_tf, "pair_len": a.pair_len}
    if snap.cache is not None:
        parts = snap.cache.parts(snap.documents)
        if parts is not None:
            terms, rows, tfs, uniq, lens, n_chunks = parts
            arrays.update(c_terms=_encode_terms(terms), c_rows=rows, c_tfs=tfs, c_uniq=uniq, c_lens=lens,
                          c_nchunks=n_chunks)
    np.savez(tmp / "arrays.npz", **arrays)
    with open(tmp / "objects.pickle", "wb") as fh:
        pickle.dump((snap.documents, snap.alias_groups, snap.chunks, snap.problems), fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    (tmp / "manifest.json").write_text(json.dumps({
        "format": FORMAT, "key": key, "saved_at": time.time(), "chunks": len(snap.chunks),
        "documents": len(snap.documents), "files": files}))
    old = None
    if target.exists():
        old = target.with_name(f".index-old-{os.getpid()}-{time.monotonic_ns()}")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        _remove_tree(old)
    return target


def load_saved_snapshot(knowledge_dir: Path, data_dir: Path, settings: RetrievalSettings) -> Snapshot | None:
    """The saved snapshot if it matches the knowledge folder and settings exactly, else None."""
    folder = data_dir / INDEX_DIR
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    known = manifest.get("files") if isinstance(manifest.get("files"), dict) else None
    if manifest.get("format") != FORMAT or \
            manifest.get("key") != snapshot_key(knowledge_dir, settings, known):
        return None
    started = time.perf_counter()
    try:
        with gc_paused():
            with open(folder / "objects.pickle", "rb") as fh:
                docs, alias_groups, chunks, problems = _SafeUnpickler(io.BufferedReader(fh)).load()
            with np.load(folder / "arrays.npz", allow_pickle=False) as z:
                arrays = IndexArrays(_decode_terms(z["terms"]), z["doc_len"], z["df"], z["indptr"],
                                     z["postings"], z["codes"], z["pair_tf"], z["pair_len"])
                analyzer = MemoAnalyzer().with_aliases(alias_groups)
                cache = BuildCache(cache_key(alias_groups, settings), analyzer)
                if "c_terms" in z.files:
                    cache.restore(docs, chunks, _decode_terms(z["c_terms"]), z["c_rows"], z["c_tfs"],
                                  z["c_uniq"], z["c_lens"], z["c_nchunks"])
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError):
        return None
    idx = BM25Index.from_arrays(arrays, bm25_params(settings))
    return Snapshot(tuple(docs), tuple(alias_groups), cache.analyzer, tuple(chunks), idx, settings,
                    tuple(problems), time.time(), time.perf_counter() - started, cache)


def load_or_build(knowledge_dir: Path, data_dir: Path, settings: RetrievalSettings,
                  save: bool = True) -> Snapshot:
    """Start-up: the saved snapshot when still valid, otherwise a fresh build (then saved)."""
    from bot.core.engine import load_snapshot

    snap = load_saved_snapshot(knowledge_dir, data_dir, settings)
    if snap is not None:
        return snap
    snap = load_snapshot(knowledge_dir, settings)
    if save:
        # A read-only data folder only costs the next start-up a rebuild.
        with contextlib.suppress(OSError):
            save_snapshot(snap, knowledge_dir, data_dir)
    return snap


def _encode_terms(terms: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def _decode_terms(data: np.ndarray) -> list[str]:
    text = data.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def _remove_tree(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


__all__ = ["load_or_build", "load_saved_snapshot", "save_snapshot", "snapshot_key"]
