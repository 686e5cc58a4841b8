"""The only code that writes to the knowledge folder: atomic writes, a history of every version, undo.

Crash safety, step by step. Every file (knowledge file or history copy) is written with
:func:`bot.core.files.atomic_write`, the project's one atomic writer: to a hidden temporary file in
the same folder, flushed and fsynced, then renamed over the target with
``os.replace`` (atomic on POSIX) and the folder is fsynced, so a kill at any moment leaves the old
or the new full content, never a mix. The order is: archive the old version, archive the new one,
replace the knowledge file, then record the audit entry in SQLite (its own transaction). A kill
between the last two steps loses only the audit line, and :meth:`KnowledgeStore.sync` notices the
unexplained change on the next reload and records it. Leftover temporary files are hidden (the
loader ignores them) and are removed when the store is opened again.

History: ``<history_dir>/<file name>/<UTC time>-<sha256>.<ext>``, one file per distinct version
(deduplicated by content hash). A version is archived when it is written and again — if somehow
missing — before it is replaced or removed, and the reloader archives versions edited on disk,
so no version the bot has seen is ever lost.

Nothing outside a folder is read: a knowledge file whose real path is outside the knowledge folder
(a symbolic link ``env.md -> /proc/self/environ``) is never read, archived or served, and only
history copies whose real path is inside the history folder are listed or restored
(:func:`bot.core.files.read_inside`). Each refusal names the file.

Modes: history folders and copies are the bot's private data (0700 / 0600, whatever the umask);
a knowledge file replaced from Discord keeps the mode it had, and a new one gets 0644, like a file
a moderator would create by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.core.files import (
    TEMP_PREFIX,
    OutsideFolder,
    atomic_write,
    fsync_dir,
    is_inside,
    make_private_dir,
    read_inside,
)
from bot.core.knowledge.aliases import ALIASES_FILE
from bot.core.knowledge.documents import KNOWLEDGE_SUFFIXES, content_hash, knowledge_files
from bot.moderation.records import Records
from bot.moderation.uploads import UploadRejected, ValidUpload, check_filename, validate_upload

_VERSION_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)-([0-9a-f]{64})(\.[a-z]+)$")
# A knowledge file is the moderators' own text, read by their editors and git: a new one is 0644,
# whatever the bot's umask, and a replaced one keeps the mode it had (history copies stay private).
KNOWLEDGE_FILE_MODE = 0o644
SYSTEM_USER = None  # audit entries for changes seen on disk, not made through Discord


class StoreError(ValueError):
    """A store operation cannot be done; ``str(exc)`` is the reason for the moderator."""


@dataclass(frozen=True, slots=True)
class Version:
    """One archived version of a knowledge file."""

    filename: str
    saved_at: dt.datetime
    content_hash: str
    size: int
    path: Path
    current: bool

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def describe(self) -> str:
        mark = " (current)" if self.current else ""
        return f"{self.short_hash} · saved {self.saved_at:%Y-%m-%d %H:%M:%S} UTC · {self.size:,} bytes{mark}"


@dataclass(frozen=True, slots=True)
class Change:
    """What a store operation did, for the reply and the audit log."""

    action: str  # "upload", "remove", "restore", the "… on disk" ones, or "refused" (never audited)
    filename: str
    old_hash: str | None
    new_hash: str | None
    upload: ValidUpload | None = None
    problem: str | None = None  # for "refused": ``knowledge/env.md: why``, for the reload summary

    @property
    def unchanged(self) -> bool:
        return self.old_hash == self.new_hash


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_managed_file(name: str) -> bool:
    """Files the bot reads from the knowledge folder: knowledge files and the aliases file."""
    return name == ALIASES_FILE or (
        PurePosixPath(name).suffix.lower() in KNOWLEDGE_SUFFIXES and not name.startswith((".", "_"))
    )


class KnowledgeStore:
    """Writes, removes and restores knowledge files with history; safe to call from worker threads."""

    def __init__(self, knowledge_dir: Path, history_dir: Path, records: Records | None = None,
                 max_upload_bytes: int = 1_000_000) -> None:
        self.knowledge_dir = Path(knowledge_dir)
        self.history_dir = Path(history_dir)
        self.records = records
        self.max_upload_bytes = max_upload_bytes
        self._lock = threading.RLock()
        self.knowledge_dir.mkdir(parents=True, exist_ok=True)
        make_private_dir(self.history_dir)  # history holds every version, removed ones too: bot-only
        self._remove_leftover_temp_files()

    def _remove_leftover_temp_files(self) -> None:
        folders = [self.knowledge_dir, *(p for p in self.history_dir.iterdir()
                                         if p.is_dir() and is_inside(p, self.history_dir))]
        for folder in folders:
            for tmp in folder.glob(TEMP_PREFIX + "*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()

    # ---- lookup -------------------------------------------------------------------------------

    def current_files(self) -> list[str]:
        """File names the bot reads now: knowledge files, then ``aliases.yaml`` if present."""
        names = [p.name for p in knowledge_files(self.knowledge_dir)]
        if (self.knowledge_dir / ALIASES_FILE).is_file():
            names.append(ALIASES_FILE)
        return names

    def known_files(self) -> list[str]:
        """Current files plus removed ones that still have history (for restore)."""
        names = set(self.current_files())
        names.update(p.name for p in self.history_dir.iterdir() if p.is_dir() and is_managed_file(p.name))
        return sorted(names)

    def resolve(self, document: str, *, include_removed: bool = False) -> str:
        """Map a user's ``document`` (file name or document id) to a file name, or raise StoreError."""
        document = document.strip()
        names = self.known_files() if include_removed else self.current_files()
        if document in names:
            return document
        by_id = [n for n in names if PurePosixPath(n).stem == document]
        if len(by_id) == 1:
            return by_id[0]
        if len(by_id) > 1:
            raise StoreError(f"'{document}' matches several files ({', '.join(by_id)}); give the file name.")
        where = "in the knowledge base or its history" if include_removed else "in the knowledge base"
        raise StoreError(f"There is no document '{document}' {where}.")

    def _path(self, filename: str) -> Path:
        if filename != ALIASES_FILE:
            check_filename(filename)  # defence in depth: never write outside the folder
        return self.knowledge_dir / filename

    def _read_current(self, filename: str) -> bytes | None:
        """The file's bytes, None when it does not exist; StoreError when it is not a regular file
        inside the knowledge folder (a symbolic link out of it is never followed)."""
        try:
            return read_inside(self.knowledge_dir / filename, self.knowledge_dir)
        except FileNotFoundError:
            return None
        except OutsideFolder as exc:
            raise StoreError(f"{exc}: it is not read, archived or served; replace it with the file "
                             f"itself on disk.") from None
        except OSError as exc:
            raise StoreError(f"'{filename}' cannot be read: {exc.strerror or exc}") from None

    def download(self, document: str) -> tuple[str, bytes]:
        """The current bytes of a document (file name, content)."""
        filename = self.resolve(document)
        data = self._read_current(filename)
        if data is None:
            raise StoreError(f"'{filename}' was removed a moment ago.")
        return filename, data

    # ---- history ------------------------------------------------------------------------------

    def _history_folder(self, filename: str) -> Path:
        return self.history_dir / filename

    def versions(self, document: str) -> list[Version]:
        """Every archived version of a document, newest first (removed documents too)."""
        filename = self.resolve(document, include_removed=True)
        try:
            current = self._read_current(filename)
        except StoreError:
            current = None  # its history is still listed
        current_hash = content_hash(current) if current is not None else None
        found: list[Version] = []
        for p in self._history_files(filename):
            m = _VERSION_NAME.match(p.name)
            if m:
                saved = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
                found.append(Version(filename, saved, m.group(2), p.stat().st_size, p,
                                     m.group(2) == current_hash))
        found.sort(key=lambda v: (v.saved_at, v.path.name), reverse=True)
        return found

    def _history_files(self, filename: str) -> list[Path]:
        """The regular files of a document's history folder whose real path is inside the history
        folder: a symbolic link (of a copy, or of the folder itself) leading out of it is skipped."""
        folder = self._history_folder(filename)
        if not folder.is_dir() or not is_inside(folder, self.history_dir):
            return []
        return [p for p in folder.iterdir() if p.is_file() and is_inside(p, self.history_dir)]

    def _archived_hashes(self, filename: str) -> set[str]:
        return {m.group(2) for p in self._history_files(filename) if (m := _VERSION_NAME.match(p.name))}

    def archive(self, filename: str, data: bytes) -> bool:
        """Keep ``data`` as a version of ``filename`` unless an identical version is kept already."""
        digest = content_hash(data)
        with self._lock:
            if digest in self._archived_hashes(filename):
                return False
            folder = self._history_folder(filename)
            if folder.exists() and not is_inside(folder, self.history_dir):
                raise StoreError(f"The history folder of '{filename}' points outside "
                                 f"{self.history_dir.name}/ (a symbolic link?); nothing was written.")
            created = not folder.is_dir()
            make_private_dir(folder)
            suffix = PurePosixPath(filename).suffix.lower() or ".txt"
            stamp = _now().strftime("%Y%m%dT%H%M%S.%fZ")
            atomic_write(folder / f"{stamp}-{digest}{suffix}", data)  # private (0600)
            if created:
                fsync_dir(self.history_dir)  # make the new folder itself durable
            return True

    # ---- changes ------------------------------------------------------------------------------

    def _audit(self, user_id: int | None, action: str, filename: str,
               old: str | None, new: str | None) -> None:
        if self.records is not None:
            self.records.record_audit(user_id=user_id, action=action, document=filename,
                                      old_hash=old, new_hash=new)

    def _write(self, upload: ValidUpload, action: str, user_id: int | None) -> Change:
        with self._lock:
            path = self._path(upload.filename)
            same_id = [n for n in self.current_files()
                       if n != upload.filename and PurePosixPath(n).stem == upload.doc_id]
            if same_id and not upload.is_aliases:
                raise StoreError(f"The document id '{upload.doc_id}' is already used by '{same_id[0]}'; "
                                 f"upload it under that name to replace it, or remove it first.")
            old = self._read_current(upload.filename)
            old_hash = content_hash(old) if old is not None else None
            if old_hash == upload.content_hash:
                return Change(action, upload.filename, old_hash, old_hash, upload)
            if old is not None:
                self.archive(upload.filename, old)
            self.archive(upload.filename, upload.data)
            atomic_write(path, upload.data, mode=KNOWLEDGE_FILE_MODE, keep_mode=True)
            self._audit(user_id, action, upload.filename, old_hash, upload.content_hash)
            return Change(action, upload.filename, old_hash, upload.content_hash, upload)

    def upload(self, filename: str, data: bytes, user_id: int | None) -> Change:
        """Validate and add or replace a knowledge file (or ``aliases.yaml``)."""
        upload = validate_upload(filename, data, self.max_upload_bytes)
        return self._write(upload, "upload", user_id)

    def remove(self, document: str, user_id: int | None) -> Change:
        """Take a document out of the knowledge folder; its last version stays in history."""
        with self._lock:
            filename = self.resolve(document)
            old = self._read_current(filename)
            if old is None:
                raise StoreError(f"'{filename}' was removed a moment ago.")
            self.archive(filename, old)
            os.unlink(self.knowledge_dir / filename)
            fsync_dir(self.knowledge_dir)
            old_hash = content_hash(old)
            self._audit(user_id, "remove", filename, old_hash, None)
            return Change("remove", filename, old_hash, None)

    def restore(self, document: str, version: str | None, user_id: int | None) -> Change:
        """Bring back an earlier version: ``version`` is a hash prefix or a number from
        :meth:`versions` (1 = newest); None means the newest version that is not current."""
        with self._lock:
            filename = self.resolve(document, include_removed=True)
            chosen = self.find_version(filename, version)
            try:
                data = read_inside(chosen.path, self.history_dir)
            except OSError as exc:  # OutsideFolder included: a copy replaced by a link since listed
                raise StoreError(f"The archived version {chosen.short_hash} of '{filename}' cannot be "
                                 f"read ({exc}); choose another.") from None
            if content_hash(data) != chosen.content_hash:
                raise StoreError(f"The archived version {chosen.short_hash} of '{filename}' is damaged "
                                 f"(its content does not match its hash); choose another.")
            try:
                # The size limit guards uploads; an archived version was accepted once already.
                upload = validate_upload(filename, data, max(self.max_upload_bytes, len(data)))
            except UploadRejected as exc:
                raise StoreError(f"Version {chosen.short_hash} cannot be restored: {exc}") from None
            return self._write(upload, "restore", user_id)

    def find_version(self, document: str, version: str | None) -> Version:
        filename = self.resolve(document, include_removed=True)
        versions = self.versions(filename)
        if not versions:
            raise StoreError(f"'{filename}' has no earlier versions.")
        if version is None or not version.strip():
            earlier = [v for v in versions if not v.current]
            if not earlier:
                raise StoreError(f"'{filename}' has no version other than the current one.")
            return earlier[0]
        wanted = version.strip().lower()
        if wanted.isdigit() and len(wanted) <= 4:
            n = int(wanted)
            if not 1 <= n <= len(versions):
                raise StoreError(f"'{filename}' has versions 1 to {len(versions)}; there is no version {n}.")
            return versions[n - 1]
        matches = [v for v in versions if v.content_hash.startswith(wanted)]
        if not matches:
            raise StoreError(f"'{filename}' has no version '{version}'; /kb history lists them.")
        return matches[0]

    # ---- changes made on disk -----------------------------------------------------------------

    def sync(self, filenames: Iterable[str] | None = None) -> list[Change]:
        """Archive and audit changes made outside the bot (editor, git pull, a crash before the audit).

        For each file, the current bytes are archived if new, and when they differ from the last
        audited state, an audit entry by the system (user id None) is added.
        """
        changes: list[Change] = []
        with self._lock:
            if not self.knowledge_dir.is_dir():  # unmounted or removed: not a deletion of every file
                raise StoreError(f"The knowledge folder {self.knowledge_dir.name}/ is missing; "
                                 f"nothing was archived or audited.")
            names = set(self.current_files() if filenames is None else filenames)
            last = self.records.last_changes() if self.records is not None else {}
            for filename in sorted(names):
                if not is_managed_file(filename):
                    continue
                try:
                    data = self._read_current(filename)
                except StoreError as exc:  # e.g. a link out of the folder: reported, never followed
                    changes.append(Change("refused", filename, None, None,
                                          problem=f"{self.knowledge_dir.name}/{filename}: {exc}"))
                    continue
                new_hash = content_hash(data) if data is not None else None
                if data is not None:
                    self.archive(filename, data)
                entry = last.get(filename)
                audited = entry.new_hash if entry is not None else None
                if self.records is None or audited == new_hash:
                    continue
                action = "edit on disk" if data is not None and audited else (
                    "add on disk" if data is not None else "delete on disk")
                changes.append(Change(action, filename, audited, new_hash))
            if self.records is not None:  # one transaction for all: fast at first start with many files
                self.records.record_audits([(SYSTEM_USER, c.action, c.filename, c.old_hash, c.new_hash)
                                            for c in changes if c.problem is None])
        return changes
