"""Live reload: watch the knowledge folder, rebuild off the event loop, swap the index atomically.

Polling (names, sizes, modification times and inode numbers every ``watch_interval_seconds``)
is used instead of OS file events: it needs no extra dependency, works on every file system
including network and container mounts, and costs one ``scandir`` per second. A burst of changes
(an editor's save, a ``git pull``) is debounced: the rebuild starts once the folder has been quiet
for ``reload_debounce_seconds``. The rebuild runs in a worker thread with the previous snapshot
passed in, so a broken file keeps its last good version, and questions asked meanwhile are
answered from the previous index until :meth:`Engine.swap` installs the new one in one step.

A folder that is gone (removed, renamed, a file in its place) or cannot be listed is an error,
never "every file was deleted": nothing is rebuilt, swapped, archived or audited, the error is
logged and reported once, and the bot keeps serving what it had until the folder is back. An
empty folder that exists is taken at its word (all documents removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.config import LimitSettings, RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import Snapshot, load_snapshot
from bot.core.index.saved import save_snapshot
from bot.core.problems import Problem
from bot.moderation.reports import Escape, no_escape
from bot.moderation.store import Change, KnowledgeStore, is_managed_file

log = logging.getLogger(__name__)

Fingerprint = dict[str, tuple[int, int, int]]
ReloadListener = Callable[["ReloadSummary"], Awaitable[None]]
# load_snapshot's shape: (folder, retrieval settings, limits, previous snapshot) -> snapshot
Builder = Callable[[Path, RetrievalSettings, LimitSettings, Snapshot | None], Snapshot]


class FolderMissing(OSError):
    """The knowledge folder is not there or cannot be listed; ``str(exc)`` says which, in words."""


def folder_fingerprint(directory: Path) -> Fingerprint:
    """What the watcher compares between polls: (mtime_ns, size, inode) of every file the bot reads.

    Raises :class:`FolderMissing` when ``directory`` is not a folder or cannot be listed: an
    unmounted or deleted folder must not look like a folder whose files were all removed.
    """
    found: Fingerprint = {}
    name = Path(directory).name
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not is_managed_file(entry.name):
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue  # removed between listing and stat: the next poll sees it gone
                if entry.is_file():
                    found[entry.name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    except (FileNotFoundError, NotADirectoryError):
        raise FolderMissing(f"{name}/ does not exist or is not a folder") from None
    except OSError as exc:
        raise FolderMissing(f"{name}/ cannot be read: {exc.strerror or exc}") from None
    return found


def changed_names(before: Fingerprint | None, after: Fingerprint) -> set[str]:
    if before is None:
        return set(after)
    return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}


@dataclass(frozen=True)
class ReloadSummary:
    """What one reload changed, in terms a moderator cares about."""

    reason: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    aliases_changed: bool
    chunk_counts: dict[str, int]
    documents: int
    chunks: int
    problems: tuple[str, ...]
    kept_last_good: tuple[str, ...]
    build_seconds: float
    disk_changes: tuple[Change, ...] = field(default=())
    folder_missing: str | None = None  # why nothing was reloaded: the folder is gone or unreadable

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.aliases_changed)

    def render(self, limit: int = 1900, safe: Escape = no_escape) -> str:
        """Plain text for a moderator, cut to ``limit`` characters.

        Document ids and problem lines come from file names and file contents (a YAML key is quoted
        in its problem), so each goes through ``safe`` (the cog passes the Discord renderer's
        escaper). ``reason`` is written by the caller and shown as it is.
        """
        def names(ids: tuple[str, ...], counted: bool = False) -> str:
            return ", ".join(safe(d) + (f" ({self.chunk_counts.get(d, 0)} chunks)" if counted else "")
                             for d in ids)

        if self.folder_missing is not None:
            return (f"Reload ({self.reason}) not done: the knowledge folder {safe(self.folder_missing)}. "
                    f"Nothing was changed; the bot keeps serving the {self.documents} document(s) and "
                    f"{self.chunks} chunk(s) it had, and reloads when the folder is back.")[:limit]
        lines = [f"Reload ({self.reason}) took {self.build_seconds:.2f} s: "
                 f"{self.documents} document(s), {self.chunks} chunk(s)."]
        if self.added:
            lines.append("Added: " + names(self.added, counted=True))
        if self.changed:
            lines.append("Changed: " + names(self.changed, counted=True))
        if self.removed:
            lines.append("Removed: " + names(self.removed))
        if self.aliases_changed:
            lines.append("Aliases changed.")
        if not self.changed_anything:
            lines.append("No change in what the bot knows.")
        if self.problems:
            head = f"Problems ({len(self.problems)})"
            if self.kept_last_good:
                head += "; still serving the last good version of " + names(self.kept_last_good)
            lines.append(head + ":")
            lines.extend(f"• {safe(p)}" for p in self.problems)
        text = "\n".join(lines)
        if len(text) > limit:
            text = text[: limit - 2].rstrip() + " …"
        return text


def _shown_problem(problem: Problem, knowledge_dir: Path) -> str:
    """``knowledge/file.md:3: message`` — the folder's own name, not the server's full path."""
    path = Path(problem.path)
    try:
        rel = path.relative_to(knowledge_dir)
        shown = str(Path(knowledge_dir.name) / rel)
    except ValueError:
        shown = problem.path
    return str(Problem(shown, problem.line, problem.message))


def missing_summary(reason: str, current: Snapshot, missing: FolderMissing) -> ReloadSummary:
    """The summary of a reload that did not happen because the folder is missing."""
    return ReloadSummary(
        reason=reason, added=(), changed=(), removed=(), aliases_changed=False,
        chunk_counts=current.chunk_counts(), documents=len(current.documents),
        chunks=len(current.chunks), problems=(), kept_last_good=(), build_seconds=0.0,
        folder_missing=str(missing),
    )


def summarize(reason: str, old: Snapshot, new: Snapshot, knowledge_dir: Path,
              disk_changes: tuple[Change, ...] = ()) -> ReloadSummary:
    before = {d.doc_id: d.content_hash for d in old.documents}
    after = {d.doc_id: d.content_hash for d in new.documents}
    problem_paths = {p.path for p in new.problems}
    problems = [_shown_problem(p, knowledge_dir) for p in new.problems]
    problems += [c.problem for c in disk_changes if c.problem and c.problem not in problems]  # refused
    return ReloadSummary(
        reason=reason,
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(d for d in after.keys() & before.keys() if after[d] != before[d])),
        removed=tuple(sorted(before.keys() - after.keys())),
        aliases_changed=old.alias_groups != new.alias_groups,
        chunk_counts=new.chunk_counts(),
        documents=len(new.documents),
        chunks=len(new.chunks),
        problems=tuple(problems),
        kept_last_good=tuple(sorted(d.doc_id for d in new.documents if d.path in problem_paths)),
        build_seconds=new.build_seconds,
        disk_changes=disk_changes,
    )


class Reloader:
    """Keeps ``engine`` in step with ``knowledge_dir``; all methods run on the event loop."""

    def __init__(self, engine: Engine, knowledge_dir: Path, retrieval: RetrievalSettings, *,
                 interval: float = 1.0, debounce: float = 1.0, store: KnowledgeStore | None = None,
                 listener: ReloadListener | None = None, limits: LimitSettings | None = None,
                 data_dir: Path | None = None, builder: Builder = load_snapshot) -> None:
        self.engine = engine
        self.builder = builder  # how a snapshot is built (tests pass a slow or failing one)
        self.knowledge_dir = Path(knowledge_dir)
        self.retrieval = retrieval
        self.limits = limits or LimitSettings()
        self.data_dir = data_dir  # where the saved index is kept current (None: not saved)
        self.interval = interval
        self.debounce = debounce
        self.store = store
        self.listener = listener
        self.last_summary: ReloadSummary | None = None
        self.reload_count = 0
        self.missing: FolderMissing | None = None  # set while the folder is gone
        self._lock = asyncio.Lock()
        self._built: Fingerprint | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Remember the folder as the engine saw it and start watching (and auditing offline edits)."""
        if self._task is not None:
            return
        try:
            self._built = await asyncio.to_thread(folder_fingerprint, self.knowledge_dir)
        except FolderMissing as exc:  # watch anyway: it is loaded when it appears
            await self._report_missing(exc, "start")
        self._task = asyncio.create_task(self._watch(), name="knowledge-watcher")

    async def _sync_at_start(self) -> None:
        """Archive and audit edits made while the bot was off; in the background (slow on a first
        start with many files: every file is copied to history once)."""
        if self.store is None:
            return
        try:
            await asyncio.to_thread(self.store.sync, None)
        except Exception:
            log.exception("could not record the knowledge folder's state at start")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _watch(self) -> None:
        await self._sync_at_start()
        while True:
            await asyncio.sleep(self.interval)
            try:
                seen = await asyncio.to_thread(folder_fingerprint, self.knowledge_dir)
                self._folder_back()
                if seen == self._built:
                    continue
                while self.debounce > 0:  # wait until the folder has been quiet for `debounce` seconds
                    await asyncio.sleep(self.debounce)
                    again = await asyncio.to_thread(folder_fingerprint, self.knowledge_dir)
                    if again == seen:
                        break
                    seen = again
                if seen != self._built:
                    await self.reload_now("files changed")
            except asyncio.CancelledError:
                raise
            except FolderMissing as exc:
                await self._report_missing(exc, "files changed")
            except Exception:  # the watcher must outlive any one bad reload
                log.exception("knowledge reload failed; still serving the previous index")

    def _note_missing(self, missing: FolderMissing, reason: str) -> ReloadSummary:
        """Log a missing folder and make it the last summary."""
        self.missing = missing
        log.error("knowledge folder %s: %s; not reloading, still serving the last index",
                  self.knowledge_dir, missing)
        summary = self.last_summary = missing_summary(reason, self.engine.snapshot, missing)
        return summary

    async def _report_missing(self, missing: FolderMissing, reason: str) -> None:
        """Log and post a missing folder once per outage (the watcher sees it on every poll)."""
        if self.missing is None:
            await self._tell(self._note_missing(missing, reason))
        self.missing = missing

    def _folder_back(self) -> None:
        if self.missing is not None:
            log.info("knowledge folder %s is back", self.knowledge_dir)
            self.missing = None

    async def _tell(self, summary: ReloadSummary) -> None:
        if self.listener is not None:
            try:
                await self.listener(summary)
            except Exception:
                log.exception("reload listener failed")

    async def reload_now(self, reason: str = "requested") -> ReloadSummary:
        """Rebuild from the folder now (serialised with other reloads) and swap the result in.

        A missing folder returns (and reports) a summary saying so, and changes nothing.
        """
        async with self._lock:
            try:
                summary = await self._rebuild(reason)
            except FolderMissing as exc:
                summary = self._note_missing(exc, reason)  # asked for: said every time
        await self._tell(summary)
        return summary

    async def _rebuild(self, reason: str) -> ReloadSummary:
        """Build, archive and audit, swap; raises FolderMissing, before changing anything, for a
        folder that is missing before or after the build (gone while read, the build saw nothing,
        which must not count as removals)."""
        fingerprint = await asyncio.to_thread(folder_fingerprint, self.knowledge_dir)
        previous = self.engine.snapshot
        started = time.perf_counter()
        new = await asyncio.to_thread(self.builder, self.knowledge_dir, self.retrieval,
                                      self.limits, previous)
        await asyncio.to_thread(folder_fingerprint, self.knowledge_dir)
        self._folder_back()
        disk_changes: tuple[Change, ...] = ()
        if self.store is not None:
            names = changed_names(self._built, fingerprint)
            try:
                disk_changes = tuple(await asyncio.to_thread(self.store.sync, names))
            except Exception:
                log.exception("could not archive or audit the changed files")
        self.engine.swap(new)
        self._built = fingerprint
        self.reload_count += 1
        if self.data_dir is not None:  # so that the next start-up need not rebuild
            try:
                await asyncio.to_thread(save_snapshot, new, self.knowledge_dir, self.data_dir, self.limits)
            except OSError as exc:
                log.warning("could not save the index to %s: %s", self.data_dir, exc)
        summary = summarize(reason, previous, new, self.knowledge_dir, disk_changes)
        self.last_summary = summary
        log.info("knowledge reloaded in %.2f s (%s): %d documents, %d chunks, %d problems",
                 time.perf_counter() - started, reason, summary.documents, summary.chunks,
                 len(summary.problems))
        return summary
