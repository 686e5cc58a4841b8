"""Buttons read what was shown from the records database: the asker, the question and the passages
stored per sent message. They never run the engine and never parse the embed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from tests.conftest import GARDEN, with_discord
from tests.discord_standin import CHANNEL_MESSAGE, EPHEMERAL, UPDATE_MESSAGE, DiscordStandIn

WATER = "How often should I water tomatoes?"
BYSTANDER = 500_000_000_000_000_042


def count_engine_calls(bot: Any) -> list[str]:
    """Wrap the bot's engine so the test can see every question it is asked."""
    calls: list[str] = []
    real = bot.engine.ask

    def counting(question: str, top: int | None = None) -> Any:
        calls.append(question)
        return real(question, top)

    bot.engine.ask = counting
    return calls


def sent_message(standin: DiscordStandIn, body: dict[str, Any]) -> dict[str, Any]:
    """The message the stand-in created for a request body the bot sent."""
    return next(m for m in standin.messages.values() if m["embeds"] == body["embeds"])


async def ask(standin: DiscordStandIn, question: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """``/ask`` publicly; returns the answer message as the stand-in keeps it."""
    event = standin.slash("ask", {"question": question}, user=user)
    await standin.dispatch("INTERACTION_CREATE", event)
    await standin.wait_callback(int(event["id"]))
    return standin.response_message(event["token"])


async def press(standin: DiscordStandIn, message: dict[str, Any], custom_id: str,
                user: dict[str, Any] | None = None) -> dict[str, Any]:
    """Press a button; returns the callback body (private replies are checked by the callers)."""
    event = standin.component(message, custom_id, user=user)
    await standin.dispatch("INTERACTION_CREATE", event)
    return (await standin.wait_callback(int(event["id"]))).json


def footer(body: dict[str, Any]) -> str:
    return body["data"]["embeds"][0]["footer"]["text"]


async def test_more_on_a_mention_reply_gives_a_bystander_a_private_copy(standin, start_bot, settings):
    await start_bot(with_discord(settings, passages_per_page=2, max_passages=6))
    me = standin.bot_user()
    asked = standin.message(f"<@{me['id']}> tomatoes", mentions=[me])
    await standin.dispatch("MESSAGE_CREATE", asked)
    (reply,) = await standin.wait_for("POST", rf"/channels/{standin.channel_id}/messages")
    shared = sent_message(standin, reply.json)
    assert "interaction_metadata" not in shared  # a plain reply: Discord says nothing of who asked
    before = dict(shared)

    copy = await press(standin, shared, "kb:more:1", user=standin.user(BYSTANDER, "bystander"))
    assert copy["type"] == CHANNEL_MESSAGE and copy["data"]["flags"] & EPHEMERAL
    assert "page 2 of 3" in footer(copy)
    assert shared == before  # the asker's message is left alone
    # the copy is the bystander's: its own More turns its pages in place
    private = sent_message(standin, copy["data"])  # the only message showing page 2
    again = await press(standin, private, "kb:more:2", user=standin.user(BYSTANDER, "bystander"))
    assert again["type"] == UPDATE_MESSAGE and "page 3 of 3" in footer(again)
    # the asker (the author of the mention) turns the shared message's page
    own = await press(standin, shared, "kb:more:1", user=asked["author"])
    assert own["type"] == UPDATE_MESSAGE and "page 2 of 3" in footer(own)


async def test_a_bystanders_copy_and_vote_keep_no_question_of_the_askers_once_the_asker_is_forgotten(
    standin, start_bot, settings
) -> None:
    bot = await start_bot(with_discord(settings, passages_per_page=1, max_passages=6))
    me = standin.bot_user()
    question = "How often should I water tomatoes in xqzasker?"
    asked = standin.message(f"<@{me['id']}> {question}", mentions=[me])
    await standin.dispatch("MESSAGE_CREATE", asked)
    (reply,) = await standin.wait_for("POST", rf"/channels/{standin.channel_id}/messages")
    shared = sent_message(standin, reply.json)
    bystander = standin.user(BYSTANDER, "bystander")
    copy = await press(standin, shared, "kb:more:1", user=bystander)
    private = sent_message(standin, copy["data"])
    await press(standin, private, "kb:fb:0:1", user=bystander)  # "Not helpful" on the copy's page
    copy_row = bot.records.stored_answer(int(private["id"]))
    assert copy_row is not None and copy_row.user_id == BYSTANDER
    assert copy_row.asker == int(asked["author"]["id"])
    # moderators see which question the passage did not answer, until its asker is forgotten
    assert [g.last_question for g in bot.records.top_unhelpful()] == [question]

    bot.records.forget_user(int(asked["author"]["id"]))
    assert bot.records.stored_answer(int(private["id"])) is None
    ((gap),) = bot.records.top_unhelpful()  # the bystander's vote stays, without the question
    assert (gap.not_helpful, gap.last_question) == (1, "")
    with sqlite3.connect(Path(settings.data_dir) / "records.sqlite3") as conn:
        assert "xqzasker" not in "\n".join(conn.iterdump())


async def test_feedback_after_a_knowledge_change_and_restart_names_the_passage_shown(
    standin, start_bot, settings, knowledge_dir: Path
):
    bot = await start_bot()
    message = await ask(standin, WATER)
    assert "Water tomatoes" in message["embeds"][0]["description"]
    await bot.close()
    # a new first paragraph: the watering passage is now garden#p2, and a new question would lead with it
    revised = GARDEN.replace("---\n\nTomatoes", "---\n\nThis article was revised in spring.\n\nTomatoes")
    (knowledge_dir / "garden.md").write_text(revised, encoding="utf-8")
    bot = await start_bot()
    assert bot.engine.ask(WATER).passages[0].chunk_id == "garden#p2"
    calls = count_engine_calls(bot)
    vote = await press(standin, message, "kb:fb:0:0")
    assert vote["data"]["content"].startswith("Thanks") and vote["data"]["flags"] & EPHEMERAL
    (gap,) = bot.records.top_unhelpful()
    assert gap.chunk_id == "garden#p1" and gap.last_question == WATER  # what the user saw
    assert calls == []


async def test_feedback_on_a_long_question_records_all_of_it(standin, start_bot, settings):
    question = "How often should I water tomatoes, " + "and how deeply should I water the tomatoes " * 7
    assert len(question) > 256  # longer than an embed title
    bot = await start_bot()
    message = await ask(standin, question)
    assert message["embeds"][0]["title"].endswith("…")
    await bot.close()
    bot = await start_bot()
    await press(standin, message, "kb:fb:0:0")
    (gap,) = bot.records.top_unhelpful()
    assert gap.last_question == question.strip()


async def test_a_message_without_a_stored_answer_asks_to_ask_again_and_runs_no_engine(
    standin, start_bot, settings
):
    bot = await start_bot(with_discord(settings, passages_per_page=2, max_passages=6))
    message = await ask(standin, "tomatoes")
    older = dict(message, id=str(standin.new_id()))  # as sent by a version that stored nothing
    standin.messages[int(older["id"])] = older
    calls = count_engine_calls(bot)
    for custom_id in ("kb:more:1", "kb:fb:0:0", "kb:fb:1:0"):
        reply = await press(standin, older, custom_id)
        assert reply["type"] == CHANNEL_MESSAGE and reply["data"]["flags"] & EPHEMERAL
        assert reply["data"]["content"] == "This answer is no longer stored; please ask again."
    assert calls == [] and bot.records.top_unhelpful() == []
    assert older == standin.messages[int(older["id"])]


async def test_question_log_off_stores_the_passages_but_not_the_question(standin, start_bot, settings):
    quiet = msgspec.structs.replace(
        with_discord(settings, passages_per_page=1, max_passages=6),
        moderation=msgspec.structs.replace(settings.moderation, log_questions=False),
    )
    bot = await start_bot(quiet)
    question = "how should tomatoes be watered, xqzsecret?"
    message = await ask(standin, question)
    title = message["embeds"][0]["title"]
    page = await press(standin, message, "kb:more:1")  # answered from the stored row, once written
    assert page["type"] == UPDATE_MESSAGE and "page 2 of 2" in footer(page)
    assert page["data"]["embeds"][0]["title"] == title  # the title shown is kept
    stored = bot.records.stored_answer(int(message["id"]))
    assert stored is not None and stored.question is None and len(stored.answer.passages) == 2
    with sqlite3.connect(Path(settings.data_dir) / "records.sqlite3") as conn:
        dump = "\n".join(conn.iterdump())
    assert "xqzsecret" not in dump and "watered" not in dump


async def test_a_user_at_the_question_limit_cannot_make_a_button_run_the_engine(standin, start_bot, settings):
    limited = with_discord(
        settings, cooldown_rate=1, cooldown_seconds=600, passages_per_page=2, max_passages=6
    )
    bot = await start_bot(limited)
    user = standin.user(BYSTANDER, "quick")
    earlier = await ask(standin, "tomatoes", user=user)
    await bot.close()  # nothing of that answer is left in memory
    bot = await start_bot(limited)
    calls = count_engine_calls(bot)
    await ask(standin, WATER, user=user)  # uses the one question allowed
    event = standin.slash("ask", {"question": "tomatoes"}, user=user)
    await standin.dispatch("INTERACTION_CREATE", event)
    notice = (await standin.wait_callback(int(event["id"]))).json["data"]
    assert notice["content"].startswith("You're asking quickly")  # at the limit now
    page = await press(standin, earlier, "kb:more:1", user=user)
    assert page["type"] == UPDATE_MESSAGE and "page 2 of 3" in footer(page)
    vote = await press(standin, earlier, "kb:fb:0:1", user=user)  # the message shows page 2 now
    assert vote["data"]["content"].startswith("Thanks")
    assert calls == [WATER]  # only the allowed question ran the engine


async def test_button_presses_have_their_own_limit(standin, start_bot, settings):
    await start_bot(with_discord(settings, button_cooldown_rate=2, cooldown_seconds=600))
    message = await ask(standin, WATER)
    for _ in range(2):
        assert (await press(standin, message, "kb:fb:1:0"))["data"]["content"].startswith("Thanks")
    third = await press(standin, message, "kb:fb:1:0")
    assert third["type"] == CHANNEL_MESSAGE and third["data"]["flags"] & EPHEMERAL
    assert third["data"]["content"].startswith("You're pressing buttons quickly. You can press again <t:")
    other = await press(standin, message, "kb:fb:1:0", user=standin.user(BYSTANDER, "other"))
    assert other["data"]["content"].startswith("Thanks")  # per user
