"""The bot: a ``commands.Bot`` that owns the engine, the records and the heartbeat.

Start-up order (``setup_hook``, before the gateway connects): load the knowledge snapshot off the
event loop, open the records database and delete what is older than ``moderation.retention_days``,
load the extensions, register the slash commands only when they changed since the last start (a
fingerprint in the data folder), start the heartbeat and the periodic retention purge.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.util
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

from bot.core.answer import Answer
from bot.core.config import Settings
from bot.core.engine import Engine
from bot.core.files import atomic_write, make_private_dir
from bot.core.index.saved import load_or_build
from bot.discord_app import errors
from bot.health import heartbeat_path
from bot.moderation.records import Records

log = logging.getLogger("bot.discord")
CLOSE_GRACE_SECONDS = 10.0

EXTENSIONS: tuple[str, ...] = ("bot.discord_app.cogs.ask", "bot.discord_app.cogs.kb")
COMMANDS_FINGERPRINT = "commands.json"


def available_extensions(names: tuple[str, ...] = EXTENSIONS) -> tuple[str, ...]:
    """The extensions whose modules can be imported (a trimmed install may leave one out)."""
    return tuple(n for n in names if importlib.util.find_spec(n) is not None)


def bot_intents(settings: Settings) -> discord.Intents:
    """Non-privileged intents: DMs and mentions carry their text without message content.

    Only answer channels (every message is a question) need the privileged message-content
    intent; it is requested only when ``discord.answer_channel_ids`` is set.
    """
    intents = discord.Intents.default()
    intents.message_content = bool(settings.discord.answer_channel_ids)
    intents.members = False
    intents.presences = False
    return intents


class KnowledgeBot(commands.Bot):
    """Answers questions from ``engine``; extensions add the commands."""

    heartbeat_interval: float = 20.0
    ack_budget: float = 0.5  # answer at once if ready within this; otherwise defer, then follow up
    engine_workers: int = 2  # few threads: questions are CPU-bound, more threads only starve the event loop
    retention_interval: float = 6 * 3600.0  # seconds between retention purges after the one at start

    def __init__(
        self, settings: Settings, knowledge_dir: Path, *, engine: Engine | None = None, **options: Any
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=bot_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            activity=discord.CustomActivity(name=settings.discord.status_text),
            **options,
        )
        self.settings = settings
        self.knowledge_dir = Path(knowledge_dir)
        self.data_dir = Path(settings.data_dir)
        self._engine = engine
        self.records: Records | None = None
        self.commands_synced: bool | None = None  # True: registered this start; False: unchanged
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._retention_task: asyncio.Task[None] | None = None
        self.engine_executor = ThreadPoolExecutor(
            max_workers=self.engine_workers, thread_name_prefix="engine"
        )
        self.engine_pending = 0  # questions submitted to the executor and not finished
        self.tree.error(errors.on_app_command_error)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the engine is loaded in setup_hook")
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

    async def ask(self, question: str, top: int | None = None) -> Answer:
        """``engine.ask`` on the engine threads, never on the event loop."""
        self.engine_pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self.engine_executor, functools.partial(self.engine.ask, question, top)
            )
        finally:
            self.engine_pending -= 1

    def engine_busy(self) -> bool:
        """True when a new question would queue behind others: answer it deferred, at once."""
        return self.engine_pending >= self.engine_workers

    @property
    def heartbeat_path(self) -> Path:
        return heartbeat_path(self.settings)

    async def setup_hook(self) -> None:
        # The data folder holds user ids, questions and every knowledge version: the bot's user only.
        await asyncio.to_thread(make_private_dir, self.data_dir)
        if self._engine is None:
            # The saved index (data_dir/index) makes a restart fast; it is only used when
            # every knowledge file and setting still matches, else rebuilt and saved again.
            snapshot = await asyncio.to_thread(
                load_or_build, self.knowledge_dir, self.data_dir, self.settings.retrieval,
                self.settings.limits,
            )
            self._engine = Engine(snapshot, self.settings.limits)
        snap = self.engine.snapshot
        for problem in snap.problems:
            log.warning("knowledge problem: %s", problem)
        log.info(
            "knowledge loaded: %d document(s), %d passage(s) from %s",
            len(snap.documents),
            len(snap.chunks),
            self.knowledge_dir,
        )
        self.records = await asyncio.to_thread(
            Records.open,
            self.data_dir / "records.sqlite3",
            log_questions=self.settings.moderation.log_questions,
        )
        await self.purge_old_records()
        for name in available_extensions():
            await self.load_extension(name)
            log.info("loaded extension %s", name)
        await self.sync_commands_if_changed()
        self._heartbeat_task = asyncio.create_task(self._heartbeat_loop(), name="heartbeat")
        if self.settings.moderation.retention_days:
            self._retention_task = asyncio.create_task(self._retention_loop(), name="retention")

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions in messages are handled by the ask cog's listener."""

    # ------------------------------------------------------------------ command registration
    def command_payloads(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        return [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]

    def _fingerprint(self, scope: str, payloads: list[dict[str, Any]]) -> str:
        blob = json.dumps(
            {"application": self.application_id, "scope": scope, "commands": payloads},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync_commands_if_changed(self) -> None:
        """Register to the configured guilds (instant) or globally, only when the commands changed."""
        path = self.data_dir / COMMANDS_FINGERPRINT
        try:
            known: dict[str, str] = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        guilds = [discord.Object(g) for g in self.settings.discord.guild_ids]
        for g in guilds:
            self.tree.copy_global_to(guild=g)
        targets: list[discord.Object | None] = list(guilds) if guilds else [None]
        wanted = {("global" if g is None else str(g.id)): g for g in targets}
        fresh: dict[str, str] = {}
        self.commands_synced = False
        for scope, guild in wanted.items():
            fingerprint = self._fingerprint(scope, self.command_payloads(guild))
            fresh[scope] = fingerprint
            if known.get(scope) == fingerprint:
                log.info("slash commands unchanged for %s; not registering again", scope)
                continue
            synced = await self.tree.sync(guild=guild)
            self.commands_synced = True
            log.info("registered %d slash command(s) for %s", len(synced), scope)
        if fresh != known:
            text = json.dumps(fresh, indent=1, sort_keys=True)
            await asyncio.to_thread(write_private, path, text)

    # ------------------------------------------------------------------ retention
    async def purge_old_records(self) -> None:
        """Delete feedback, declined questions and stored answers older than ``retention_days``
        (off the event loop); a failure is logged and retried at the next run."""
        days = self.settings.moderation.retention_days
        if not days or self.records is None:
            return
        try:
            deleted = await asyncio.to_thread(self.records.purge, days)
        except Exception:
            log.exception("retention: could not delete old records")
            return
        if deleted.total:
            log.info(
                "retention: deleted %d feedback vote(s), %d declined question(s) and %d stored answer(s) "
                "older than %d days",
                deleted.feedback,
                deleted.declined,
                deleted.answers,
                days,
            )

    async def _retention_loop(self) -> None:
        while not self.is_closed():
            await asyncio.sleep(self.retention_interval)
            await self.purge_old_records()

    # ------------------------------------------------------------------ heartbeat for `health`
    async def _heartbeat_loop(self) -> None:
        """Refresh the heartbeat file while connected, so ``python -m bot health`` can tell."""
        while not self.is_closed():
            try:
                if self.is_ready() and self.ws is not None and self.ws.open:
                    await asyncio.to_thread(write_private, self.heartbeat_path, f"{time.time():.3f}\n")
            except OSError as exc:
                log.warning("cannot write heartbeat file %s: %s", self.heartbeat_path, exc)
            await asyncio.sleep(self.heartbeat_interval)

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("connected as %s (id %s) to %d server(s)", self.user, self.user.id, len(self.guilds))
        await asyncio.to_thread(write_private, self.heartbeat_path, f"{time.time():.3f}\n")

    async def close(self) -> None:
        for task in (self._heartbeat_task, self._retention_task):
            if task is not None:
                task.cancel()
        # Answers in flight still need the HTTP session: give them a moment before closing it.
        deadline = time.monotonic() + CLOSE_GRACE_SECONDS
        while self.engine_pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await super().close()
        self.engine_executor.shutdown(wait=False, cancel_futures=True)


def write_private(path: Path, text: str) -> None:
    """Atomically write one of the bot's own small files (heartbeat, command fingerprint), 0600."""
    make_private_dir(path.parent)
    atomic_write(path, text)
