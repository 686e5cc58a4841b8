"""Start-up edges: the token (missing, from a file, rejected), the health check, the cooldown."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.discord_app.cooldown import UserCooldown
from bot.discord_app.runner import TokenError, read_token, run_bot
from bot.health import check_health, heartbeat_path
from tests.conftest import REPO, with_discord


def test_token_from_environment_then_file(tmp_path: Path, settings) -> None:
    assert read_token(settings, {"DISCORD_TOKEN": " abc \n"}) == "abc"
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    assert read_token(with_discord(settings, token_file=str(secret)), {}) == "from-file"
    with pytest.raises(TokenError, match="DISCORD_TOKEN"):
        read_token(settings, {})
    with pytest.raises(TokenError, match="cannot read"):
        read_token(with_discord(settings, token_file=str(tmp_path / "missing")), {})


def test_cli_run_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: no Discord token: set the DISCORD_TOKEN environment variable "
        "(or discord.token_file in the config)"
    ]


async def test_rejected_token_exits_2_without_traceback_or_token(standin, settings, monkeypatch, capsys):
    secret = "very-secret-but-wrong-token"
    monkeypatch.setenv("DISCORD_TOKEN", secret)
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        code = await asyncio.to_thread(run_bot, settings, Path(settings.knowledge_dir))
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: Discord rejected the token (check DISCORD_TOKEN or discord.token_file)" in err
    assert "Traceback" not in err and secret not in err
    assert standin.find("GET", "/users/@me")  # it really asked Discord (the stand-in)


def test_health_reads_the_heartbeat(tmp_path: Path, settings, capsys) -> None:
    path = heartbeat_path(settings)
    assert check_health(settings, 90) == 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time() - 5}\n")
    assert check_health(settings, 90) == 0
    path.write_text(f"{time.time() - 200}\n")
    assert check_health(settings, 90) == 1
    path.write_text("garbage")
    assert check_health(settings, 90) == 1
    custom = tmp_path / "hb"
    custom.write_text(f"{time.time()}")
    assert check_health(with_discord(settings, heartbeat_file=str(custom)), 90) == 0
    assert "unhealthy: last heartbeat 200s ago" in capsys.readouterr().err


def test_cooldown_sliding_window() -> None:
    now = [0.0]
    cd = UserCooldown(rate=2, per=10, clock=lambda: now[0])
    assert cd.hit(1) is None and cd.hit(1) is None
    assert cd.hit(1) == pytest.approx(10.0)
    assert cd.hit(2) is None  # per user
    now[0] = 4.0
    assert cd.hit(1) == pytest.approx(6.0)
    now[0] = 10.5
    assert cd.hit(1) is None
    assert UserCooldown(rate=1, per=0).hit(1) is None and UserCooldown(rate=1, per=0).hit(1) is None


async def test_records_from_a_newer_bot_exit_1_with_one_line_and_stay_untouched(
    standin, settings, monkeypatch, capsys
) -> None:
    import sqlite3

    from bot.moderation.records import SCHEMA_VERSION, Records

    path = Path(settings.data_dir) / "records.sqlite3"
    Records.open(path).record_declined(question="Who is Putin?", user_id=1)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    monkeypatch.setenv("DISCORD_TOKEN", standin.token)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code = await asyncio.to_thread(run_bot, settings, Path(settings.knowledge_dir))
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: {path}: schema version {SCHEMA_VERSION + 1} is newer than this bot's" in err
    assert "Traceback" not in err
    assert path.read_bytes() == before
