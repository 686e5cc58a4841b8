"""The bot's lasting records in one embedded SQLite database: audit log, feedback, declined
questions, and the answers the bot sent (what each message shows and who asked, for its buttons).

Why SQLite: one file in the data folder, transactional writes, and a crash at any moment leaves
either the old or the new state (WAL journal, ``synchronous=FULL``). Each call opens its own short
connection, so the object is safe to share between the event loop's worker threads and even
between processes; calls are small and infrequent (button clicks, uploads), so the cost is noise.

Nothing personal beyond Discord user ids is stored. With ``log_questions=False`` the text of
questions is never written: declined questions are not recorded at all, feedback keeps only
the passage, the vote and the user id, and a stored answer keeps its passages but not the question
(nor the question's words it matched). Feedback, declined questions and stored answers are
deleted after ``moderation.retention_days`` (:meth:`Records.purge`), and everything about one user
on request (:meth:`Records.forget_user`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.core.answer import Answer
from bot.core.files import PRIVATE_FILE, make_private, make_private_dir
from bot.core.text.chars import DROP_ZERO_WIDTH

log = logging.getLogger(__name__)

# Each entry upgrades a database from schema ``i`` to ``i + 1``; ``PRAGMA user_version`` says
# which a database holds. A later schema change appends a migration; none is ever edited.
_MIGRATIONS: tuple[str, ...] = (
    # 1: feedback, declined questions and the audit trail
    """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    chunk_id TEXT NOT NULL,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    user_id INTEGER NOT NULL,
    UNIQUE (chunk_id, user_id, normalized)
);
CREATE INDEX feedback_chunk ON feedback (chunk_id);
CREATE TABLE declined (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    user_id INTEGER NOT NULL
);
CREATE INDEX declined_normalized ON declined (normalized);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    user_id INTEGER,
    action TEXT NOT NULL,
    document TEXT NOT NULL,
    old_hash TEXT,
    new_hash TEXT
);
CREATE INDEX audit_document ON audit (document, id);
""",
    # 2: the answers table (what each message with buttons shows) and the indexes on user ids and
    # times that retention and forgetting use
    """
CREATE TABLE answers (
    message_id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    user_id INTEGER NOT NULL,
    per_page INTEGER NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX answers_at ON answers (at);
CREATE INDEX answers_user ON answers (user_id);
CREATE INDEX feedback_at ON feedback (at);
CREATE INDEX feedback_user ON feedback (user_id);
CREATE INDEX declined_at ON declined (at);
CREATE INDEX declined_user ON declined (user_id);
CREATE INDEX audit_user ON audit (user_id);
""",
    # 3: who asked, for a private copy of someone else's answer and for a vote on someone else's
    # answer (both hold the asker's question): forgetting the asker deletes the copies and
    # clears the question from the votes
    """
ALTER TABLE answers ADD COLUMN asker_id INTEGER;
CREATE INDEX answers_asker ON answers (asker_id);
ALTER TABLE feedback ADD COLUMN asker_id INTEGER;
CREATE INDEX feedback_asker ON feedback (asker_id);
""",
)
SCHEMA_VERSION = len(_MIGRATIONS)


_NON_WORD = re.compile(r"[^\w]+")
_PERSONAL_TABLES = ("feedback", "declined", "answers")  # what retention deletes (and forgetting)
MAX_QUESTION_CHARS = 500  # what /kb gaps can show; longer questions are cut, not refused


def normalize_question(question: str) -> str:
    """Fold case, accents-compatible forms, punctuation and spacing so repeats of a question group."""
    text = unicodedata.normalize("NFKC", question).translate(DROP_ZERO_WIDTH).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())[:MAX_QUESTION_CHARS]


@dataclass(frozen=True, slots=True)
class DeclinedGap:
    """A question (as last asked) the bot declined ``count`` times, by ``askers`` distinct users."""

    question: str
    normalized: str
    count: int
    askers: int
    last_at: float


@dataclass(frozen=True, slots=True)
class UnhelpfulGap:
    """A passage people marked "Not helpful" ``not_helpful`` times (and "Helpful" ``helpful`` times)."""

    chunk_id: str
    not_helpful: int
    helpful: int
    last_question: str
    last_at: float


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What one bot message shows: the answer as sent, paged ``per_page`` at a time, for ``user_id``
    (who asked it, or who was shown a private copy of ``asker_id``'s answer)."""

    message_id: int
    at: float
    user_id: int
    per_page: int
    answer: Answer
    asker_id: int | None = None

    @property
    def asker(self) -> int:
        """Whose question this is."""
        return self.user_id if self.asker_id is None else self.asker_id

    @property
    def question(self) -> str | None:
        """The question as asked; None when it was not stored (``log_questions`` off)."""
        return self.answer.question or None


@dataclass(frozen=True, slots=True)
class Deleted:
    """What a retention purge or a forget request removed (``audit``: entries whose user id was cleared)."""

    feedback: int = 0
    declined: int = 0
    answers: int = 0
    audit: int = 0

    @property
    def total(self) -> int:
        return self.feedback + self.declined + self.answers + self.audit


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to the knowledge folder: who (user id, None for the system), what, when, which bytes."""

    id: int
    at: float
    user_id: int | None
    action: str
    document: str
    old_hash: str | None
    new_hash: str | None


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it, whatever the umask.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the database file's own permissions, so
    all three stay readable by the bot's user only. A file left 0644 by an older version (and its
    ``-wal``/``-shm``) is tightened too: it holds user ids and questions.
    """
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
    for suffix in ("", "-wal", "-shm"):
        make_private(Path(f"{path}{suffix}"), PRIVATE_FILE)


class NewerSchemaError(RuntimeError):
    """The database was written by a newer version of the bot; it is left untouched."""


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database to :data:`SCHEMA_VERSION`, inside the caller's transaction.

    Databases from before ``user_version`` was used kept their version in ``meta``; their
    tables were created with ``IF NOT EXISTS``, so the version read there is the one they hold.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0 and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 1
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(f"{path}: schema version {version} is newer than this bot's "
                               f"({SCHEMA_VERSION}); upgrade the bot or restore an older database")
    for script in _MIGRATIONS[version:]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


class Records:
    """Thread-safe access to the records database; use :meth:`open`."""

    def __init__(self, path: Path, log_questions: bool = True) -> None:
        self.path = Path(path)
        self.log_questions = log_questions
        self._write_lock = threading.Lock()  # serialises writers of this process; SQLite locks the rest

    @classmethod
    def open(cls, path: Path, *, log_questions: bool = True) -> Records:
        """Open (creating folder, file and schema on first use) the database at ``path``."""
        path = Path(path)
        make_private_dir(path.parent)
        _create_private(path)
        records = cls(path, log_questions)
        with records._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the database file
            conn.execute("BEGIN IMMEDIATE")
            try:
                _migrate(conn, path)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return records

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it."""
        with self._write_lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ---- writes -------------------------------------------------------------------------------

    def record_feedback(self, *, chunk_id: str, question: str, helpful: bool, user_id: int,
                        asker_id: int | None = None) -> None:
        """A "Helpful"/"Not helpful" click; the same user's later vote on the same answer replaces it.

        ``asker_id``: whose question it is, when ``user_id`` voted on someone else's answer (the
        question is theirs, so forgetting them clears it from this vote).
        """
        text = question[:MAX_QUESTION_CHARS] if self.log_questions else ""
        normalized = normalize_question(question) if self.log_questions else ""
        asker = None if asker_id is None or int(asker_id) == int(user_id) or not text else int(asker_id)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO feedback (at, chunk_id, question, normalized, helpful, user_id, asker_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (chunk_id, user_id, normalized) DO UPDATE SET "
                "at = excluded.at, helpful = excluded.helpful, question = excluded.question, "
                "asker_id = excluded.asker_id",
                (time.time(), chunk_id, text, normalized, int(bool(helpful)), int(user_id), asker),
            )

    def store_answer(self, *, message_id: int, user_id: int, answer: Answer, per_page: int,
                     asker_id: int | None = None) -> None:
        """Remember what message ``message_id`` shows and for whom: its buttons read this back.

        Only what a page shows is kept: the passages' quotes, highlights, citations and missing
        words (not the whole chunk texts or the knowledge base's topic list). With the question
        log off, the question and every word taken from it (matched and missing) are left out.
        ``asker_id``: whose question it is, when ``user_id`` was shown a private copy.
        """
        lean = tuple(dataclasses.replace(p, text="") for p in answer.passages)
        if not self.log_questions:
            lean = tuple(dataclasses.replace(p, matched_terms=(), missing=()) for p in lean)
        kept = dataclasses.replace(answer, question=answer.question if self.log_questions else "",
                                   passages=lean, topics=())
        blob = json.dumps(kept.to_record(), ensure_ascii=False, separators=(",", ":"))
        asker = None if asker_id is None or int(asker_id) == int(user_id) else int(asker_id)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO answers (message_id, at, user_id, per_page, answer, asker_id) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (message_id) DO UPDATE SET at = excluded.at, user_id = excluded.user_id, "
                "per_page = excluded.per_page, answer = excluded.answer, asker_id = excluded.asker_id",
                (int(message_id), time.time(), int(user_id), int(per_page), blob, asker),
            )

    def record_declined(self, *, question: str, user_id: int) -> None:
        """A question the bot did not answer; skipped entirely when the question log is off."""
        if not self.log_questions:
            return
        normalized = normalize_question(question)
        if not normalized:
            return  # empty or emoji-only questions say nothing about missing knowledge
        with self._transaction() as conn:
            conn.execute("INSERT INTO declined (at, question, normalized, user_id) VALUES (?, ?, ?, ?)",
                         (time.time(), question.strip()[:MAX_QUESTION_CHARS], normalized, int(user_id)))

    def record_audit(self, *, user_id: int | None, action: str, document: str,
                     old_hash: str | None, new_hash: str | None) -> None:
        """A change to the knowledge folder (upload, remove, restore, or an edit seen by the watcher)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO audit (at, user_id, action, document, old_hash, new_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), None if user_id is None else int(user_id), action, document,
                 old_hash, new_hash),
            )

    def record_audits(self, entries: list[tuple[int | None, str, str, str | None, str | None]]) -> None:
        """Several audit entries (user_id, action, document, old_hash, new_hash) in one transaction."""
        if not entries:
            return
        now = time.time()
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO audit (at, user_id, action, document, old_hash, new_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(now, None if u is None else int(u), a, d, o, n) for u, a, d, o, n in entries],
            )

    # ---- retention and forgetting -------------------------------------------------------------

    def purge(self, retention_days: int, now: float | None = None) -> Deleted:
        """Delete feedback, declined questions and stored answers older than ``retention_days``
        (0 keeps everything). The audit log is kept: it is the history of the knowledge itself."""
        if retention_days <= 0:
            return Deleted()
        cutoff = (time.time() if now is None else now) - retention_days * 86_400
        with self._transaction() as conn:
            feedback, declined, answers = (
                conn.execute(f"DELETE FROM {table} WHERE at < ?", (cutoff,)).rowcount
                for table in _PERSONAL_TABLES)
        return Deleted(feedback, declined, answers)

    def forget_user(self, user_id: int, *, audit: bool = True) -> Deleted:
        """Delete everything stored about one user: feedback, declined questions, the answers they
        asked for or were shown (and private copies of their answers shown to others); their
        questions are cleared from other users' votes on their answers (the votes stay); with
        ``audit``, their user id in the audit log becomes NULL (the change records stay, shown as
        made by a forgotten user)."""
        uid = int(user_id)
        with self._transaction() as conn:
            feedback = conn.execute("DELETE FROM feedback WHERE user_id = ?", (uid,)).rowcount
            # OR REPLACE: a voter's two votes on one passage for two of this user's questions
            # become one vote (the later), as if the question log had been off.
            conn.execute("UPDATE OR REPLACE feedback SET question = '', normalized = '', asker_id = NULL "
                         "WHERE asker_id = ?", (uid,))
            declined = conn.execute("DELETE FROM declined WHERE user_id = ?", (uid,)).rowcount
            answers = conn.execute("DELETE FROM answers WHERE user_id = ? OR asker_id = ?",
                                   (uid, uid)).rowcount
            cleared = (conn.execute("UPDATE audit SET user_id = NULL WHERE user_id = ?", (uid,)).rowcount
                       if audit else 0)
        return Deleted(feedback, declined, answers, cleared)

    def audit_entries_of(self, user_id: int) -> int:
        """How many audit entries name this user (changes they made to the knowledge as a moderator)."""
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM audit WHERE user_id = ?",
                                    (int(user_id),)).fetchone()[0])

    # ---- queries ------------------------------------------------------------------------------

    def top_declined(self, limit: int = 10) -> list[DeclinedGap]:
        """The questions declined most often (grouped after normalisation), most frequent first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT d.normalized, COUNT(*), COUNT(DISTINCT d.user_id), MAX(d.at), "
                "  (SELECT question FROM declined l WHERE l.normalized = d.normalized "
                "   ORDER BY l.id DESC LIMIT 1) "
                "FROM declined d GROUP BY d.normalized ORDER BY COUNT(*) DESC, MAX(d.at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeclinedGap(question=r[4], normalized=r[0], count=r[1], askers=r[2], last_at=r[3])
                for r in rows]

    def top_unhelpful(self, limit: int = 10) -> list[UnhelpfulGap]:
        """Passages with the most "Not helpful" votes (only those with at least one), worst first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT f.chunk_id, SUM(1 - f.helpful), SUM(f.helpful), MAX(f.at), "
                "  (SELECT question FROM feedback l WHERE l.chunk_id = f.chunk_id AND l.helpful = 0 "
                "   ORDER BY l.at DESC LIMIT 1) "
                "FROM feedback f GROUP BY f.chunk_id HAVING SUM(1 - f.helpful) > 0 "
                "ORDER BY SUM(1 - f.helpful) DESC, SUM(f.helpful) ASC, MAX(f.at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [UnhelpfulGap(chunk_id=r[0], not_helpful=r[1], helpful=r[2], last_at=r[3],
                             last_question=r[4] or "") for r in rows]

    def stored_answer(self, message_id: int) -> StoredAnswer | None:
        """The answer message ``message_id`` shows, or None when it was never stored or was purged
        (an unreadable record, e.g. from a newer version, counts as not stored)."""
        with self._connect() as conn:
            row = conn.execute("SELECT message_id, at, user_id, per_page, answer, asker_id FROM answers "
                               "WHERE message_id = ?", (int(message_id),)).fetchone()
        if row is None:
            return None
        try:
            answer = Answer.from_record(json.loads(row[4]))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            log.warning("stored answer %s is unreadable: %s", message_id, exc)
            return None
        return StoredAnswer(message_id=row[0], at=row[1], user_id=row[2], per_page=row[3], answer=answer,
                            asker_id=row[5])

    def audit_log(self, document: str | None = None, limit: int = 50) -> list[AuditEntry]:
        """Changes, newest first; only those of ``document`` when given."""
        sql = "SELECT id, at, user_id, action, document, old_hash, new_hash FROM audit"
        params: tuple[object, ...] = ()
        if document is not None:
            sql += " WHERE document = ?"
            params = (document,)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [AuditEntry(*r) for r in rows]

    def last_changes(self) -> dict[str, AuditEntry]:
        """The latest change of every document that has one (for ``/kb list``)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, at, user_id, action, document, old_hash, new_hash FROM audit "
                "WHERE id IN (SELECT MAX(id) FROM audit GROUP BY document)"
            ).fetchall()
        return {r[4]: AuditEntry(*r) for r in rows}

    def integrity_check(self) -> str:
        """SQLite's own verdict on the file ("ok" when intact)."""
        with self._connect() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
