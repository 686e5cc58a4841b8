"""``python -m bot health``: is the running bot connected? (container health check)

The bot rewrites a heartbeat file (a Unix timestamp) while its gateway connection is up; this
reads it without importing ``discord``, so the check is cheap and works from another process.
Exit 0 when the heartbeat is younger than ``max_age`` seconds, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.core.config import Settings

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1


def heartbeat_path(settings: Settings) -> Path:
    """``discord.heartbeat_file`` or ``<data_dir>/heartbeat``."""
    if settings.discord.heartbeat_file:
        return Path(settings.discord.heartbeat_file)
    return Path(settings.data_dir) / "heartbeat"


def heartbeat_age(path: Path, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None when there is no readable heartbeat."""
    try:
        stamp = float(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return (time.time() if now is None else now) - stamp


def check_health(settings: Settings, max_age: float) -> int:
    path = heartbeat_path(settings)
    age = heartbeat_age(path)
    if age is None:
        print(f"unhealthy: no heartbeat at {path} (is the bot running and connected?)", file=sys.stderr)
        return EXIT_UNHEALTHY
    if age > max_age:
        print(f"unhealthy: last heartbeat {age:.0f}s ago (limit {max_age:.0f}s) in {path}", file=sys.stderr)
        return EXIT_UNHEALTHY
    print(f"healthy: last heartbeat {max(age, 0):.0f}s ago")
    return EXIT_HEALTHY
