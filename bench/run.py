"""``python -m bot bench``: build time, start-up, reload, latency, memory and loop lag, side by side.

Each engine (ours, ``bm25s``, plain ``rank_bm25``) runs in its own subprocess per corpus
size, so peak memory (``ru_maxrss``) is per engine and one engine's garbage cannot slow
another. All three get the same chunks and the same questions; ``bm25s`` and
``rank_bm25`` are given our stopword list and the same Snowball stemmer (``rank_bm25``
takes our analyzer's terms directly). Benchmarks are not tests: figures are printed,
medians of ``--runs`` runs, with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

TOP_K = 20  # what retrieval asks the index for (rank_passages uses max(20, top * 5))


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, "
            f"numpy {np.__version__}, {platform.system()} {platform.release()}")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def peak_rss_mib() -> float:
    """Peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss``, not inherited
    from the parent that forked this worker)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


# --- workers (run in a subprocess each) ------------------------------------------------------------


def _latencies(fn: Callable[[str], Any], questions: list[str]) -> list[float]:
    out = []
    for q in questions:
        started = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - started)
    return out


async def _loop_lag_during(work: Callable[[], Any], interval: float = 0.005) -> list[float]:
    """Sleep overshoot of the event loop while ``work`` runs in a thread (as the bot rebuilds)."""
    lags: list[float] = []
    task = asyncio.ensure_future(asyncio.to_thread(work))
    while not task.done():
        started = time.perf_counter()
        await asyncio.sleep(interval)
        lags.append(time.perf_counter() - started - interval)
    await task
    return lags


def worker_ours(kb: Path, questions: list[str], runs: int, lag: bool) -> dict[str, Any]:
    from bot.core.persist import load_saved_snapshot, save_snapshot
    from bot.core.query import QueryTerms

    from bot.core.config import RetrievalSettings
    from bot.core.engine import Engine, load_snapshot

    settings = RetrievalSettings()
    res: dict[str, list[float]] = {k: [] for k in (
        "cold_load", "cold_build", "startup", "incremental", "ret_p50", "ret_p99", "ans_p50", "ans_p99",
        "cold_ans_p50", "cold_ans_p99")}
    data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
    snap = None
    for _ in range(runs):
        seconds, snap = timed(lambda: load_snapshot(kb, settings))
        res["cold_load"].append(seconds)
        res["cold_build"].append(snap.build_seconds)
        # The first questions after a build analyse the sentences of every paragraph they reach.
        cold = _latencies(Engine(snap).ask, questions)
        res["cold_ans_p50"].append(percentile(cold, 50))
        res["cold_ans_p99"].append(percentile(cold, 99))
    assert snap is not None
    save_snapshot(snap, kb, data_dir)
    for _ in range(runs):
        seconds, loaded = timed(lambda: load_saved_snapshot(kb, data_dir, settings))
        assert loaded is not None, "saved index not accepted"
        res["startup"].append(seconds)
    files = sorted(p for p in kb.iterdir() if p.suffix == ".md")
    target = files[len(files) // 2]
    original = target.read_bytes()
    current = snap
    for run in range(runs):
        target.write_bytes(original + f"\nAn added paragraph, edit number {run}, about Zorbulon.\n".encode())
        seconds, current = timed(functools.partial(load_snapshot, kb, settings, previous=current))
        res["incremental"].append(seconds)
    target.write_bytes(original)
    engine = Engine(snap)
    index, analyzer = snap.index, snap.analyzer
    answered = 0
    for q in questions[:10]:  # warm-up (lazy vocabulary, memo)
        engine.ask(q)
    for _ in range(runs):
        ret = _latencies(lambda q: index.top(QueryTerms.from_question(q, analyzer, index).terms, TOP_K),
                         questions)
        ans = _latencies(engine.ask, questions)
        res["ret_p50"].append(percentile(ret, 50))
        res["ret_p99"].append(percentile(ret, 99))
        res["ans_p50"].append(percentile(ans, 50))
        res["ans_p99"].append(percentile(ans, 99))
    answered = sum(engine.ask(q).answered for q in questions)
    out: dict[str, Any] = {k: statistics.median(v) for k, v in res.items()}
    if lag:
        lags = asyncio.run(_loop_lag_during(lambda: load_snapshot(kb, settings)))
        out["lag_p99"] = percentile(lags, 99)
        out["lag_max"] = max(lags) if lags else float("nan")
    out.update(chunks=len(snap.chunks), documents=len(snap.documents), terms=len(index.term_ids),
               postings=len(index.postings), index_mib=index.memory_bytes() / 2**20,
               answered=answered, questions=len(questions), peak_rss_mib=peak_rss_mib())
    shutil.rmtree(data_dir, ignore_errors=True)
    return out


def _chunk_texts(kb: Path) -> tuple[list[str], Any]:
    from bot.core.chunking import chunk_documents
    from bot.core.documents import load_documents
    from bot.core.term_counts import chunk_segments

    from bot.core.config import RetrievalSettings

    s = RetrievalSettings()
    docs = load_documents(kb).documents
    chunks = chunk_documents(docs, s.chunk_sentences, s.chunk_overlap, s.chunk_max_chars)
    return ["\n".join(chunk_segments(c)) for c in chunks], s


def worker_bm25s(kb: Path, questions: list[str], runs: int) -> dict[str, Any]:
    import bm25s
    import Stemmer
    from bot.core.analysis import DEFAULT_STOPWORDS

    texts, s = _chunk_texts(kb)
    stemmer = Stemmer.Stemmer("english")
    stopwords = sorted(DEFAULT_STOPWORDS)
    method = {"okapi": "robertson", "bm25l": "bm25l", "bm25plus": "bm25+"}[s.variant]
    builds = []
    retriever = None
    for _ in range(runs):
        started = time.perf_counter()
        tokens = bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, show_progress=False)
        retriever = bm25s.BM25(method=method, k1=s.k1, b=s.b, delta=s.delta)
        retriever.index(tokens, show_progress=False)
        builds.append(time.perf_counter() - started)
        del tokens
    assert retriever is not None
    k = min(TOP_K, len(texts))

    def ask(q: str) -> Any:
        qt = bm25s.tokenize([q], stopwords=stopwords, stemmer=stemmer, return_ids=False, show_progress=False)
        if not qt[0]:
            return None
        try:
            return retriever.retrieve(qt, k=k, show_progress=False, n_threads=1)
        except (ValueError, KeyError):  # bm25s raises when no query token is in its vocabulary
            return None

    for q in questions[:10]:
        ask(q)
    p50, p99 = [], []
    for _ in range(runs):
        lat = _latencies(ask, questions)
        p50.append(percentile(lat, 50))
        p99.append(percentile(lat, 99))
    scores = retriever.scores
    index_bytes = sum(v.nbytes for v in scores.values() if hasattr(v, "nbytes"))
    vocab = retriever.vocab_dict
    index_bytes += sys.getsizeof(vocab) + sum(len(t) + 49 for t in vocab)
    return {"cold_build": statistics.median(builds), "ret_p50": statistics.median(p50),
            "ret_p99": statistics.median(p99), "index_mib": index_bytes / 2**20,
            "peak_rss_mib": peak_rss_mib(), "chunks": len(texts)}


def worker_rank_bm25(kb: Path, questions: list[str], runs: int) -> dict[str, Any]:
    import rank_bm25
    from bot.core.analysis_cache import MemoAnalyzer

    texts, s = _chunk_texts(kb)
    cls = {"okapi": rank_bm25.BM25Okapi, "bm25l": rank_bm25.BM25L, "bm25plus": rank_bm25.BM25Plus}[s.variant]
    kwargs: dict[str, float] = {"k1": s.k1, "b": s.b}
    kwargs.update({"epsilon": s.epsilon} if s.variant == "okapi" else {"delta": s.delta})
    analyzer = MemoAnalyzer()
    builds = []
    model = None
    for _ in range(runs):
        started = time.perf_counter()
        model = cls([analyzer.terms(t) for t in texts], **kwargs)
        builds.append(time.perf_counter() - started)
    assert model is not None
    k = min(TOP_K, len(texts))

    def ask(q: str) -> Any:
        scores = model.get_scores(analyzer.terms(q))
        return np.argpartition(-scores, k - 1)[:k]

    lat = _latencies(ask, questions)
    return {"cold_build": statistics.median(builds), "ret_p50": percentile(lat, 50),
            "ret_p99": percentile(lat, 99), "peak_rss_mib": peak_rss_mib(), "queries": len(questions)}


# --- driver ----------------------------------------------------------------------------------------


def _run_worker(engine: str, kb: Path, questions_file: Path, runs: int, lag: bool,
                timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bot.bench", "--worker", engine, "--kb", str(kb),
           "--questions-file", str(questions_file), "--runs", str(runs)] + (["--lag"] if lag else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _fmt(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if unit == "ms":
        return f"{v * 1000:.2f} ms"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "MiB":
        return f"{v:.0f} MiB" if v >= 10 else f"{v:.2f} MiB"
    return str(v)


def table(size_label: str, ours: dict[str, Any], bm: dict[str, Any], rb: dict[str, Any]) -> str:
    rows = [
        ("cold build: analysis + index (ours: + sentence splitting)", "cold_build", "s"),
        ("cold load from folder (parse + chunk + build)", "cold_load", "s"),
        ("start-up from saved index", "startup", "s"),
        ("incremental reload, one file changed", "incremental", "s"),
        ("retrieval p50 (question analysis + top-20)", "ret_p50", "ms"),
        ("retrieval p99", "ret_p99", "ms"),
        ("full answer p50 (engine.ask: retrieval + quotes)", "ans_p50", "ms"),
        ("full answer p99", "ans_p99", "ms"),
        ("full answer p50, first pass after a build", "cold_ans_p50", "ms"),
        ("full answer p99, first pass after a build", "cold_ans_p99", "ms"),
        ("index memory", "index_mib", "MiB"),
        ("peak RSS of the process", "peak_rss_mib", "MiB"),
        ("event-loop lag p99 during a full rebuild", "lag_p99", "ms"),
        ("event-loop lag max during a full rebuild", "lag_max", "ms"),
    ]
    lines = [f"### {size_label}", "",
             "| measure | ours | bm25s | rank_bm25 | ours ÷ bm25s | ours ÷ rank_bm25 |",
             "| --- | --- | --- | --- | --- | --- |"]
    for label, key, unit in rows:
        o, b, r = ours.get(key), bm.get(key), rb.get(key)

        def ratio(x: Any, y: Any) -> str:
            return f"{x / y:.2f}" if isinstance(x, float) and isinstance(y, float) and y > 0 else "—"

        lines.append(f"| {label} | {_fmt(o, unit)} | {_fmt(b, unit)} | {_fmt(r, unit)} | {ratio(o, b)} "
                     f"| {ratio(o, r)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="chunk counts of generated knowledge bases, comma-separated (%(default)s)")
    parser.add_argument("--folder", type=Path, help="benchmark this knowledge folder instead")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; medians are reported")
    parser.add_argument("--questions", type=int, default=200, help="questions per run")
    parser.add_argument("--rank-bm25-questions", type=int, default=20,
                        help="questions for rank_bm25 at 50k+ chunks (it takes ~0.1 s each)")
    parser.add_argument("--engines", default="ours,bm25s,rank_bm25", help="which engines to run")
    parser.add_argument("--quick", action="store_true", help="1 run, 30 questions: shows it works (CI)")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per engine and size")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--kb", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lag", action="store_true", help=argparse.SUPPRESS)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # ``python -m bot bench -- --sizes 1000``
        argv = argv[1:]
    args = parser.parse_args(argv)

    if args.worker:
        questions = json.loads(args.questions_file.read_text())
        workers: dict[str, Callable[[], dict[str, Any]]] = {
            "ours": lambda: worker_ours(args.kb, questions, args.runs, args.lag),
            "bm25s": lambda: worker_bm25s(args.kb, questions, args.runs),
            "rank_bm25": lambda: worker_rank_bm25(args.kb, questions, args.runs)}
        print(json.dumps(workers[args.worker]()))
        return 0

    runs, n_questions = (1, 30) if args.quick else (args.runs, args.questions)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    print(f"Machine: {machine()}")
    print(f"Runs: {runs} (medians), questions per run: {n_questions}, top-k: {TOP_K}\n")
    all_results: dict[str, Any] = {"machine": machine(), "runs": runs, "sizes": {}}
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        targets: list[tuple[str, Path, list[str]]] = []
        if args.folder:
            from bot.core.config import RetrievalSettings
            from bot.core.engine import load_snapshot

            snap = load_snapshot(args.folder, RetrievalSettings())
            rng = np.random.default_rng(1)
            picks = rng.choice(len(snap.chunks), size=min(n_questions, len(snap.chunks)), replace=False)
            questions = [" ".join(snap.chunks[int(i)].text.split()[:8]) for i in picks]
            kb = tmp / "kb"
            shutil.copytree(args.folder, kb)
            targets.append((f"{args.folder} ({len(snap.chunks)} chunks)", kb, questions))
        else:
            from bot.core.corpus_gen import generate

            for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
                corpus = generate(size, seed=1, n_questions=n_questions)
                kb = corpus.write(tmp / f"kb-{size}")
                targets.append((f"{size:,} chunks (generated)", kb, list(corpus.questions)))
        for label, kb, questions in targets:
            qfile = kb.parent / f"{kb.name}-questions.json"
            qfile.write_text(json.dumps(questions))
            results: dict[str, dict[str, Any]] = {"ours": {}, "bm25s": {}, "rank_bm25": {}}
            for engine in engines:
                qf = qfile
                n_chunks = sum(1 for _ in kb.glob("*.md")) * 30  # rough, decides rank_bm25's question count
                if engine == "rank_bm25" and n_chunks >= 50_000:
                    qf = kb.parent / f"{kb.name}-questions-few.json"
                    qf.write_text(json.dumps(questions[: args.rank_bm25_questions]))
                started = time.perf_counter()
                results[engine] = _run_worker(engine, kb, qf, runs if engine != "rank_bm25" else 1,
                                              lag=engine == "ours", timeout=args.timeout)
                results[engine]["wall_s"] = time.perf_counter() - started
            ours = results["ours"]
            extra = ""
            if "chunks" in ours:
                extra = (f" — {ours['chunks']:,} chunks in {ours['documents']:,} files, "
                         f"{ours['terms']:,} terms, {ours['postings']:,} postings; "
                         f"answered {ours['answered']}/{ours['questions']}")
            if "queries" in results["rank_bm25"]:
                extra += f"; rank_bm25 timed on {results['rank_bm25']['queries']} questions, 1 build"
            errors = {e: r["error"] for e, r in results.items() if "error" in r}
            print(table(label + extra, ours, results["bm25s"], results["rank_bm25"]))
            if errors:
                print(f"\nErrors: {errors}")
            print()
            all_results["sizes"][label] = results
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2))
    failed = any("error" in r for size in all_results["sizes"].values() for r in size.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
