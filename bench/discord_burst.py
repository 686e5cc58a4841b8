"""Throughput through Discord: a burst of ``/ask`` interactions against the local stand-in.

Runs the real bot (``bot.discord_app.client.KnowledgeBot``) against ``tests/discord_standin.py``
on 127.0.0.1 with a generated knowledge base, dispatches ``--burst`` slash commands at once and
reports how fast each was acknowledged (Discord requires an answer or a deferral within 3 s) and
answers per second. The knowledge base is the project's generator (``bench/corpus_gen.py``) at
``--chunks`` chunks. Usage, from the repository root:
``python -m bench.discord_burst --chunks 100000 --burst 200`` (or ``python bench/discord_burst.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus_gen import generate  # noqa: E402
from bench.run import machine, machine_line  # noqa: E402
from bot.core.config import DiscordSettings, Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.index.build import load_snapshot  # noqa: E402
from tests.discord_standin import DEFERRED_CHANNEL_MESSAGE, DiscordStandIn, pointed_at  # noqa: E402


async def burst(chunks: int, n: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="burst-"))
    corpus = generate(chunks, seed=1, n_questions=n)
    kb = corpus.write(tmp / "knowledge")
    started = time.perf_counter()
    snap = await asyncio.to_thread(load_snapshot, kb, Settings().retrieval)
    print(f"Machine: {machine_line(machine())}")
    print(f"Knowledge: {len(snap.chunks):,} chunks in {len(snap.documents):,} files "
          f"(built in {time.perf_counter() - started:.1f} s)")
    settings = Settings(knowledge_dir=str(kb), data_dir=str(tmp / "data"),
                        discord=DiscordSettings(cooldown_rate=100_000, cooldown_seconds=1.0))
    from bot.discord_app.client import KnowledgeBot

    server = await DiscordStandIn().start()
    with pointed_at(server):
        bot = KnowledgeBot(settings, kb, engine=Engine(snap), guild_ready_timeout=0.01)
        task = asyncio.create_task(bot.start(server.token))
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        events = []
        sent: dict[int, float] = {}
        for i, question in enumerate(corpus.questions[:n]):
            event = server.slash("ask", {"question": question}, user=server.user(600_000_000_000_000_000 + i))
            events.append(event)
        t0 = time.monotonic()
        for event in events:
            sent[int(event["id"])] = time.monotonic()
            await server.dispatch("INTERACTION_CREATE", event)
        acks, done = [], []
        for event in events:
            iid = int(event["id"])
            cb = await server.wait_callback(iid, timeout=120)
            acks.append(cb.at - sent[iid])
            if cb.json["type"] == DEFERRED_CHANNEL_MESSAGE:
                follow = await server.wait_followup(event["token"], timeout=120)
                done.append(follow.at)
            else:
                done.append(cb.at)
        total = max(done) - t0
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    await server.stop()
    a = np.array(acks)
    within = int((a <= 3.0).sum())
    print(f"Burst of {n} /ask: {n / total:.0f} answers/s ({total:.2f} s for all); "
          f"ack p50 {np.percentile(a, 50) * 1000:.0f} ms, p99 {np.percentile(a, 99) * 1000:.0f} ms, "
          f"max {a.max() * 1000:.0f} ms; acknowledged within 3 s: {within}/{n}")
    return 0 if within == n else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=200)
    args = parser.parse_args()
    return asyncio.run(burst(args.chunks, args.burst))


if __name__ == "__main__":
    raise SystemExit(main())
