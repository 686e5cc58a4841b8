"""``python -m bench``: the bot's build, start-up, reload, latency and memory beside bm25s, tantivy
and rank_bm25, on two generated corpora.

Corpora: ``project`` is the project's own generator (``bench/corpus_gen.py``, size = chunks as the
bot counts them); ``independent`` is a second generator sharing no code with it
(``bench/independent_corpus.py``, size = paragraphs). Each engine runs in its own subprocess per
corpus and size, so the peak resident memory (``VmHWM``) is that engine's alone. All engines get
the same chunk texts (what the bot indexes for each chunk: its section heading and its
sentences) and the same questions: bm25s with our stopword list and the same Snowball stemmer
(PyStemmer), tantivy with an analyzer built from its own filters to be close to ours (simple
tokenizer, lower case, ASCII folding, our stopwords, English stemmer), rank_bm25 with our
analyzer's terms. The command line (``python -m bot ask --json --batch``) is timed and measured
as a user runs it, from the saved index and cold. Figures are medians of ``--runs`` runs, printed
as Markdown tables with the machine; ``--json`` writes everything.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TOP_K = 20  # what each engine is asked for (the bot's own retrieval asks for about as many)
CORPORA = ("project", "independent")

# Runs a module as ``python -m MODULE ARGS`` would, and writes the process's peak resident
# memory (VmHWM, in KiB) to $BENCH_PEAK_FILE when it exits: the same process, no extra one.
PEAK_WRAPPER = r"""
import atexit, os, resource, runpy, sys
def _peak():
    kib = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    kib = int(line.split()[1])
    except OSError:
        pass
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(str(kib))
atexit.register(_peak)
module = sys.argv[1]
sys.argv = [module] + sys.argv[2:]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


# ---- small helpers ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for name in ("bm25s", "tantivy", "rank_bm25", "Stemmer"):
        try:
            from importlib.metadata import version

            versions[name] = version({"rank_bm25": "rank-bm25", "Stemmer": "PyStemmer"}.get(name, name))
        except Exception:
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram, "python": platform.python_version(),
            "numpy": np.__version__, "os": f"{platform.system()} {platform.release()}",
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            **{f"{k}_version": v for k, v in versions.items()}}


def machine_line(m: dict[str, str]) -> str:
    return (f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']}, numpy {m['numpy']}, "
            f"{m['os']}; bm25s {m['bm25s_version']}, tantivy {m['tantivy_version']}, "
            f"rank_bm25 {m['rank_bm25_version']}, PyStemmer {m['Stemmer_version']}")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else float("nan")


def peak_rss_mib() -> float:
    """Peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss``, not carried over
    from the process it was forked from)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _latencies(fn: Callable[[str], Any], questions: Sequence[str]) -> list[float]:
    out = []
    for q in questions:
        started = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - started)
    return out


def _warm_percentiles(fn: Callable[[str], Any], questions: Sequence[str], runs: int) -> tuple[float, float]:
    """Median over ``runs`` of each run's p50 and p99 latency, after one warm-up pass."""
    for q in questions:
        fn(q)
    p50, p99 = [], []
    for _ in range(runs):
        lat = _latencies(fn, questions)
        p50.append(percentile(lat, 50))
        p99.append(percentile(lat, 99))
    return _med(p50), _med(p99)


def _med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# ---- workers: each runs in its own subprocess ------------------------------------------------------


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
    from bot.core.answering.query import QueryTerms
    from bot.core.config import LimitSettings, RetrievalSettings
    from bot.core.engine import ANSWER_MEMO, Engine
    from bot.core.index.build import load_snapshot
    from bot.core.index.saved import load_saved_snapshot, save_snapshot
    from bot.core.text.analyzer import Analyzer

    settings, limits = RetrievalSettings(), LimitSettings()
    res: dict[str, list[float]] = {k: [] for k in (
        "build_s", "build_snapshot_s", "first_ans_p50", "first_ans_p99", "startup_s", "reload_s",
        "ret_p50", "ret_p99", "ans_p50", "ans_p99", "lag_p99", "lag_max")}
    out: dict[str, Any] = {}
    snap = None
    for run in range(runs):
        snap = None  # a cold build: nothing of the previous run alive (the reload below keeps one)
        started = time.perf_counter()
        snap = load_snapshot(kb, settings, limits)
        res["build_s"].append(time.perf_counter() - started)
        res["build_snapshot_s"].append(snap.build_seconds)
        if run == 0:
            out["peak_rss_after_build_mib"] = peak_rss_mib()  # one build, nothing else yet
        # The first answers after a build analyse the sentences of each paragraph they reach.
        first = _latencies(Engine(snap, limits).ask, questions)
        res["first_ans_p50"].append(percentile(first, 50))
        res["first_ans_p99"].append(percentile(first, 99))
    assert snap is not None
    data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
    try:
        save_snapshot(snap, kb, data_dir, limits)
        out["saved_index_mib"] = _tree_bytes(data_dir / "index") / 2**20
        for _ in range(runs):
            started = time.perf_counter()
            loaded = load_saved_snapshot(kb, data_dir, settings, limits)
            res["startup_s"].append(time.perf_counter() - started)
            assert loaded is not None, "the saved index was not accepted"
            del loaded
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    files = sorted(p for p in kb.iterdir() if p.suffix == ".md")
    target = files[len(files) // 2]
    original = target.read_bytes()
    current = snap
    try:
        for run in range(runs):
            edit = f"\nAn added paragraph, edit number {run}, about Zorbulon.\n"
            target.write_bytes(original + edit.encode())
            started = time.perf_counter()
            current = load_snapshot(kb, settings, limits, previous=current)
            res["reload_s"].append(time.perf_counter() - started)
    finally:
        target.write_bytes(original)
    del current
    index = snap.index
    engine = Engine(snap, limits)
    analyzer = Analyzer(aliases=snap.aliases, memo_limit=ANSWER_MEMO)
    cut = limits.max_question_chars

    def retrieve(q: str) -> Any:
        terms = QueryTerms.from_question(q[:cut], analyzer, index, settings.generic_weight,
                                         settings.unknown_name_share).terms  # as the engine asks
        return index.top(terms, TOP_K) if terms else []

    for q in questions:  # warm: the answering analyzer's memo and the quote cache
        engine.ask(q)
        retrieve(q)
    for _ in range(runs):
        ret = _latencies(retrieve, questions)
        ans = _latencies(engine.ask, questions)
        res["ret_p50"].append(percentile(ret, 50))
        res["ret_p99"].append(percentile(ret, 99))
        res["ans_p50"].append(percentile(ans, 50))
        res["ans_p99"].append(percentile(ans, 99))
    answered = sum(engine.ask(q).answered for q in questions)
    if lag:
        for _ in range(runs):
            lags = asyncio.run(_loop_lag_during(lambda: load_snapshot(kb, settings, limits)))
            res["lag_p99"].append(percentile(lags, 99))
            res["lag_max"].append(max(lags) if lags else float("nan"))
    out.update({k: _med(v) for k, v in res.items() if v})
    out.update(chunks=len(snap.chunks), paragraphs=int(snap.chunks.doc_para[-1]),
               documents=len(snap.documents), sentences=int(snap.chunks.para_sent[-1]),
               terms=len(index.terms),
               postings=index.arrays.n_postings, index_mib=index.memory_bytes() / 2**20,
               chunk_table_mib=snap.chunks.memory_bytes() / 2**20, answered=int(answered),
               questions=len(questions), problems=len(snap.problems), peak_rss_mib=peak_rss_mib())
    return out


def worker_texts(kb: Path, out_file: Path) -> dict[str, Any]:
    """The chunk texts as the bot indexes them (section heading + sentences), for the references."""
    from bot.core.config import RetrievalSettings
    from bot.core.knowledge.aliases import load_aliases
    from bot.core.knowledge.chunking import chunk_document, segments
    from bot.core.knowledge.documents import load_documents

    settings = RetrievalSettings()
    loaded = load_documents(kb)
    texts: list[str] = []
    paragraphs = 0
    for doc in loaded.documents:
        doc_chunks = chunk_document(doc, settings)
        pieces, spec = segments(doc, doc_chunks)[:2]
        paragraphs += len(doc.paragraphs)
        for heading, first, end in spec:
            texts.append("\n".join(([pieces[heading]] if heading >= 0 else []) + pieces[first:end]))
    aliases = [list(g) for g in load_aliases(kb)]
    out_file.write_text(json.dumps({"texts": texts, "aliases": aliases}), encoding="utf-8")
    return {"chunks": len(texts), "paragraphs": paragraphs, "documents": len(loaded.documents),
            "problems": len(loaded.problems), "kb_mib": _tree_bytes(kb) / 2**20}


def _read_texts(path: Path) -> tuple[list[str], list[list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["texts"], data["aliases"]


class _Bm25s:
    """bm25s with our stopwords, k1, b, delta and variant, and the same Snowball stemmer."""

    def __init__(self) -> None:
        import bm25s
        import Stemmer

        from bot.core.config import RetrievalSettings
        from bot.core.text.words import DEFAULT_STOPWORDS

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.stopwords = sorted(DEFAULT_STOPWORDS)
        s = RetrievalSettings()
        self.method = {"okapi": "robertson", "bm25l": "bm25l", "bm25plus": "bm25+"}[s.variant]
        self.params = {"k1": s.k1, "b": s.b, "delta": s.delta}
        self.retriever: Any = None
        self.k = TOP_K

    def build(self, texts: list[str]) -> None:
        tokens = self.bm25s.tokenize(texts, stopwords=self.stopwords, stemmer=self.stemmer,
                                     show_progress=False)
        retriever = self.bm25s.BM25(method=self.method, **self.params)
        retriever.index(tokens, show_progress=False)
        self.retriever = retriever
        self.k = min(TOP_K, len(texts))

    def ask(self, q: str) -> Any:
        qt = self.bm25s.tokenize([q], stopwords=self.stopwords, stemmer=self.stemmer, return_ids=False,
                                 show_progress=False)
        if not qt[0]:
            return None
        try:
            return self.retriever.retrieve(qt, k=self.k, show_progress=False, n_threads=1)
        except (ValueError, KeyError):  # bm25s raises when no query token is in its vocabulary
            return None

    def memory_bytes(self) -> int:
        scores = self.retriever.scores
        total = sum(v.nbytes for v in scores.values() if hasattr(v, "nbytes"))
        vocab = self.retriever.vocab_dict
        return total + sys.getsizeof(vocab) + sum(len(t) + 49 for t in vocab)


def worker_bm25s(texts_file: Path, questions: list[str], runs: int) -> dict[str, Any]:
    texts, _ = _read_texts(texts_file)
    engine = _Bm25s()
    builds = []
    for _ in range(runs):
        engine.retriever = None
        started = time.perf_counter()
        engine.build(texts)
        builds.append(time.perf_counter() - started)
    p50, p99 = _warm_percentiles(engine.ask, questions, runs)
    return {"build_s": _med(builds), "ret_p50": p50, "ret_p99": p99,
            "index_mib": engine.memory_bytes() / 2**20, "peak_rss_mib": peak_rss_mib(), "chunks": len(texts)}


def worker_bm25s_batch(texts_file: Path, questions_file: Path) -> int:
    """What a bm25s-based ``ask --json --batch`` would do: build, then one JSON line per question."""
    texts, _ = _read_texts(texts_file)
    engine = _Bm25s()
    engine.build(texts)
    with questions_file.open(encoding="utf-8") as lines:
        for line in lines:
            result = engine.ask(line.rstrip("\n"))
            hits: list[list[float]] = []
            if result is not None:
                docs, scores = result
                hits = [[int(d), float(s)] for d, s in zip(docs[0].tolist(), scores[0].tolist(), strict=True)]
            sys.stdout.write(json.dumps({"question": line.rstrip("\n"), "hits": hits}) + "\n")
    return 0


class _Tantivy:
    """tantivy: one text field (term frequencies, no positions), an analyzer close to ours."""

    def __init__(self, folder: Path) -> None:
        import tantivy

        from bot.core.text.words import DEFAULT_STOPWORDS

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", stored=False, tokenizer_name="ours", index_option="freq")
        self.index = tantivy.Index(builder.build(), path=str(folder))
        analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                    .filter(tantivy.Filter.remove_long(100))
                    .filter(tantivy.Filter.lowercase())
                    .filter(tantivy.Filter.ascii_fold())
                    .filter(tantivy.Filter.custom_stopword(sorted(DEFAULT_STOPWORDS)))
                    .filter(tantivy.Filter.stemmer("english"))
                    .build())
        self.index.register_tokenizer("ours", analyzer)
        self.searcher: Any = None

    def build(self, texts: list[str]) -> None:
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        document = self.tantivy.Document
        for text in texts:
            writer.add_document(document(text=text))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def ask(self, q: str) -> Any:
        query, _errors = self.index.parse_query_lenient(q, ["text"])
        return self.searcher.search(query, TOP_K).hits


def worker_tantivy(texts_file: Path, questions: list[str], runs: int) -> dict[str, Any]:
    texts, _ = _read_texts(texts_file)
    builds = []
    root = Path(tempfile.mkdtemp(prefix="bench-tantivy-"))
    engine: _Tantivy | None = None
    try:
        for run in range(runs):
            folder = root / f"run{run}"
            folder.mkdir()
            engine = _Tantivy(folder)
            started = time.perf_counter()
            engine.build(texts)
            builds.append(time.perf_counter() - started)
        assert engine is not None
        p50, p99 = _warm_percentiles(engine.ask, questions, runs)
        disk = _tree_bytes(root / f"run{runs - 1}")
        num_docs = engine.searcher.num_docs
        hits = sum(bool(engine.ask(q)) for q in questions)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"build_s": _med(builds), "ret_p50": p50, "ret_p99": p99, "index_mib": disk / 2**20,
            "with_hits": hits, "peak_rss_mib": peak_rss_mib(), "chunks": len(texts), "num_docs": num_docs}


def worker_rank_bm25(texts_file: Path, questions: list[str]) -> dict[str, Any]:
    import rank_bm25

    from bot.core.config import RetrievalSettings
    from bot.core.text.analyzer import Analyzer

    texts, aliases = _read_texts(texts_file)
    s = RetrievalSettings()
    cls = {"okapi": rank_bm25.BM25Okapi, "bm25l": rank_bm25.BM25L, "bm25plus": rank_bm25.BM25Plus}[s.variant]
    kwargs: dict[str, float] = {"k1": s.k1, "b": s.b}
    kwargs.update({"epsilon": s.epsilon} if s.variant == "okapi" else {"delta": s.delta})
    analyzer = Analyzer(memo_limit=2_000_000).with_aliases(aliases)
    started = time.perf_counter()
    model = cls([analyzer.terms(t) for t in texts], **kwargs)
    build = time.perf_counter() - started
    k = min(TOP_K, len(texts))

    def ask(q: str) -> Any:
        scores = model.get_scores(analyzer.terms(q))
        return np.argpartition(-scores, k - 1)[:k]

    lat = _latencies(ask, questions)
    return {"build_s": build, "ret_p50": percentile(lat, 50), "ret_p99": percentile(lat, 99),
            "peak_rss_mib": peak_rss_mib(), "timed_questions": len(questions), "chunks": len(texts)}


# ---- the command line as a user runs it ------------------------------------------------------------


def _python(args: Sequence[str], stdout: Path, peak_file: Path | None = None,
            timeout: float = 3600) -> tuple[float, float | None]:
    """Run ``python -m ARGS`` from the repository (wall seconds, peak RSS in MiB when measured)."""
    env = dict(os.environ)
    if peak_file is not None:
        cmd = [sys.executable, "-c", PEAK_WRAPPER, *args]
        env["BENCH_PEAK_FILE"] = str(peak_file)
    else:
        cmd = [sys.executable, "-m", *args]
    with stdout.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.PIPE, timeout=timeout,
                              check=False)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(args[:3])} exited {proc.returncode}: {' | '.join(tail)}")
    peak = int(peak_file.read_text()) / 1024 if peak_file is not None else None
    return seconds, peak


def measure_cli(kb: Path, texts_file: Path, questions: list[str], work: Path, runs: int,
                timeout: float) -> dict[str, Any]:
    """``python -m bot ask --json --batch`` from the saved index and cold, and a bm25s batch beside it."""
    work.mkdir(parents=True, exist_ok=True)
    one = work / "one-question.txt"
    one.write_text(questions[0] + "\n", encoding="utf-8")
    every = work / "questions.txt"
    every.write_text("".join(q + "\n" for q in questions), encoding="utf-8")
    out = work / "out.jsonl"

    def config(name: str) -> Path:
        data = work / name
        shutil.rmtree(data, ignore_errors=True)
        cfg = work / f"{name}.yaml"
        cfg.write_text(f"data_dir: {json.dumps(str(data))}\n", encoding="utf-8")
        return cfg

    def ask(batch: Path, cfg: Path, peak: bool = False) -> tuple[float, float | None]:
        args = ["bot", "ask", "--json", "--batch", str(batch), "--knowledge", str(kb), "--config", str(cfg)]
        result = _python(args, out, work / "peak" if peak else None, timeout)
        lines = out.read_bytes().count(b"\n")
        assert lines == sum(1 for _ in batch.open(encoding="utf-8")), "one JSON line per question"
        return result

    res: dict[str, list[float]] = {k: [] for k in ("ask1_cold_s", "ask1_saved_s")}
    for _ in range(runs):
        res["ask1_cold_s"].append(ask(one, config("cold"))[0])  # builds and saves the index
    saved_cfg = config("saved")
    ask(one, saved_cfg)  # build and save once
    for _ in range(runs):
        res["ask1_saved_s"].append(ask(one, saved_cfg)[0])
    batch_saved_s, rss_saved = ask(every, saved_cfg, peak=True)
    batch_cold_s, rss_cold = ask(every, config("cold-batch"), peak=True)
    answered = sum(json.loads(line)["answered"] for line in out.read_text(encoding="utf-8").splitlines())
    bm25s_s, rss_bm25s = _python(["bench.run", "--worker", "bm25s-batch", "--texts", str(texts_file),
                                  "--questions-file", str(every)], out, work / "peak", timeout)
    for name in ("cold", "saved", "cold-batch"):
        shutil.rmtree(work / name, ignore_errors=True)
    return {**{k: _med(v) for k, v in res.items()}, "batch_saved_s": batch_saved_s,
            "batch_cold_s": batch_cold_s, "rss_batch_saved_mib": rss_saved, "rss_batch_cold_mib": rss_cold,
            "bm25s_batch_s": bm25s_s, "rss_bm25s_batch_mib": rss_bm25s, "batch_answered": answered,
            "batch_questions": len(questions)}


# ---- driver ----------------------------------------------------------------------------------------


def _run_worker(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.run", "--worker", *args]
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@dataclass(frozen=True)
class Target:
    label: str
    kb: Path
    questions: list[str]


def make_corpus(corpus: str, size: int, n_questions: int, folder: Path) -> Target:
    if corpus == "project":
        from bench.corpus_gen import generate

        made = generate(size, seed=1, n_questions=n_questions)
        label = f"{size:,} chunks"
        return Target(label, made.write(folder), list(made.questions))
    from bench.independent_corpus import generate as generate_independent

    other = generate_independent(size, seed=7, n_questions=n_questions)
    return Target(f"{size:,} paragraphs", other.write(folder), list(other.questions))


def _fmt(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if unit == "ms":
        return f"{v * 1000:.2f} ms"
    if unit == "s":
        return f"{v:.2f} s" if v < 100 else f"{v:.0f} s"
    if unit == "MiB":
        return f"{v:.0f} MiB" if v >= 10 else f"{v:.2f} MiB"
    return str(v)


def _ratio(x: Any, y: Any) -> str:
    ok = isinstance(x, (int, float)) and isinstance(y, (int, float)) and y > 0 and not np.isnan(x)
    return f"{x / y:.2f}" if ok else "—"


ROWS: tuple[tuple[str, str | tuple[str, str], str], ...] = (
    # (label, key (or (ours key, reference key)), unit)
    ("cold build (ours: read + parse files, split sentences, analyse, index; references: tokenise + "
     "index the ready chunk texts)", "build_s", "s"),
    ("ours: `build_snapshot` alone (split, analyse, index; no file reading or parsing)",
     ("build_snapshot_s", "-"), "s"),
    ("retrieval p50 (ours: `QueryTerms.from_question` as the engine calls it + `index.top(terms, 20)`; "
     "bm25s/tantivy: tokenise + top 20)", "ret_p50", "ms"),
    ("retrieval p99", "ret_p99", "ms"),
    ("full answer p50 (`engine.ask`, warm)", ("ans_p50", "-"), "ms"),
    ("full answer p99 (`engine.ask`, warm)", ("ans_p99", "-"), "ms"),
    ("full answer p50, first pass after a build", ("first_ans_p50", "-"), "ms"),
    ("full answer p99, first pass after a build", ("first_ans_p99", "-"), "ms"),
    ("start-up from the saved index (`load_saved_snapshot`, in-process)", ("startup_s", "-"), "s"),
    ("reload after one file changed (`load_snapshot(..., previous=)`)", ("reload_s", "-"), "s"),
    ("event-loop lag p99 during a full rebuild in a thread", ("lag_p99", "-"), "ms"),
    ("event-loop lag max during a full rebuild in a thread", ("lag_max", "-"), "ms"),
    ("index memory (ours: `index.memory_bytes()`; bm25s: its arrays + vocabulary; tantivy: on-disk "
     "index)", "index_mib", "MiB"),
    ("ours: chunk table (`chunks.memory_bytes()`)", ("chunk_table_mib", "-"), "MiB"),
    ("ours: saved index on disk", ("saved_index_mib", "-"), "MiB"),
    ("peak RSS of the engine's benchmark process", "peak_rss_mib", "MiB"),
    ("ours: peak RSS after one cold build (nothing else yet)", ("peak_rss_after_build_mib", "-"), "MiB"),
)
REFERENCES = ("bm25s", "tantivy", "rank_bm25")


def table(title: str, results: dict[str, dict[str, Any]]) -> str:
    ours = results.get("ours", {})
    refs = [r for r in REFERENCES if r in results]
    head = ["measure", "ours", *refs, *(f"ours ÷ {r}" for r in refs)]
    lines = [f"#### {title}", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for label, key, unit in ROWS:
        ok, rk = key if isinstance(key, tuple) else (key, key)
        o = ours.get(ok)
        values = [results[r].get(rk) if rk != "-" else None for r in refs]
        cells = [label, _fmt(o, unit), *(_fmt(v, unit) for v in values), *(_ratio(o, v) for v in values)]
        lines.append("| " + " | ".join(cells) + " |")
    cli = results.get("cli", {})
    if cli and "error" not in cli:
        saved, cold, rss_b = cli["ask1_saved_s"], cli["ask1_cold_s"], cli["rss_bm25s_batch_mib"]
        lines += ["", "| `python -m bot ask --json --batch` (subprocess, as a user runs it) | figure |",
                  "| --- | --- |",
                  f"| start-up + first answer, one question, saved index valid | {_fmt(saved, 's')} |",
                  f"| the same, cold (no saved index: build, save, answer) | {_fmt(cold, 's')} |",
                  f"| saved ÷ cold | {_ratio(saved, cold)} |",
                  f"| saved ÷ ours in-process cold build | {_ratio(saved, ours.get('build_s'))} |",
                  f"| all {cli['batch_questions']} questions, saved index: wall / peak RSS | "
                  f"{_fmt(cli['batch_saved_s'], 's')} / {_fmt(cli['rss_batch_saved_mib'], 'MiB')} |",
                  f"| all questions, cold: wall / peak RSS | {_fmt(cli['batch_cold_s'], 's')} / "
                  f"{_fmt(cli['rss_batch_cold_mib'], 'MiB')} |",
                  f"| bm25s subprocess building and answering the same batch: wall / peak RSS | "
                  f"{_fmt(cli['bm25s_batch_s'], 's')} / {_fmt(cli['rss_bm25s_batch_mib'], 'MiB')} |",
                  f"| peak RSS ÷ bm25s's: saved / cold | {_ratio(cli['rss_batch_saved_mib'], rss_b)}"
                  f" / {_ratio(cli['rss_batch_cold_mib'], rss_b)} |"]
    elif cli:
        lines += ["", f"`ask` subprocess: error: {cli['error']}"]
    return "\n".join(lines)


def targets(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """The issue's targets: (target, figures, met)."""
    o, b, t, cli = (results.get(k, {}) for k in ("ours", "bm25s", "tantivy", "cli"))

    def get(d: dict[str, Any], k: str) -> float | None:
        v = d.get(k)
        return float(v) if isinstance(v, (int, float)) and not np.isnan(v) else None

    def le(x: float | None, y: float | None, factor: float = 1.0) -> bool | None:
        return None if x is None or y is None else x <= y * factor

    def ms(v: float | None) -> str:
        return _fmt(v, "ms")

    rows: list[tuple[str, str, bool | None]] = []
    rs, rc, rb = (get(cli, k) for k in ("rss_batch_saved_mib", "rss_batch_cold_mib", "rss_bm25s_batch_mib"))
    rows.append(("peak RSS of `ask --json --batch` ≤ bm25s's (saved index)",
                 f"{_fmt(rs, 'MiB')} vs {_fmt(rb, 'MiB')}", le(rs, rb)))
    rows.append(("peak RSS of `ask --json --batch` ≤ bm25s's (cold)",
                 f"{_fmt(rc, 'MiB')} vs {_fmt(rb, 'MiB')}", le(rc, rb)))
    oi, ti = get(o, "index_mib"), get(t, "index_mib")
    rows.append(("index memory ≤ tantivy's on-disk index", f"{_fmt(oi, 'MiB')} vs {_fmt(ti, 'MiB')}",
                 le(oi, ti)))
    for q in ("p50", "p99"):
        x = get(o, f"ret_{q}")
        for name, ref in (("bm25s", b), ("tantivy", t)):
            y = get(ref, f"ret_{q}")
            rows.append((f"retrieval {q} ≤ {name}", f"{ms(x)} vs {ms(y)}", le(x, y)))
    a = get(o, "ans_p50")
    rows.append(("full answer p50 ≤ 2 ms (warm)", f"{ms(a)} (first pass after a build: "
                 f"{ms(get(o, 'first_ans_p50'))})", le(a, 0.002)))
    s1, c1 = get(cli, "ask1_saved_s"), get(cli, "ask1_cold_s")
    rows.append(("`ask` from the saved index: start-up + first answer ≤ 25 % of a cold build",
                 f"{_fmt(s1, 's')} vs {_fmt(c1, 's')} cold `ask` ({_ratio(s1, c1)}); in-process cold build "
                 f"{_fmt(get(o, 'build_s'), 's')} ({_ratio(s1, get(o, 'build_s'))})", le(s1, c1, 0.25)))
    ob, bb = get(o, "build_s"), get(b, "build_s")
    rows.append(("cold build ≤ bm25s's", f"{_fmt(ob, 's')} vs {_fmt(bb, 's')}", le(ob, bb)))
    rl = get(o, "reload_s")
    rows.append(("reload after one file changed ≤ 0.5 s", _fmt(rl, "s"), le(rl, 0.5)))
    return rows


def targets_table(rows: list[tuple[str, str, bool | None]]) -> str:
    out = ["| target | figures (ours vs reference) | met |", "| --- | --- | --- |"]
    for label, figures, met in rows:
        out.append(f"| {label} | {figures} | {'—' if met is None else ('yes' if met else '**no**')} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="corpus sizes, comma-separated: chunks for `project`, paragraphs for "
                             "`independent` (%(default)s)")
    parser.add_argument("--corpora", default=",".join(CORPORA), help="which generators (%(default)s)")
    parser.add_argument("--folder", type=Path, help="benchmark this knowledge folder instead")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; medians are reported")
    parser.add_argument("--questions", type=int, default=200, help="questions per run")
    parser.add_argument("--engines", default="ours,bm25s,tantivy,rank_bm25,cli",
                        help="what to run (%(default)s; cli = `python -m bot ask` subprocesses)")
    parser.add_argument("--rank-bm25-questions", type=int, default=20,
                        help="questions for rank_bm25 above 20k chunks (it takes 0.1 s or more each)")
    parser.add_argument("--quick", action="store_true", help="1 run, 30 questions: shows it works (CI)")
    parser.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per engine and size")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--kb", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lag", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        return _worker(args)

    runs, n_questions = (1, 30) if args.quick else (args.runs, args.questions)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    info = machine()
    print(f"Machine: {machine_line(info)}; load average at start {info['load']}")
    print(f"Runs: {runs} (medians), questions per run: {n_questions}, top-k: {TOP_K}\n")
    everything: dict[str, Any] = {"machine": info, "runs": runs, "questions": n_questions, "corpora": {}}
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    failed = False
    try:
        plan: list[tuple[str, int]] = []
        if args.folder:
            plan = [("folder", 0)]
        else:
            corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
            sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
            plan = [(c, s) for c in corpora for s in sizes]
        for corpus, size in plan:
            work = tmp / f"{corpus}-{size}"
            if corpus == "folder":
                target = _folder_target(args.folder, work / "kb", n_questions)
            else:
                started = time.perf_counter()
                target = make_corpus(corpus, size, n_questions, work / "kb")
                print(f"[{corpus} {target.label}: generated in {time.perf_counter() - started:.1f} s]",
                      file=sys.stderr)
            results, fail = run_target(target, work, engines, runs, args)
            failed |= fail
            everything["corpora"].setdefault(corpus, {})[str(size)] = results
            print(report(corpus, target.label, results))
            print()
            sys.stdout.flush()
            if args.json:
                args.json.write_text(json.dumps(everything, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    everything["load_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average at the end: {everything['load_at_end']}")
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2))
    return 1 if failed else 0


def _folder_target(folder: Path, kb: Path, n_questions: int) -> Target:
    from bot.core.config import RetrievalSettings
    from bot.core.index.build import load_snapshot

    shutil.copytree(folder, kb)
    snap = load_snapshot(kb, RetrievalSettings())
    rng = np.random.default_rng(1)
    picks = rng.choice(len(snap.chunks), size=min(n_questions, len(snap.chunks)), replace=False)
    questions = [" ".join(snap.chunks.text(int(i)).split()[:8]) for i in picks]
    return Target(f"{folder} ({len(snap.chunks):,} chunks)", kb, questions)


def run_target(target: Target, work: Path, engines: list[str], runs: int,
               args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    qfile = work / "questions.json"
    qfile.write_text(json.dumps(target.questions))
    texts = work / "texts.json"
    results: dict[str, Any] = {"corpus": _run_worker(["texts", "--kb", str(target.kb), "--texts", str(texts)],
                                                     args.timeout)}
    n_chunks = int(results["corpus"].get("chunks", 0))
    for engine in engines:
        started = time.perf_counter()
        if engine == "cli":
            try:
                results["cli"] = measure_cli(target.kb, texts, target.questions, work / "cli", runs,
                                             args.timeout)
            except (RuntimeError, AssertionError, subprocess.TimeoutExpired) as exc:
                results["cli"] = {"error": str(exc)}
        else:
            cmd = [engine, "--kb", str(target.kb), "--texts", str(texts), "--questions-file", str(qfile),
                   "--runs", str(runs)]
            if engine == "ours":
                cmd.append("--lag")
            if engine == "rank_bm25" and n_chunks > 20_000:
                few = work / "questions-few.json"
                few.write_text(json.dumps(target.questions[: args.rank_bm25_questions]))
                cmd[cmd.index(str(qfile))] = str(few)
            results[engine] = _run_worker(cmd, args.timeout)
        results[engine]["wall_s"] = time.perf_counter() - started
        print(f"[{target.label}: {engine} done in {results[engine]['wall_s']:.1f} s]", file=sys.stderr)
    failed = any(isinstance(r, dict) and "error" in r for r in results.values())
    results["targets"] = [{"target": t, "figures": f, "met": m} for t, f, m in targets(results)]
    return results, failed


def report(corpus: str, label: str, results: dict[str, Any]) -> str:
    c, o = results.get("corpus", {}), results.get("ours", {})
    name = {"project": "project's own generator (bench/corpus_gen.py)",
            "independent": "independent generator (bench/independent_corpus.py)"}.get(corpus, corpus)
    title = f"{name}: {label}"
    if "chunks" in c:
        title += (f" — {c['chunks']:,} chunks, {c['paragraphs']:,} paragraphs in {c['documents']:,} files "
                  f"({c['kb_mib']:.1f} MiB)")
    if "terms" in o:
        title += (f", {o['terms']:,} terms, {o['postings']:,} postings; "
                  f"answered {o['answered']}/{o['questions']}")
    rb = results.get("rank_bm25", {})
    if "timed_questions" in rb:
        title += f"; rank_bm25: 1 build, {rb['timed_questions']} questions"
    parts = [table(title, results), "", targets_table(targets(results))]
    errors = {e: r["error"] for e, r in results.items() if isinstance(r, dict) and "error" in r}
    if errors:
        parts += ["", f"Errors: {errors}"]
    return "\n".join(parts)


def _worker(args: argparse.Namespace) -> int:
    if args.worker == "texts":
        print(json.dumps(worker_texts(args.kb, args.texts)))
        return 0
    if args.worker == "bm25s-batch":
        return worker_bm25s_batch(args.texts, args.questions_file)
    questions = json.loads(args.questions_file.read_text())
    workers: dict[str, Callable[[], dict[str, Any]]] = {
        "ours": lambda: worker_ours(args.kb, questions, args.runs, args.lag),
        "bm25s": lambda: worker_bm25s(args.texts, questions, args.runs),
        "tantivy": lambda: worker_tantivy(args.texts, questions, args.runs),
        "rank_bm25": lambda: worker_rank_bm25(args.texts, questions)}
    print(json.dumps(workers[args.worker]()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
