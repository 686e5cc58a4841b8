"""The records database: schema on first open, feedback, declined questions, audit, gaps, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from bot.moderation.records import Records, normalize_question


def test_open_creates_folder_schema_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "records.db"
    records = Records.open(path)
    assert path.exists()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"feedback", "declined", "audit", "meta"} <= tables
    assert mode == "wal"
    assert records.integrity_check() == "ok"
    Records.open(path)  # opening again keeps the data and does not fail on the existing schema


def test_normalize_question_groups_spelling_variants() -> None:
    assert normalize_question("Who is  PUTIN?!") == normalize_question("who is putin")
    assert normalize_question("wh\u200bo is putin") == "who is putin"
    assert normalize_question("🙂🙂") == ""


def test_top_declined_groups_and_ranks_by_count(tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    for user, q in [(1, "Who is Putin?"), (2, "who is putin"), (3, "WHO IS PUTIN!"), (1, "What is NATO?")]:
        records.record_declined(question=q, user_id=user)
    records.record_declined(question="   ", user_id=4)
    records.record_declined(question="🙂", user_id=4)
    gaps = records.top_declined()
    assert [(g.normalized, g.count, g.askers) for g in gaps] == [
        ("who is putin", 3, 3), ("what is nato", 1, 1)]
    assert gaps[0].question == "WHO IS PUTIN!"  # the latest wording is shown
    assert len(records.top_declined(limit=1)) == 1


def test_question_log_off_keeps_no_question_text(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    records = Records.open(path, log_questions=False)
    records.record_declined(question="secret question", user_id=1)
    records.record_feedback(chunk_id="doc#p1", question="secret question", helpful=False, user_id=1)
    assert records.top_declined() == []
    assert [g.not_helpful for g in records.top_unhelpful()] == [1]
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "secret" not in dump


def test_feedback_latest_vote_of_a_user_wins_and_unhelpful_ranking(tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    records.record_feedback(chunk_id="a#p1", question="q one", helpful=True, user_id=1)
    records.record_feedback(chunk_id="a#p1", question="q one", helpful=False, user_id=1)  # changed mind
    records.record_feedback(chunk_id="a#p1", question="q one", helpful=False, user_id=1)  # double click
    records.record_feedback(chunk_id="b#p2", question="q two", helpful=False, user_id=1)
    records.record_feedback(chunk_id="b#p2", question="q two", helpful=False, user_id=2)
    records.record_feedback(chunk_id="b#p2", question="q three", helpful=True, user_id=3)
    records.record_feedback(chunk_id="c#p1", question="q", helpful=True, user_id=3)
    gaps = records.top_unhelpful()
    assert [(g.chunk_id, g.not_helpful, g.helpful) for g in gaps] == [("b#p2", 2, 1), ("a#p1", 1, 0)]
    assert gaps[1].last_question == "q one"


def test_audit_log_and_last_change_per_document(tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    records.record_audit(user_id=7, action="upload", document="a.md", old_hash=None, new_hash="h1")
    records.record_audit(user_id=8, action="upload", document="b.md", old_hash=None, new_hash="h2")
    records.record_audit(user_id=9, action="remove", document="a.md", old_hash="h1", new_hash=None)
    log = records.audit_log()
    assert [(e.user_id, e.action, e.document) for e in log] == [
        (9, "remove", "a.md"), (8, "upload", "b.md"), (7, "upload", "a.md")]
    assert [e.action for e in records.audit_log("a.md")] == ["remove", "upload"]
    last = records.last_changes()
    assert last["a.md"].user_id == 9 and last["a.md"].new_hash is None
    assert last["b.md"].new_hash == "h2"


def test_concurrent_writers_from_threads_lose_nothing(tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    errors: list[BaseException] = []

    def work(user: int) -> None:
        try:
            for i in range(40):
                records.record_declined(question=f"question {i % 5}", user_id=user)
                records.record_feedback(chunk_id=f"d#p{i % 3}", question=f"q{i}", helpful=i % 2 == 0,
                                        user_id=user)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(g.count for g in records.top_declined(limit=100)) == 8 * 40
    assert records.integrity_check() == "ok"
