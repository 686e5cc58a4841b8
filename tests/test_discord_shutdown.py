"""Graceful shutdown: SIGTERM (``docker stop``) closes the gateway and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def test_sigterm_closes_the_gateway_and_exits_zero(standin, tmp_path: Path,
                                                          knowledge_dir: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge_dir: {knowledge_dir}\ndata_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    # The real `python -m bot run` code path, in its own process (signals go to the main
    # thread), with discord.py pointed at the stand-in as the test fixtures do.
    script = textwrap.dedent(f"""
        import sys, yarl, discord.gateway, discord.http
        discord.http.Route.BASE = {standin.api_base!r}
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL({standin.gateway_url!r})
        from bot.cli import main
        sys.exit(main(["run", "--config", {str(config)!r}]))
    """)
    env = {**os.environ, "DISCORD_TOKEN": standin.token}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await standin.wait_identified(timeout=30)
        await asyncio.sleep(0.5)  # let start-up finish (command registration, heartbeat)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = err.decode()
    assert proc.returncode == 0, text
    assert "stop signal received" in text
    assert "Traceback" not in text
    assert standin.token not in text
