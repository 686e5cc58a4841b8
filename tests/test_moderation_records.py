"""The records database: schema on first open, feedback, declined questions, audit, gaps, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.core.answer import Answer, Citation, Outcome, Passage
from bot.moderation.records import SCHEMA_VERSION, Deleted, NewerSchemaError, Records, normalize_question


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


# The schema of the first release, as it created it: version kept in ``meta``, no user_version.
_FIRST_RELEASE_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE feedback (id INTEGER PRIMARY KEY, at REAL NOT NULL, chunk_id TEXT NOT NULL,
    question TEXT NOT NULL, normalized TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)), user_id INTEGER NOT NULL,
    UNIQUE (chunk_id, user_id, normalized));
CREATE INDEX feedback_chunk ON feedback (chunk_id);
CREATE TABLE declined (id INTEGER PRIMARY KEY, at REAL NOT NULL, question TEXT NOT NULL,
    normalized TEXT NOT NULL, user_id INTEGER NOT NULL);
CREATE INDEX declined_normalized ON declined (normalized);
CREATE TABLE audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, user_id INTEGER, action TEXT NOT NULL,
    document TEXT NOT NULL, old_hash TEXT, new_hash TEXT);
CREATE INDEX audit_document ON audit (document, id);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
INSERT INTO declined (at, question, normalized, user_id) VALUES (1.0, 'Who is Putin?', 'who is putin', 7);
"""


def test_a_first_release_database_is_upgraded_in_place_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_FIRST_RELEASE_SCHEMA)
    records = Records.open(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "answers" in tables
    assert [g.question for g in records.top_declined()] == ["Who is Putin?"]
    assert records.forget_user(7).declined == 1  # the index added by the upgrade serves forgetting
    Records.open(path)  # already current: opening again changes nothing and does not fail


def test_a_database_from_a_newer_bot_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    Records.open(path).record_declined(question="Who is Putin?", user_id=1)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer than this bot"):
        Records.open(path)
    assert path.read_bytes() == before


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


def _answer(question: str) -> Answer:
    citation = Citation("zebras", "Zebras", None, None, (1,), None, None)
    passage = Passage("zebras#p1", 1.0, "Zebras eat grass.", ((0, 6),), "Zebras eat grass.", citation,
                      ("zebra",), 0.5)
    return Answer(question, Outcome.ANSWERED, (passage,))


def _age(path: Path, days: float) -> None:
    """Make every row so far ``days`` older, as if written back then."""
    with sqlite3.connect(path) as conn:
        for table in ("feedback", "declined", "answers", "audit"):
            conn.execute(f"UPDATE {table} SET at = at - ?", (days * 86_400,))


def _fill(records: Records, user_id: int, word: str, message_id: int) -> None:
    records.record_declined(question=f"declined {word}?", user_id=user_id)
    records.record_feedback(chunk_id="zebras#p1", question=f"voted {word}?", helpful=False, user_id=user_id)
    records.store_answer(message_id=message_id, user_id=user_id, answer=_answer(f"answered {word}?"),
                         per_page=3)


def test_purge_deletes_what_is_older_than_the_retention_and_keeps_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    records = Records.open(path)
    _fill(records, 1, "oldword", 10)
    records.record_audit(user_id=7, action="upload", document="a.md", old_hash=None, new_hash="h1")
    _age(path, 100)
    _fill(records, 2, "newword", 11)
    assert records.purge(0) == Deleted()  # 0: keep forever
    assert records.purge(90) == Deleted(feedback=1, declined=1, answers=1)
    assert records.stored_answer(10) is None and records.stored_answer(11) is not None
    assert [g.question for g in records.top_declined()] == ["declined newword?"]
    assert [e.user_id for e in records.audit_log()] == [7]
    with sqlite3.connect(path) as conn:
        assert "oldword" not in "\n".join(conn.iterdump())


def test_forget_user_deletes_their_rows_and_clears_their_id_in_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    records = Records.open(path)
    _fill(records, 1, "mine", 10)
    _fill(records, 2, "theirs", 11)
    for user in (1, 2):
        records.record_audit(user_id=user, action="upload", document=f"{user}.md", old_hash=None,
                             new_hash="h")
    assert records.forget_user(1) == Deleted(feedback=1, declined=1, answers=1, audit=1)
    assert records.stored_answer(10) is None and records.stored_answer(11) is not None
    assert sorted((e.document, e.user_id) for e in records.audit_log()) == [("1.md", None), ("2.md", 2)]
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
        assert conn.execute("SELECT COUNT(*) FROM audit WHERE user_id = 1").fetchone()[0] == 0
    assert "mine" not in dump and "theirs" in dump
    assert records.forget_user(2, audit=False) == Deleted(feedback=1, declined=1, answers=1)
    assert records.audit_entries_of(2) == 1


def test_retention_days_is_validated() -> None:
    from bot.core.config import parse_settings
    from bot.core.problems import ProblemError

    assert parse_settings({}).moderation.retention_days == 90
    assert parse_settings({"moderation": {"retention_days": 0}}).moderation.retention_days == 0
    with pytest.raises(ProblemError, match=r"moderation\.retention_days: must be 0 or more, got -1"):
        parse_settings({"moderation": {"retention_days": -1}})


def test_a_stored_answer_keeps_what_a_page_shows_not_the_chunk_texts_or_the_topics(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    records = Records.open(path)
    citation = Citation("zebras", "Zebras", None, None, (1,), None, None)
    passage = Passage("zebras#p1", 1.0, "Zebras eat grass.", ((0, 6),),
                      "Zebras eat grass. Chunkonly sentence.", citation, ("zebra",), 0.5, ("1990",))
    answer = Answer("what did zebras eat in 1990?", Outcome.ANSWERED, (passage,),
                    topics=("Zebras", "Topiconly title"))
    records.store_answer(message_id=1, user_id=5, answer=answer, per_page=3)
    stored = records.stored_answer(1)
    assert stored is not None and stored.question == answer.question
    (kept,) = stored.answer.passages
    assert (kept.chunk_id, kept.quote, kept.highlights, kept.citation, kept.missing) == (
        passage.chunk_id, passage.quote, passage.highlights, passage.citation, passage.missing)
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "Chunkonly" not in dump and "Topiconly" not in dump


def test_with_the_question_log_off_no_word_of_the_question_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    records = Records.open(path, log_questions=False)
    citation = Citation("zebras", "Zebras", None, None, (1,), None, None)
    passage = Passage("zebras#p1", 1.0, "Zebras eat grass.", ((0, 6),), "Zebras eat grass.", citation,
                      ("zebra",), 0.5, ("Xqzmissing",))
    records.store_answer(message_id=1, user_id=5, per_page=3,
                         answer=Answer("zebras Xqzmissing?", Outcome.ANSWERED, (passage,)))
    stored = records.stored_answer(1)
    assert stored is not None and stored.question is None and stored.answer.passages[0].missing == ()
    with sqlite3.connect(path) as conn:
        assert "Xqzmissing" not in "\n".join(conn.iterdump())


def test_forgetting_an_asker_deletes_the_private_copies_of_their_answers_shown_to_others(
        tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    records.store_answer(message_id=10, user_id=1, answer=_answer("mine?"), per_page=3)
    records.store_answer(message_id=11, user_id=2, answer=_answer("mine?"), per_page=3, asker_id=1)
    records.store_answer(message_id=12, user_id=2, answer=_answer("theirs?"), per_page=3)
    copy = records.stored_answer(11)
    assert copy is not None and (copy.user_id, copy.asker) == (2, 1)
    assert records.forget_user(1).answers == 2
    assert [records.stored_answer(m) is None for m in (10, 11, 12)] == [True, True, False]


def test_forgetting_an_asker_clears_their_question_from_other_users_votes_and_keeps_the_votes(
        tmp_path: Path) -> None:
    records = Records.open(tmp_path / "r.db")
    for voter, question in ((2, "Xqzfirst question?"), (2, "Xqzsecond question?"), (3, "Xqzfirst question?")):
        records.record_feedback(chunk_id="a#p1", question=question, helpful=False, user_id=voter, asker_id=1)
    records.record_feedback(chunk_id="a#p1", question="Own question?", helpful=True, user_id=4, asker_id=4)
    assert records.top_unhelpful()[0].last_question.startswith("Xqz")
    records.forget_user(1)
    (gap,) = records.top_unhelpful()
    # voter 2's two votes on one passage become one; voter 3's stays; voter 4's own question stays
    assert (gap.not_helpful, gap.helpful, gap.last_question) == (2, 1, "")
    with sqlite3.connect(tmp_path / "r.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert "xqz" not in dump.lower() and "Own question?" in dump
