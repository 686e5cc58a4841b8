"""What the bot keeps about users, and for how long: retention at start and periodically, /forget-me."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import msgspec

from bot.core.answer import Answer
from bot.moderation.records import Records
from tests.discord_standin import EPHEMERAL, DiscordStandIn
from tests.test_discord_stored_answers import WATER, ask, press

NOT_STORED = "This answer is no longer stored; please ask again."


def with_retention(settings: Any, days: int) -> Any:
    moderation = msgspec.structs.replace(settings.moderation, retention_days=days)
    return msgspec.structs.replace(settings, moderation=moderation)


def age_everything(db: Path, days: float) -> None:
    with sqlite3.connect(db) as conn:
        for table in ("feedback", "declined", "answers"):
            conn.execute(f"UPDATE {table} SET at = at - ?", (days * 86_400,))


def rows(db: Path, table: str, user_id: int | None = None) -> int:
    with sqlite3.connect(db) as conn:
        if user_id is None:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,)).fetchone()[0])


async def eventually(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_old_records_are_deleted_at_start_and_then_periodically(
    standin, start_bot, settings, monkeypatch
):
    from bot.discord_app.client import KnowledgeBot

    db = Path(settings.data_dir) / "records.sqlite3"
    seeded = Records.open(db)  # what an earlier run left
    seeded.record_declined(question="What about potatoes?", user_id=5)
    seeded.store_answer(message_id=1, user_id=5, answer=Answer.from_record({
        "version": 1, "question": "q", "outcome": "no_match", "passages": [], "message": None, "topics": []}),
        per_page=3)
    age_everything(db, 31)
    seeded.record_declined(question="What about carrots?", user_id=5)  # recent: kept
    monkeypatch.setattr(KnowledgeBot, "retention_interval", 0.05)
    bot = await start_bot(with_retention(settings, 30))
    assert [g.question for g in bot.records.top_declined()] == ["What about carrots?"]  # purged before ready
    assert rows(db, "answers") == 0
    message = await ask(standin, WATER)
    assert (await press(standin, message, "kb:fb:1:0"))["data"]["content"].startswith("Thanks")
    assert rows(db, "answers") == 1 and rows(db, "feedback") == 1
    age_everything(db, 31)
    await eventually(lambda: sum(rows(db, table) for table in ("answers", "feedback", "declined")) == 0)
    assert (await press(standin, message, "kb:more:1"))["data"]["content"] == NOT_STORED


async def test_retention_zero_keeps_everything(standin, start_bot, settings):
    db = Path(settings.data_dir) / "records.sqlite3"
    Records.open(db).record_declined(question="What about potatoes?", user_id=5)
    age_everything(db, 10_000)
    bot = await start_bot(with_retention(settings, 0))
    assert [g.question for g in bot.records.top_declined()] == ["What about potatoes?"]


async def forget_me(standin: DiscordStandIn, user: dict[str, Any]) -> str:
    event = standin.slash("forget-me", user=user)
    await standin.dispatch("INTERACTION_CREATE", event)
    callback = await standin.wait_callback(int(event["id"]))
    assert callback.json["data"]["flags"] & EPHEMERAL
    reply = await standin.wait_followup(event["token"])
    assert reply.json["flags"] & EPHEMERAL and reply.json["allowed_mentions"] == {"parse": []}
    return reply.json["content"]


async def test_forget_me_deletes_the_users_own_data_and_nobody_elses(standin, start_bot, settings):
    bot = await start_bot()
    db = Path(settings.data_dir) / "records.sqlite3"
    me, other = standin.user(71, "me"), standin.user(72, "other")
    mine = await ask(standin, WATER, user=me)
    theirs = await ask(standin, WATER, user=other)
    for message, user in ((mine, me), (theirs, other)):
        await press(standin, message, "kb:fb:0:0", user=user)
    await asyncio.to_thread(bot.records.record_declined, question="What about potatoes?", user_id=71)
    text = await forget_me(standin, me)
    assert text.startswith("Done: I deleted everything I had stored about you (1 feedback vote(s), "
                           "1 declined question(s) and 1 stored answer(s)).")
    assert "audit log" not in text  # not a moderator: nothing of theirs is kept
    for table in ("feedback", "declined", "answers"):
        assert rows(db, table, 71) == 0
    assert rows(db, "feedback", 72) == 1 and rows(db, "answers", 72) == 1
    assert (await press(standin, mine, "kb:more:1", user=me))["data"]["content"] == NOT_STORED
    assert (await press(standin, theirs, "kb:fb:1:0", user=other))["data"]["content"].startswith("Thanks")
