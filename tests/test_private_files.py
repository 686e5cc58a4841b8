"""The bot's own data is private to its user whatever the umask; knowledge files keep their mode.

Every test runs under umask 022 (the common default, which makes plain ``open()`` files 0644 and
folders 0755) and restores the previous umask afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.moderation.records import Records
from bot.moderation.store import KnowledgeStore
from tests.moderation_helpers import ZEBRAS, ZEBRAS_V2


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_records_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "records.sqlite3"
    records = Records.open(path)
    assert mode(data) == 0o700
    assert mode(path) == 0o600
    reader = sqlite3.connect(path)  # an open connection keeps -wal and -shm on disk
    try:
        reader.execute("SELECT COUNT(*) FROM audit").fetchone()
        records.record_declined(question="What about potatoes?", user_id=1)
        assert mode(Path(f"{path}-wal")) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600
    finally:
        reader.close()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    Records.open(path)
    os.chmod(path, 0o644)  # as an older version left it
    Records.open(path)
    assert mode(path) == 0o600


def test_an_existing_open_data_folder_and_history_are_tightened(tmp_path: Path) -> None:
    data, knowledge = tmp_path / "data", tmp_path / "knowledge"
    knowledge.mkdir()
    (data / "history").mkdir(parents=True)
    for folder in (data, data / "history"):
        os.chmod(folder, 0o755)  # as an older version (or a default umask) left them
    Records.open(data / "records.sqlite3")
    KnowledgeStore(knowledge, data / "history")
    assert (mode(data), mode(data / "history")) == (0o700, 0o700)


def test_history_is_private_and_knowledge_files_keep_their_mode(tmp_path: Path) -> None:
    knowledge, history = tmp_path / "knowledge", tmp_path / "data" / "history"
    knowledge.mkdir()
    (knowledge / "zebras.md").write_bytes(ZEBRAS)
    os.chmod(knowledge / "zebras.md", 0o664)  # a moderator's group-writable file
    store = KnowledgeStore(knowledge, history)
    store.upload("zebras.md", ZEBRAS_V2, user_id=1)
    assert mode(knowledge / "zebras.md") == 0o664
    store.restore("zebras.md", None, user_id=1)
    assert mode(knowledge / "zebras.md") == 0o664
    assert (knowledge / "zebras.md").read_bytes() == ZEBRAS
    store.upload("penguins.md", ZEBRAS.replace(b"Zebras", b"Penguins"), user_id=1)
    assert mode(knowledge / "penguins.md") == 0o644  # new: readable, like a file made by hand
    assert mode(history) == 0o700
    copies = [p for p in history.rglob("*") if p.is_file()]
    assert len(copies) == 3
    assert {mode(p) for p in copies} == {0o600}
    assert {mode(p) for p in history.iterdir()} == {0o700}


async def test_bot_creates_its_data_folder_and_files_private(start_bot, settings: Any) -> None:
    from bot.health import heartbeat_path

    data = Path(settings.data_dir)
    assert not data.exists()
    await start_bot()
    heartbeat = heartbeat_path(settings)
    for _ in range(200):  # written right after READY, in the background
        if heartbeat.exists():
            break
        await asyncio.sleep(0.02)
    assert mode(data) == 0o700
    assert mode(data / "records.sqlite3") == 0o600
    assert mode(data / "commands.json") == 0o600
    assert mode(heartbeat) == 0o600
    assert mode(data / "history") == 0o700
