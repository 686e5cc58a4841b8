"""Questions and answers: /ask, /sources, /help, DMs, mentions, answer channels, "Answer this".

Every path goes through the same steps: per-user cooldown, ``engine.ask`` in a worker thread,
:mod:`bot.discord_app.render` for the card, send with ``allowed_mentions`` none. Interactions are
answered at once when the engine is quick and deferred first when it is not, so Discord's
3-second acknowledgement window is met even during a burst or an index rebuild.

The answer's buttons are persistent (``DynamicItem`` with a custom_id template, ``timeout=None``):
"More" and the feedback buttons keep working after a restart. Every answer the bot sends with
buttons is stored in the records database under its message id, with who asked and the passages
as shown (:meth:`Records.store_answer`); a press reads that row back and never runs the engine,
so "More" pages exactly what was answered and feedback names the passage the user saw, even after
the knowledge changed. Without a row (an older message, or purged by retention) the user is told
to ask again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.answer import Answer, Outcome
from bot.core.index.build import Snapshot
from bot.discord_app import render
from bot.discord_app.client import CLOSE_GRACE_SECONDS
from bot.discord_app.cooldown import UserCooldown
from bot.discord_app.errors import SafeView, on_component_error, send_private
from bot.moderation import reports
from bot.moderation.records import StoredAnswer

if TYPE_CHECKING:
    from bot.discord_app.client import KnowledgeBot

log = logging.getLogger("bot.discord.ask")

NONE = discord.AllowedMentions.none()
NOT_STORED = "This answer is no longer stored; please ask again."
IN_FLIGHT_WAIT = 5.0  # seconds a press waits for answers being sent and stored right now
DECLINED_OUTCOMES = (Outcome.NO_MATCH, Outcome.NO_KNOWLEDGE)


def sources_card(snap: Snapshot) -> render.Card:
    """``/sources`` for this snapshot: every document with its date, size and passage count."""
    counts = snap.chunk_counts()
    return render.render_sources([
        render.SourceRow(d.title, d.published, d.url, d.size_chars, counts.get(d.doc_id, 0))
        for d in snap.documents
    ])


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=render.MORE_PATTERN):
    """Shows page ``page`` of the answer in the same message."""

    def __init__(self, page: int, label: str = "More", row: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                row=row,
                custom_id=render.MORE_ID.format(page=page),
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(int(match["page"]), getattr(item, "label", None) or "More")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await _cog(interaction).show_page(interaction, self.page)
        except Exception as exc:
            await on_component_error(interaction, exc, self.item)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=render.FEEDBACK_PATTERN):
    """Records "Helpful" / "Not helpful" for the lead passage of the page shown."""

    def __init__(self, helpful: bool, page: int, label: str | None = None, row: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or ("Helpful" if helpful else "Not helpful"),
                row=row,
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=render.FEEDBACK_ID.format(vote=int(helpful), page=page),
            )
        )
        self.helpful = helpful
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(match["vote"] == "1", int(match["page"]), getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await _cog(interaction).record_feedback(interaction, self.helpful, self.page)
        except Exception as exc:
            await on_component_error(interaction, exc, self.item)


def _cog(interaction: discord.Interaction[Any]) -> AskCog:
    cog = interaction.client.get_cog("Ask")
    if not isinstance(cog, AskCog):
        raise RuntimeError("the Ask cog is not loaded")
    return cog


def build_view(card: render.Card) -> SafeView | None:
    """The card's buttons as a persistent view (None when there are none)."""
    if not card.buttons:
        return None
    view = SafeView()
    for b in card.buttons:
        if b.url is not None:
            view.add_item(
                discord.ui.Button(label=b.label, url=b.url, style=discord.ButtonStyle.link, row=b.row)
            )
        elif (m := re.fullmatch(render.MORE_PATTERN, b.custom_id or "")) is not None:
            view.add_item(MoreButton(int(m["page"]), b.label, b.row))
        elif (m := re.fullmatch(render.FEEDBACK_PATTERN, b.custom_id or "")) is not None:
            view.add_item(FeedbackButton(m["vote"] == "1", int(m["page"]), b.label, b.row))
    return view


def card_kwargs(card: render.Card) -> dict[str, Any]:
    """Keyword arguments for any discord.py send/edit call, always with mentions disabled."""
    kwargs: dict[str, Any] = {"allowed_mentions": NONE}
    if card.embed is not None:
        kwargs["embed"] = discord.Embed.from_dict(card.embed)
    if card.content is not None:
        kwargs["content"] = card.content
    view = build_view(card)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def shown_title(message: discord.Message | None) -> str | None:
    """The title the message shows now: kept as is when the question itself was not stored."""
    return message.embeds[0].title if message is not None and message.embeds else None


def _again_at(retry_after: float) -> str:
    """When the cooldown ends, as a Discord timestamp each reader sees relative to now ("in 3 seconds")."""
    return discord.utils.format_dt(datetime.fromtimestamp(int(time.time() + retry_after) + 1, UTC), "R")


def cooldown_text(retry_after: float) -> str:
    return render.text_message(f"You're asking quickly. You can ask again {_again_at(retry_after)}.")


def press_cooldown_text(retry_after: float) -> str:
    again = _again_at(retry_after)
    return render.text_message(f"You're pressing buttons quickly. You can press again {again}.")


class AskCog(commands.Cog, name="Ask"):
    """Answers questions; see the module docstring."""

    def __init__(self, bot: KnowledgeBot) -> None:
        self.bot = bot
        d = bot.settings.discord
        self.per_page = d.passages_per_page
        self.max_passages = max(d.max_passages, d.passages_per_page)
        self.cooldown = UserCooldown(d.cooldown_rate, d.cooldown_seconds)
        self.press_cooldown = UserCooldown(d.button_cooldown_rate, d.cooldown_seconds)  # see cooldown.py
        self.answer_channels = frozenset(d.answer_channel_ids)
        # Answers being sent and stored right now: a press that finds no row waits for them and
        # looks again, since the button may belong to one whose row is not written yet.
        self._in_flight: set[asyncio.Future[None]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.answer_this = app_commands.ContextMenu(name="Answer this", callback=self._answer_this)
        bot.tree.add_command(self.answer_this)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MoreButton, FeedbackButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.answer_this.name, type=self.answer_this.type)
        self.bot.remove_dynamic_items(MoreButton, FeedbackButton)
        if self._background:  # declines still being recorded (the bot is closing): let them finish
            await asyncio.wait(set(self._background), timeout=CLOSE_GRACE_SECONDS)

    # ------------------------------------------------------------------ engine
    async def ask_engine(self, question: str) -> Answer:
        return await self.bot.ask(question, self.max_passages)

    async def store_sent(
        self, message_id: int | None, user_id: int, answer: Answer, per_page: int | None = None,
        asker_id: int | None = None,
    ) -> None:
        """Store what a sent message shows and who it is for, so its buttons can read it back.

        Only answers with buttons are stored (a decline has none). A failure is logged, not raised:
        the answer was sent, and its buttons will then ask the user to ask again.
        """
        records = self.bot.records
        if message_id is None or records is None or not (answer.answered and answer.passages):
            return
        try:
            await asyncio.to_thread(
                records.store_answer,
                message_id=message_id,
                user_id=user_id,
                answer=answer,
                per_page=per_page or self.per_page,
                asker_id=asker_id,
            )
        except Exception:
            log.exception("could not store the answer in message %s", message_id)

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Mark an answer as being sent and stored (see ``_in_flight``)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight.add(done)
        try:
            yield
        finally:
            self._in_flight.discard(done)
            done.set_result(None)

    def _record_declined_later(self, answer: Answer, user_id: int) -> None:
        records = self.bot.records
        if (
            records is None
            or answer.outcome not in DECLINED_OUTCOMES
            or not self.bot.settings.moderation.log_questions
        ):
            return
        task = asyncio.create_task(self._record_declined(answer.question, user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _record_declined(self, question: str, user_id: int) -> None:
        records = self.bot.records
        assert records is not None
        try:
            await asyncio.to_thread(records.record_declined, question=question, user_id=user_id)
        except Exception:
            log.exception("could not record a declined question")

    # ------------------------------------------------------------------ interactions
    async def answer_interaction(
        self, interaction: discord.Interaction[Any], question: str, private: bool
    ) -> None:
        """Cooldown, answer (deferring when the engine is not quick), store it, record a decline."""
        retry = self.cooldown.hit(interaction.user.id)
        if retry is not None:
            await interaction.response.send_message(
                cooldown_text(retry), ephemeral=True, allowed_mentions=NONE
            )
            return
        busy = self.bot.engine_busy()
        task = asyncio.ensure_future(self.ask_engine(question))
        done = set() if busy else (await asyncio.wait({task}, timeout=self.bot.ack_budget))[0]
        if not done:
            await interaction.response.defer(ephemeral=private, thinking=True)
            interaction.extras["deferred_public"] = not private
        answer = await task
        card = render.render_answer(answer, 0, self.per_page)
        kwargs = card_kwargs(card)
        async with self.sending():
            if interaction.response.is_done():
                sent = await interaction.followup.send(ephemeral=private, wait=True, **kwargs)
                message_id: int | None = sent.id
            else:
                callback = await interaction.response.send_message(ephemeral=private, **kwargs)
                message_id = callback.message_id if callback is not None else None
            interaction.extras["sent"] = True
            await self.store_sent(message_id, interaction.user.id, answer)
        self._record_declined_later(answer, interaction.user.id)

    @app_commands.command(name="ask", description="Ask a question; the answer quotes the knowledge base.")
    @app_commands.describe(question="Your question, in words", private="Show the answer only to you")
    async def ask(
        self,
        interaction: discord.Interaction[Any],
        question: app_commands.Range[str, 1, 6000],
        private: bool = False,
    ) -> None:
        await self.answer_interaction(interaction, question, private)

    async def _answer_this(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        if not render.visible(message.content):
            await send_private(interaction, "That message has no text I could answer.")
            return
        await self.answer_interaction(interaction, message.content, False)

    @app_commands.command(name="sources", description="List the documents the bot answers from.")
    async def sources(self, interaction: discord.Interaction[Any]) -> None:
        card = await asyncio.to_thread(sources_card, self.bot.engine.snapshot)  # 100k documents: a thread
        await interaction.response.send_message(ephemeral=True, **card_kwargs(card))

    @app_commands.command(name="help", description="How to ask, what the bot knows, how citations read.")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        card = render.render_help(self.bot.engine.snapshot.topics, per_page=self.per_page,
                                  max_passages=self.max_passages)
        await interaction.response.send_message(ephemeral=True, **card_kwargs(card))

    @app_commands.command(
        name="forget-me", description="Delete what the bot has stored about you: questions, votes, answers."
    )
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        """Anyone's own erasure request; their moderator changes keep their id (see the reply)."""
        records = self.bot.records
        if records is None:
            await send_private(interaction, "Nothing can be deleted right now; please try again later.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        deleted = await asyncio.to_thread(records.forget_user, user_id, audit=False)
        kept = await asyncio.to_thread(records.audit_entries_of, user_id)
        text = (
            f"Done: I deleted everything I had stored about you ({reports.deleted_counts(deleted)}). "
            "Buttons on answers you asked for now say the answer is no longer stored."
        )
        if kept:
            text += (
                f" Your user id stays on the {kept} change(s) you made to the knowledge base as a "
                "moderator (the audit log); another moderator can remove it with /kb forget."
            )
        await send_private(interaction, text)

    # ------------------------------------------------------------------ buttons
    async def _stored_in_time(
        self, interaction: discord.Interaction[Any], *, edit: bool
    ) -> StoredAnswer | None:
        """The stored answer of the pressed message; defer first when the database is slow to say.

        ``edit``: defer as an update of the message (More) rather than as a private reply.
        """
        records, message = self.bot.records, interaction.message
        if records is None or message is None:
            return None
        task = asyncio.ensure_future(self._read_stored(message.id))
        done, _ = await asyncio.wait({task}, timeout=self.bot.ack_budget)
        if not done:
            if edit:
                await interaction.response.defer()  # "deferred update": the message is edited later
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        return await task

    async def _read_stored(self, message_id: int) -> StoredAnswer | None:
        records = self.bot.records
        assert records is not None
        # The answers being sent and stored when the press arrived, taken before reading: one that
        # finishes during the read may have committed after the read began, and then the read
        # misses its row while the set is already empty.
        pending = set(self._in_flight)
        stored = await asyncio.to_thread(records.stored_answer, message_id)
        if stored is None and pending:  # perhaps sent a moment ago, its row not written yet
            await asyncio.wait(pending, timeout=IN_FLIGHT_WAIT)
            stored = await asyncio.to_thread(records.stored_answer, message_id)
        return stored

    async def _pressing_too_fast(self, interaction: discord.Interaction[Any]) -> bool:
        """The button cooldown: True (and the user told when to try again) when over the limit."""
        retry = self.press_cooldown.hit(interaction.user.id)
        if retry is None:
            return False
        await send_private(interaction, press_cooldown_text(retry))
        return True

    async def show_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Page ``page`` of the stored answer: in place for the asker, as a private copy for others."""
        if await self._pressing_too_fast(interaction):
            return
        stored = await self._stored_in_time(interaction, edit=True)
        if stored is None:
            await send_private(interaction, NOT_STORED)
            return
        title = None if stored.question else shown_title(interaction.message)
        if stored.user_id != interaction.user.id:
            # Someone else's answer: page through a private copy instead of changing the message
            # under the asker's eyes. The copy is theirs, so its own buttons turn its pages.
            card = render.render_answer(stored.answer, page, stored.per_page, title=title)
            async with self.sending():
                if interaction.response.is_done():
                    sent = await interaction.followup.send(ephemeral=True, wait=True, **card_kwargs(card))
                    copy_id: int | None = sent.id
                else:
                    callback = await interaction.response.send_message(ephemeral=True, **card_kwargs(card))
                    copy_id = callback.message_id if callback is not None else None
                await self.store_sent(copy_id, interaction.user.id, stored.answer, stored.per_page,
                                      asker_id=stored.asker)
            return
        card = render.render_answer(stored.answer, page, stored.per_page, title=title)
        if interaction.response.is_done():
            await interaction.edit_original_response(**card_kwargs(card))
        else:
            await interaction.response.edit_message(**card_kwargs(card))

    async def record_feedback(self, interaction: discord.Interaction[Any], helpful: bool, page: int) -> None:
        """A vote for the lead passage of page ``page`` as the stored answer showed it."""
        if await self._pressing_too_fast(interaction):
            return
        stored = await self._stored_in_time(interaction, edit=False)
        if stored is None:
            await send_private(interaction, NOT_STORED)
            return
        passages = stored.answer.passages
        index = page * stored.per_page
        if index >= len(passages):
            await send_private(interaction, "That page is not part of this answer; please ask again.")
            return
        if self.bot.records is not None:
            await asyncio.to_thread(
                self.bot.records.record_feedback,
                chunk_id=passages[index].chunk_id,
                question=stored.question or "",
                helpful=helpful,
                user_id=interaction.user.id,
                # Someone else's question is theirs: forgetting them clears it from this vote.
                asker_id=stored.asker,
            )
        text = (
            "Thanks! Noted that this answer helped."
            if helpful
            else "Thanks for telling me. Moderators will see that this answer did not help."
        )
        await send_private(interaction, text)

    # ------------------------------------------------------------------ messages
    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when it is not addressed to the bot."""
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None or message.author.id == me.id:
            return None
        if message.guild is None:
            return message.content
        mentioned = any(u.id == me.id for u in message.mentions)
        if mentioned:
            return re.sub(rf"<@!?{me.id}>", " ", message.content).strip()
        if message.channel.id in self.answer_channels and render.visible(message.content):
            return message.content
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        try:
            retry = self.cooldown.hit(message.author.id)
            if retry is not None:
                extra: dict[str, Any] = {"delete_after": min(retry + 1, 60)} if message.guild else {}
                await message.reply(
                    cooldown_text(retry), mention_author=False, allowed_mentions=NONE, **extra
                )
                return
            answer = await self.ask_engine(question)
            card = render.render_answer(answer, 0, self.per_page)
            async with self.sending():
                sent = await message.reply(mention_author=False, **card_kwargs(card))
                await self.store_sent(sent.id, message.author.id, answer)
            self._record_declined_later(answer, message.author.id)
        except Exception:
            log.exception("error answering message %s", message.id)
            try:
                await message.reply(
                    render.text_message("Sorry, something went wrong on my side; please try again."),
                    mention_author=False,
                    allowed_mentions=NONE,
                )
            except discord.HTTPException:
                log.warning("could not send the apology for message %s", message.id)


async def setup(bot: KnowledgeBot) -> None:
    await bot.add_cog(AskCog(bot))
