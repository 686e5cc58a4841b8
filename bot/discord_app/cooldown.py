"""Per-user rate limits: one for questions, shared by slash commands, DMs, mentions and the context
menu; one for button presses.

Why our own: discord.py's cooldowns are per command; a user should not dodge the limit by
switching from ``/ask`` to a DM. A sliding window (at most ``rate`` questions in any
``per`` seconds) is what the config promises.

Why presses have their own: only a question runs the engine (the expensive part); "More" and the
feedback buttons read the stored answer (one SQLite row) and render it, so counting them against
the question allowance would stop someone who pages through one answer from asking the next.
They still get a limit (``discord.button_cooldown_rate`` in the same window), so nobody can make
the bot read and re-render answers without bound. No button path calls the engine at all.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class UserCooldown:
    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}

    def hit(self, user_id: int) -> float | None:
        """Count one question; None when allowed, else seconds until the user may ask again."""
        if self.per <= 0:
            return None
        now = self._clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        if len(hits) >= self.rate:
            return max(0.0, hits[0] + self.per - now)
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle users so memory stays bounded
            self._hits = {u: h for u, h in self._hits.items() if h and h[-1] > now - self.per}
        return None
