"""``/kb …``: moderator commands to keep the knowledge base current from Discord.

Rights are checked here, in the bot, for every command and every autocomplete: Manage Server
(or Administrator) in the server, or one of ``moderation.moderator_role_ids``. ``default_permissions``
only hides the group in the client and server admins can change it, so it is a convenience, not
the check. Everyone else gets a private refusal and nothing happens.

Every reply is private (ephemeral) with mentions disabled, and every piece of untrusted text in it
(file names, document ids, problem lines quoting a YAML key, rejection reasons, user input) goes
through :func:`render.safe`, the escaper answers use, where the message is built here, so
``@everyone``, ``<@&role>`` or a masked link ``[text](https://…)`` arrives as plain text; names are
put in code spans only when they are plain (:func:`reports.code`). Slow work (downloads, file I/O,
SQLite, rebuilding the index) runs after a deferral and off the event loop. The cog owns the
knowledge folder watcher: started in ``cog_load``, stopped in ``cog_unload``. The writing itself
lives in :mod:`bot.moderation` (pure, tested without Discord).
"""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import render
from bot.discord_app.attachments import AttachmentFetcher
from bot.moderation import reports
from bot.moderation.reloader import Reloader, ReloadSummary
from bot.moderation.store import KnowledgeStore, StoreError
from bot.moderation.uploads import UploadRejected, check_filename

if TYPE_CHECKING:
    from bot.discord_app.client import KnowledgeBot

log = logging.getLogger("bot.discord.kb")

NONE = discord.AllowedMentions.none()
REFUSAL = (
    "Only moderators can use /kb commands (Manage Server permission or a moderator role). "
    "Nothing was changed."
)
MESSAGE_LIMIT = 1900
DOWNLOAD_LIMIT = 8 * 1024 * 1024  # below every server's attachment limit for bots


def is_moderator(interaction: discord.Interaction[Any], role_ids: frozenset[int]) -> bool:
    """Manage Server / Administrator in this server, or a configured moderator role; never in DMs."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    return any(role.id in role_ids for role in member.roles)


def _who(interaction: discord.Interaction[Any]) -> str:
    return f"<@{interaction.user.id}>"


def _name(filename: str) -> str:
    """A file name for a reply: inline code when plain, escaped text otherwise."""
    return reports.code(filename, render.safe)


def _reason(exc: Exception) -> str:
    """A refusal's reason (it quotes file names, document names and YAML keys), escaped."""
    return render.safe(str(exc))


def _summary(summary: ReloadSummary, limit: int = MESSAGE_LIMIT) -> str:
    return summary.render(limit, render.safe)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class KbCog(
    commands.GroupCog,
    name="Moderation",
    group_name="kb",
    group_description="Moderators: keep the knowledge base current",
):
    """Moderator commands; see the module docstring."""

    def __init__(self, bot: KnowledgeBot) -> None:
        self.bot = bot
        self.moderation = bot.settings.moderation
        self.role_ids = frozenset(self.moderation.moderator_role_ids)
        self.store: KnowledgeStore | None = None
        self.reloader: Reloader | None = None
        # Attachments only from Discord's file hosts or the API the bot is talking to.
        self.fetcher = AttachmentFetcher(discord.http.Route.BASE)
        super().__init__()

    async def cog_load(self) -> None:
        history = Path(self.bot.settings.data_dir) / "history"
        self.store = await asyncio.to_thread(
            KnowledgeStore,
            self.bot.knowledge_dir,
            history,
            self.bot.records,
            self.moderation.max_upload_bytes,
        )
        self.reloader = Reloader(
            self.bot.engine,
            self.bot.knowledge_dir,
            self.bot.settings.retrieval,
            interval=self.moderation.watch_interval_seconds,
            debounce=self.moderation.reload_debounce_seconds,
            store=self.store,
            listener=self.post_summary,
            limits=self.bot.settings.limits,
            data_dir=self.bot.data_dir,
        )
        await self.reloader.start()

    async def cog_unload(self) -> None:
        if self.reloader is not None:
            await self.reloader.stop()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if not is_moderator(interaction, self.role_ids):
            log.info("refused /kb for user %s (not a moderator)", interaction.user.id)
            raise app_commands.CheckFailure(REFUSAL)
        return True

    # ------------------------------------------------------------------ helpers
    @property
    def _store(self) -> KnowledgeStore:
        if self.store is None:
            raise RuntimeError("the /kb cog is not loaded")
        return self.store

    @property
    def _reloader(self) -> Reloader:
        if self.reloader is None:
            raise RuntimeError("the /kb cog is not loaded")
        return self.reloader

    async def post_summary(self, summary: ReloadSummary) -> None:
        """Reload listener: post the summary to the log channel when one is configured."""
        channel_id = self.moderation.log_channel_id
        if not channel_id:
            return
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("moderation.log_channel_id %s is not a text channel", channel_id)
            return
        await channel.send(render.clamp(_summary(summary), render.CONTENT_LIMIT), allowed_mentions=NONE)

    async def reply(self, interaction: discord.Interaction[Any], text: str, **kwargs: Any) -> None:
        """A private reply, as the first response or as a follow-up after a deferral."""
        text = render.clamp(text, render.CONTENT_LIMIT)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE, **kwargs)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE, **kwargs)

    async def defer(self, interaction: discord.Interaction[Any]) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def reload_after(self, interaction: discord.Interaction[Any], what: str) -> ReloadSummary:
        """Reload now; ``what`` must already be safe to show (it becomes the summary's reason)."""
        return await self._reloader.reload_now(f"{what} by {_who(interaction)}")

    # ------------------------------------------------------------------ autocomplete
    async def _choices(
        self, interaction: discord.Interaction[Any], current: str, include_removed: bool
    ) -> list[app_commands.Choice[str]]:
        if not is_moderator(interaction, self.role_ids) or self.store is None:
            return []  # do not even reveal file names to others
        names = await asyncio.to_thread(
            self.store.known_files if include_removed else self.store.current_files
        )
        wanted = current.strip().lower()
        return [app_commands.Choice(name=n, value=n) for n in names if wanted in n.lower()][:25]

    async def current_documents(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, include_removed=False)

    async def any_documents(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, include_removed=True)

    async def versions_of(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        document = getattr(interaction.namespace, "document", None)
        if not document or not is_moderator(interaction, self.role_ids) or self.store is None:
            return []
        try:
            versions = await asyncio.to_thread(self._store.versions, str(document))
        except StoreError:
            return []
        choices = [
            app_commands.Choice(name=render.clamp(f"{i}. {v.describe()}", 100), value=v.short_hash)
            for i, v in enumerate(versions, 1)
        ]
        return [c for c in choices if current.strip().lower() in c.name.lower()][:25]

    # ------------------------------------------------------------------ commands
    @app_commands.command(name="reload", description="Reload the knowledge folder now and show what changed.")
    async def reload(self, interaction: discord.Interaction[Any]) -> None:
        await self.defer(interaction)
        summary = await self.reload_after(interaction, "/kb reload")
        await self.reply(interaction, _summary(summary))

    @app_commands.command(
        name="upload", description="Add or replace a knowledge file (.md, .txt) or aliases.yaml."
    )
    @app_commands.describe(file="A UTF-8 .md/.txt file with YAML front matter, or aliases.yaml")
    async def upload(self, interaction: discord.Interaction[Any], file: discord.Attachment) -> None:
        limit = self.moderation.max_upload_bytes
        try:
            check_filename(file.filename)
            if file.size > limit:
                raise UploadRejected(
                    f"'{file.filename}' is {file.size:,} bytes; the limit is {limit:,} bytes "
                    f"(moderation.max_upload_bytes)."
                )
        except UploadRejected as exc:
            await self.reply(interaction, f"Not uploaded, nothing was changed. {_reason(exc)}")
            return
        await self.defer(interaction)
        try:
            data = await self.fetcher.fetch(file.url, file.filename, limit, declared=file.size)
            change = await asyncio.to_thread(self._store.upload, file.filename, data, interaction.user.id)
        except (UploadRejected, StoreError) as exc:
            await self.reply(interaction, f"Not uploaded, nothing was changed. {_reason(exc)}")
            return
        assert change.upload is not None
        if change.unchanged:
            await self.reply(
                interaction, f"{_name(change.filename)} is identical to the current file; nothing changed."
            )
            return
        summary = await self.reload_after(interaction, f"upload of {render.safe(change.filename)}")
        verb = "Replaced" if change.old_hash else "Added"
        kept = (
            f" The previous version is kept in history as `{change.old_hash[:12]}` "
            f"({_name(f'/kb restore {change.filename}')} brings it back)."
            if change.old_hash
            else ""
        )
        described = render.safe(change.upload.describe())
        await self.reply(
            interaction,
            f"{verb} {_name(change.filename)}: {described}.{kept}"
            f"\n\n{_summary(summary, MESSAGE_LIMIT - 400)}",
        )

    @app_commands.command(
        name="remove", description="Take a document out of the knowledge base (kept in history)."
    )
    @app_commands.describe(document="The document to remove")
    @app_commands.autocomplete(document=current_documents)
    async def remove(self, interaction: discord.Interaction[Any], document: str) -> None:
        await self.defer(interaction)
        try:
            change = await asyncio.to_thread(self._store.remove, document, interaction.user.id)
        except StoreError as exc:
            await self.reply(interaction, f"Nothing removed. {_reason(exc)}")
            return
        summary = await self.reload_after(interaction, f"removal of {render.safe(change.filename)}")
        await self.reply(
            interaction,
            f"Removed {_name(change.filename)}. Its last version is kept in history as "
            f"`{(change.old_hash or '')[:12]}`; {_name(f'/kb restore {change.filename}')} "
            f"brings it back.\n\n{_summary(summary, MESSAGE_LIMIT - 300)}",
        )

    @app_commands.command(
        name="history", description="Earlier versions of a document, or the latest changes."
    )
    @app_commands.describe(document="A document (leave empty for the latest changes to any document)")
    @app_commands.autocomplete(document=any_documents)
    async def history(self, interaction: discord.Interaction[Any], document: str | None = None) -> None:
        await self.defer(interaction)
        store, records = self._store, self.bot.records
        if document is None:
            entries = await asyncio.to_thread(records.audit_log, None, 20) if records is not None else []
            await self.reply(interaction, reports.audit_list(entries, MESSAGE_LIMIT, render.safe))
            return
        try:
            filename = await asyncio.to_thread(store.resolve, document, include_removed=True)
            versions = await asyncio.to_thread(store.versions, filename)
        except StoreError as exc:
            await self.reply(interaction, _reason(exc))
            return
        audit = await asyncio.to_thread(records.audit_log, filename, 10) if records is not None else []
        await self.reply(
            interaction, reports.version_list(filename, versions, audit, MESSAGE_LIMIT, render.safe)
        )

    @app_commands.command(name="restore", description="Bring back an earlier version of a document.")
    @app_commands.describe(
        document="The document (removed ones too)",
        version="Number or hash from /kb history (default: the newest earlier version)",
    )
    @app_commands.autocomplete(document=any_documents, version=versions_of)
    async def restore(
        self, interaction: discord.Interaction[Any], document: str, version: str | None = None
    ) -> None:
        await self.defer(interaction)
        try:
            change = await asyncio.to_thread(self._store.restore, document, version, interaction.user.id)
        except StoreError as exc:
            await self.reply(interaction, f"Nothing restored. {_reason(exc)}")
            return
        if change.unchanged:
            await self.reply(
                interaction, f"{_name(change.filename)} already has that content; nothing changed."
            )
            return
        summary = await self.reload_after(interaction, f"restore of {render.safe(change.filename)}")
        await self.reply(
            interaction,
            f"Restored {_name(change.filename)} to version `{(change.new_hash or '')[:12]}`."
            f"\n\n{_summary(summary, MESSAGE_LIMIT - 200)}",
        )

    @app_commands.command(
        name="download", description="Get the current file of a document (export / backup)."
    )
    @app_commands.describe(document="The document to download")
    @app_commands.autocomplete(document=current_documents)
    async def download(self, interaction: discord.Interaction[Any], document: str) -> None:
        await self.defer(interaction)
        try:
            filename, data = await asyncio.to_thread(self._store.download, document)
        except StoreError as exc:
            await self.reply(interaction, _reason(exc))
            return
        if len(data) > DOWNLOAD_LIMIT:
            await self.reply(
                interaction, f"{_name(filename)} is {len(data):,} bytes, too large to attach here."
            )
            return
        await self.reply(
            interaction,
            f"{_name(filename)} as it is now ({len(data):,} bytes).",
            file=discord.File(io.BytesIO(data), filename=filename),
        )

    @app_commands.command(
        name="list", description="Documents with chunk counts, last change and who made it."
    )
    async def list_documents(self, interaction: discord.Interaction[Any]) -> None:
        await self.defer(interaction)
        records = self.bot.records
        last = await asyncio.to_thread(records.last_changes) if records is not None else {}
        text = await asyncio.to_thread(
            reports.document_list, self.bot.engine.snapshot, last, MESSAGE_LIMIT, render.safe
        )
        await self.reply(interaction, text)

    @app_commands.command(name="test", description="Debug view: the top chunks for a question, with scores.")
    @app_commands.describe(question="The question to test")
    async def test(
        self, interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 1000]
    ) -> None:
        await self.defer(interaction)
        engine = self.bot.engine

        def run() -> str:
            seen = engine.explain(question, 5)
            return reports.debug_report(
                question, seen.answer.outcome.name, seen.weights, seen.hits, MESSAGE_LIMIT, render.safe,
                seen.answer.unused_words,
            )

        await self.reply(interaction, await asyncio.to_thread(run))

    @app_commands.command(
        name="gaps", description="Questions the bot declined most, answers marked not helpful."
    )
    async def gaps(self, interaction: discord.Interaction[Any]) -> None:
        await self.defer(interaction)
        records = self.bot.records
        if records is None:
            await self.reply(interaction, "The records database is not open.")
            return
        declined = await asyncio.to_thread(records.top_declined, 10)
        unhelpful = await asyncio.to_thread(records.top_unhelpful, 10)
        text = await asyncio.to_thread(  # analyses each declined question: off the event loop
            reports.gaps_report,
            declined,
            unhelpful,
            self.bot.engine,
            self.moderation.log_questions,
            MESSAGE_LIMIT,
            render.safe,
        )
        await self.reply(interaction, text)


    @app_commands.command(
        name="forget", description="Delete everything stored about one user (a privacy request)."
    )
    @app_commands.describe(user="The user whose feedback, declined questions and stored answers go")
    async def forget(self, interaction: discord.Interaction[Any], user: discord.User) -> None:
        await self.defer(interaction)
        records = self.bot.records
        if records is None:
            await self.reply(interaction, "The records database is not open; nothing was deleted.")
            return
        deleted = await asyncio.to_thread(records.forget_user, user.id)
        log.info("moderator %s had everything stored about user %s deleted", interaction.user.id, user.id)
        await self.reply(interaction, reports.forget_report(user.id, deleted))


async def setup(bot: KnowledgeBot) -> None:
    await bot.add_cog(KbCog(bot))
