"""``python -m bot run``: read the token, set up logging, run the bot until stopped.

The token comes from ``DISCORD_TOKEN`` or the file named by ``discord.token_file`` (container
secrets), never from the config itself, and is never logged. A missing or rejected token ends
with one clear line on stderr and exit status 2, without a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

import discord

from bot.core.config import Settings
from bot.moderation.records import NewerSchemaError

EXIT_OK, EXIT_BAD_DATA, EXIT_BAD_TOKEN = 0, 1, 2
log = logging.getLogger("bot.discord")


class TokenError(Exception):
    """No usable token: the message is the one line the user sees."""


def read_token(settings: Settings, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    token = env.get("DISCORD_TOKEN", "").strip()
    if token:
        return token
    token_file = env.get("DISCORD_TOKEN_FILE", "").strip() or settings.discord.token_file
    if token_file:
        path = Path(token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise TokenError(f"cannot read discord.token_file {path}: {exc.strerror or exc}") from None
        if token:
            return token
        raise TokenError(f"discord.token_file {path} is empty")
    raise TokenError(
        "no Discord token: set the DISCORD_TOKEN environment variable (or discord.token_file in the config)"
    )


def run_bot(settings: Settings, knowledge_dir: Path | None) -> int:
    """Run until interrupted; 0 on a clean stop, 1 on a records database from a newer bot, 2 on a
    missing/rejected token or missing intent."""
    try:
        token = read_token(settings)
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_TOKEN
    discord.utils.setup_logging(level=logging.INFO, root=True)
    directory = knowledge_dir if knowledge_dir is not None else Path(settings.knowledge_dir)
    try:
        return asyncio.run(_serve(settings, directory, token))
    except KeyboardInterrupt:
        return EXIT_OK


def _request_close(bot: discord.Client) -> None:
    if not bot.is_closed():
        log.info("stop signal received: closing the gateway and finishing answers in flight")
        asyncio.get_running_loop().create_task(bot.close())


async def _serve(settings: Settings, knowledge_dir: Path, token: str) -> int:
    from bot.discord_app.client import KnowledgeBot

    bot = KnowledgeBot(settings, knowledge_dir)
    # `docker stop` sends SIGTERM: close the gateway, let answers in flight finish, then exit 0.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, _request_close, bot)
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        print(
            "error: Discord rejected the token (check DISCORD_TOKEN or discord.token_file)", file=sys.stderr
        )
        return EXIT_BAD_TOKEN
    except discord.PrivilegedIntentsRequired:
        print(
            "error: answer channels need the Message Content intent: enable it for the bot in the "
            "Discord developer portal, or empty discord.answer_channel_ids",
            file=sys.stderr,
        )
        return EXIT_BAD_TOKEN
    except NewerSchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_DATA
    return EXIT_OK
