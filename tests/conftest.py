"""Shared fixtures: the Discord stand-in, a small knowledge folder and a running bot.

``standin`` starts :class:`tests.discord_standin.DiscordStandIn` on an OS-chosen 127.0.0.1 port and
points discord.py at it for the test's duration. ``start_bot`` runs the real
:class:`bot.discord_app.client.KnowledgeBot` against it and closes it afterwards; other test files
(e.g. the /kb tests) can use both.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.discord_standin import DiscordStandIn, pointed_at

REPO = Path(__file__).resolve().parent.parent

GARDEN = """---
title: "Growing tomatoes"
published: 2023-05-01
url: https://example.org/garden/tomatoes
---

Tomatoes need six to eight hours of sun a day.
Water tomatoes deeply twice a week rather than a little every day.

Pinch out the side shoots of cordon tomatoes every week; bush tomatoes need no pinching.

Feed tomatoes with a high-potash fertiliser once the first fruits set.
Too much nitrogen gives leaves, not tomatoes.

Blossom end rot on tomatoes comes from irregular watering, which stops calcium reaching the fruit.

Harvest tomatoes when they are fully coloured; green tomatoes ripen indoors on a sunny windowsill.

Greenhouse tomatoes need ventilation on hot days so the flowers set; tap the trusses to spread pollen.

Grow basil next to tomatoes: the scent is said to keep whitefly away from the tomatoes.

Save tomato seeds by fermenting the pulp for three days, then rinsing and drying the seeds.

Late blight turns tomato leaves brown in wet summers; remove the affected tomatoes and leaves at once.

Ask @everyone and @here in <@&123> or tell <@456>
about \\*starred\\* _tomato_ \\`code\\` ~~tricks~~ and || spoilers ||.
"""


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """The real article and aliases plus a small garden file with a url, markdown and mentions
    (its last paragraph escapes `*` and backticks, so its quote holds them literally)."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name in ("russia-belarus-relations.md", "aliases.yaml"):
        shutil.copy(REPO / "knowledge" / name, folder / name)
    (folder / "garden.md").write_text(GARDEN, encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path) -> Any:
    from bot.core.config import DiscordSettings, Settings

    return Settings(
        knowledge_dir=str(knowledge_dir),
        data_dir=str(tmp_path / "data"),
        discord=DiscordSettings(cooldown_rate=1000, cooldown_seconds=30.0),
    )


def with_discord(settings: Any, **changes: Any) -> Any:
    """``settings`` with some ``discord`` fields changed."""
    return msgspec.structs.replace(settings, discord=msgspec.structs.replace(settings.discord, **changes))


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = await DiscordStandIn().start()
    with pointed_at(server):
        yield server
    await server.stop()


StartBot = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_bot(standin: DiscordStandIn, settings: Any, knowledge_dir: Path) -> AsyncIterator[StartBot]:
    """``await start_bot(settings=..., knowledge_dir=...)`` → a connected, ready KnowledgeBot."""
    from bot.discord_app.client import KnowledgeBot

    running: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(settings: Any = settings, knowledge_dir: Path = knowledge_dir, **options: Any) -> Any:
        bot = KnowledgeBot(settings, knowledge_dir, guild_ready_timeout=0.01, **options)
        task = asyncio.create_task(bot.start(standin.token))
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # raise the start-up error
            raise AssertionError("bot did not become ready against the stand-in")
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        with contextlib.suppress(Exception):  # a failed start was already reported by the test
            await asyncio.wait_for(task, 5)
