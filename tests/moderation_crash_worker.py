"""Run by the crash test in a subprocess: upload, remove and restore forever until killed.

The versions it writes are a pure function of (document, version number), so the test can check
that after a SIGKILL every file holds one of them in full. It prints one line per finished step.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.moderation.records import Records
from bot.moderation.store import KnowledgeStore, StoreError

NAMES = ("alpha.md", "beta.md", "gamma.txt")
VERSIONS = 4


def version(name: str, n: int) -> bytes:
    """A large-ish valid knowledge file (hundreds of KB, so a write takes a while)."""
    para = f"Paragraph about {name} in version {n}. " * 40
    body = "\n\n".join(f"{para}Number {i}." for i in range(120))
    return f"---\ntitle: {name} v{n}\n---\n\n{body}\n".encode()


def aliases(n: int) -> bytes:
    return f"aliases:\n  - [Kyiv, Kiev, Kyjiw{n}]\n".encode()


def kill_self_at_call(n: int) -> None:
    """Make the n-th fsync/rename/unlink of this process its last: SIGKILL right before it."""
    calls = itertools.count(1)

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if next(calls) == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return wrapped

    os.fsync = wrap(os.fsync)
    os.replace = wrap(os.replace)
    os.unlink = wrap(os.unlink)


def main() -> None:
    if len(sys.argv) > 4:
        kill_self_at_call(int(sys.argv[4]))
    knowledge, data, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    records = Records.open(data / "records.db")
    store = KnowledgeStore(knowledge, data / "history", records, max_upload_bytes=10_000_000)
    rng = random.Random(seed)
    step = 0
    while True:
        roll = rng.random()
        name = rng.choice(NAMES)
        try:
            if roll < 0.6:
                store.upload(name, version(name, rng.randrange(VERSIONS)), user_id=rng.randrange(1, 5))
            elif roll < 0.7:
                store.upload("aliases.yaml", aliases(rng.randrange(VERSIONS)), user_id=1)
            elif roll < 0.8:
                store.remove(name, user_id=2)
            elif roll < 0.9:
                store.restore(name, None, user_id=3)
            else:
                records.record_feedback(chunk_id=f"{name}#p{step % 7}", question=f"question {step}",
                                        helpful=step % 2 == 0, user_id=step % 11)
                records.record_declined(question=f"declined {step % 13}", user_id=step % 5)
        except StoreError:
            pass  # e.g. remove of a document that is not there: fine, try something else
        step += 1
        print(step, flush=True)


if __name__ == "__main__":
    main()
