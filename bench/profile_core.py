"""Where the core's time and memory go: ``python -m bench.profile_core --corpus independent --size 100000``.

For the targets the benchmark reports as missed, on a generated corpus:

- **cold build** (``load_snapshot``) and **reload after one file changed**: cProfile, the functions
  with the most own time and their cumulative time;
- **peak memory of a cold build and save** (what ``python -m bot ask`` does without a saved index):
  the peak RSS of each phase (``VmHWM`` reset between phases through ``/proc/self/clear_refs``),
  and tracemalloc's view of what is alive at the start of the index merge, by source line;
- **retrieval**: time in ``QueryTerms.from_question`` against ``index.top``;
- **index memory**: bytes per array of the index.

Each part runs in this one process, one after the other; figures are single runs (profilers
slow the code down, so read them as shares, not as timings).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _profile(fn: Callable[[], Any], top: int) -> tuple[Any, str]:
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("bot/core", top)
    return result, out.getvalue()


def _trim(report: str) -> str:
    """The two tables (by own time, then the core's functions by cumulative time), headers dropped."""
    noise = ("Ordered by", "List reduced", "function calls")
    keep = [line for line in report.splitlines() if line.strip() and not line.lstrip().startswith(noise)]
    return "\n".join(keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_core", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=("project", "independent"), default="independent")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=18, help="functions shown per profile")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args(argv)

    from bench.run import make_corpus
    from bot.core.answering.query import QueryTerms
    from bot.core.config import LimitSettings, RetrievalSettings
    from bot.core.engine import ANSWER_MEMO, Engine
    from bot.core.index import build
    from bot.core.index.build import load_snapshot
    from bot.core.index.saved import save_snapshot
    from bot.core.knowledge.documents import load_documents
    from bot.core.text.analyzer import Analyzer

    tmp = Path(tempfile.mkdtemp(prefix="profile-"))
    try:
        target = make_corpus(args.corpus, args.size, args.questions, tmp / "kb")
        kb, questions = target.kb, target.questions
        settings, limits = RetrievalSettings(), LimitSettings()
        print(f"# {args.corpus} corpus, {target.label}\n")

        # ---- peak RSS per phase of a cold build + save (no profiler) --------------------------
        can_reset = _reset_peak()
        phases: list[tuple[str, float, float, float]] = []

        def phase(name: str, fn: Callable[[], Any]) -> Any:
            before = _status("VmRSS")
            _reset_peak()
            started = time.perf_counter()
            result = fn()
            phases.append((name, time.perf_counter() - started, before, _status("VmHWM")))
            return result

        loaded = phase("load_documents (read + parse files)", lambda: load_documents(kb, (), limits))
        snap = phase("build_snapshot (split, analyse, count, merge arrays)",
                     lambda: build.build_snapshot(loaded.documents, (), settings))
        snap = phase("load_snapshot again (whole cold build, aliases included)",
                     lambda: load_snapshot(kb, settings, limits))
        data = tmp / "data"
        phase("save_snapshot", lambda: save_snapshot(snap, kb, data, limits))
        engine = Engine(snap, limits)
        phase(f"first pass of {len(questions)} answers", lambda: [engine.ask(q) for q in questions])
        print("## Peak RSS by phase" + ("" if can_reset else " (VmHWM could not be reset: cumulative)"))
        print("\n| phase | seconds | RSS before | peak RSS during |\n| --- | --- | --- | --- |")
        for name, seconds, before, peak in phases:
            print(f"| {name} | {seconds:.2f} | {before:.0f} MiB | {peak:.0f} MiB |")
        engine = loaded = None

        # ---- what is alive when the index arrays are merged (tracemalloc) ---------------------
        original_merge = build.merge_arrays
        seen: dict[str, Any] = {}

        def merge_spy(*a: Any, **k: Any) -> Any:
            seen["at_merge"] = tracemalloc.take_snapshot()
            seen["traced_at_merge"] = tracemalloc.get_traced_memory()
            return original_merge(*a, **k)

        old, snap = snap, None  # one snapshot alive at a time, as in `ask`
        build.merge_arrays = merge_spy  # type: ignore[assignment]
        try:
            tracemalloc.start(1)
            load_snapshot(kb, settings, limits)  # dropped at once: tracemalloc keeps the peak
            current, peak = tracemalloc.get_traced_memory()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
        finally:
            build.merge_arrays = original_merge  # type: ignore[assignment]
        print(f"\n## tracemalloc over one cold build\n\npeak traced {peak / 2**20:.0f} MiB, "
              f"alive after {current / 2**20:.0f} MiB; at the start of merge_arrays "
              f"{seen['traced_at_merge'][0] / 2**20:.0f} MiB alive, by line:\n")
        for stat in seen["at_merge"].statistics("lineno")[:12]:
            frame = stat.traceback[0]
            print(f"- {stat.size / 2**20:7.1f} MiB  {stat.count:>9,} blocks  "
                  f"{Path(frame.filename).name}:{frame.lineno}")
        print("\nalive after the build (the snapshot, and what the build left), by line:\n")
        for stat in after.statistics("lineno")[:8]:
            frame = stat.traceback[0]
            print(f"- {stat.size / 2**20:7.1f} MiB  {stat.count:>9,} blocks  "
                  f"{Path(frame.filename).name}:{frame.lineno}")
        seen.clear()
        after = None
        snap = old

        # ---- cold build and reload: cProfile ------------------------------------------------
        _, report = _profile(lambda: load_snapshot(kb, settings, limits), args.top)
        print("\n## cProfile: cold build (`load_snapshot`), by own time\n\n```\n" + _trim(report) + "\n```")
        files = sorted(p for p in kb.iterdir() if p.suffix == ".md")
        victim = files[len(files) // 2]
        victim.write_bytes(victim.read_bytes() + b"\nAn added paragraph about Zorbulon.\n")
        started = time.perf_counter()
        _, report = _profile(lambda: load_snapshot(kb, settings, limits, previous=snap), args.top)
        seconds = time.perf_counter() - started
        print(f"\n## cProfile: reload after one file changed ({seconds:.2f} s under the profiler)"
              "\n\n```\n" + _trim(report) + "\n```")

        # ---- retrieval ------------------------------------------------------------------------
        analyzer = Analyzer(aliases=snap.aliases, memo_limit=ANSWER_MEMO)
        index = snap.index
        for q in questions:
            QueryTerms.from_question(q, analyzer, index, settings.generic_weight,
                                     settings.unknown_name_share)
        t_query = t_top = 0.0
        for _ in range(5):
            for q in questions:
                a = time.perf_counter()
                terms = QueryTerms.from_question(q, analyzer, index, settings.generic_weight,
                                     settings.unknown_name_share).terms
                b = time.perf_counter()
                if terms:
                    index.top(terms, 20)
                c = time.perf_counter()
                t_query += b - a
                t_top += c - b
        n = 5 * len(questions)
        print(f"\n## Retrieval, mean per question over {n}\n\n- `QueryTerms.from_question`: "
              f"{t_query / n * 1000:.3f} ms\n- `index.top(terms, 20)`: {t_top / n * 1000:.3f} ms")

        def retrieval_pass() -> None:
            for q in questions:
                terms = QueryTerms.from_question(q, analyzer, index, settings.generic_weight,
                                     settings.unknown_name_share).terms
                if terms:
                    index.top(terms, 20)

        _, report = _profile(lambda: [retrieval_pass() for _ in range(5)], args.top)
        print("\n```\n" + _trim(report) + "\n```")

        # ---- full answers (warm) -----------------------------------------------------------------
        engine = Engine(snap, limits)
        for q in questions:
            engine.ask(q)
        started = time.perf_counter()
        _, report = _profile(lambda: [engine.ask(q) for _ in range(3) for q in questions], args.top)
        print(f"\n## cProfile: full answers, warm ({3 * len(questions)} `engine.ask`, "
              f"{(time.perf_counter() - started) / (3 * len(questions)) * 1000:.2f} ms each under the "
              "profiler)\n\n```\n" + _trim(report) + "\n```")

        # ---- index memory -------------------------------------------------------------------
        arrays = index.arrays
        print(f"\n## Index memory: {index.memory_bytes() / 2**20:.1f} MiB\n")
        for name in ("doc_len", "indptr", "gap_ptr", "gaps", "tf_at", "tf_val"):
            array = getattr(arrays, name)
            print(f"- {name}: {array.nbytes / 2**20:.2f} MiB ({array.dtype}, {len(array):,})")
        print(f"- vocabulary ({len(arrays.terms):,} terms): {arrays.terms.memory_bytes() / 2**20:.2f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
