"""Plain BM25 baselines: what a general-purpose retriever gets on the same knowledge.

They exist to say whether the engine's analysis, aliases, quoting and tuning earn their
keep, so they deliberately use none of it: their own plain tokenizer (lowercase ``\\w+``
words, NLTK's English stopwords, Snowball stemming through PyStemmer), library default
parameters, and no declining. Each is run over three kinds of unit built from the same
documents:

- ``paragraph``: whole paragraphs (the most text a unit can show);
- ``sentence``: single sentences (the bot's sentence splitter, see :mod:`units`);
- ``window``: every quote-sized run of at most 3 consecutive sentences and 400 characters
  of one paragraph (a single longer sentence is still a window), i.e. every quote the
  engine could show, ranked by BM25 alone.

Two BM25 implementations: Okapi BM25 exactly as ``rank_bm25.BM25Okapi`` scores it (k1 1.5,
b 0.75, epsilon 0.25; a runtime dependency), and ``bm25s`` with its defaults (Lucene's BM25,
k1 1.5, b 0.75) when it is installed (the dev extra). ``rank_bm25`` scores a query with a
Python loop over every unit per query term, which over ~10,000 windows and 3,000 questions
takes minutes; :class:`OkapiScorer` computes the same formula, in the same order of
operations, over postings with numpy (equal scores: tests/test_eval_baselines.py checks
them against ``rank_bm25`` itself).
"""

from __future__ import annotations

import importlib.util
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import Stemmer

from bot.core.knowledge.documents import Document
from bot.evaluation.metrics import TOP, Response, Retrieved
from bot.evaluation.units import sentence_spans, sentence_windows

UnitKind = Literal["paragraph", "sentence", "window"]
UNIT_KINDS: tuple[UnitKind, ...] = ("paragraph", "sentence", "window")

# NLTK's English stopword list, without its forms with an apostrophe ("don't"), which a
# \w+ tokenizer never produces.
ENGLISH_STOPWORDS = frozenset("""
a about above after again against ain all am an and any are aren as at be because been before being
below between both but by can couldn d did didn do does doesn doing don down during each few for from
further had hadn has hasn have haven having he her here hers herself him himself his how i if in into
is isn it its itself just ll m ma me mightn more most mustn my myself needn no nor not now o of off on
once only or other our ours ourselves out over own re s same shan she should shouldn so some such t
than that the their theirs them themselves then there these they this those through to too under until
up ve very was wasn we were weren what when where which while who whom why will with won wouldn y you
your yours yourself yourselves
""".split())

_WORD = re.compile(r"\w+")


class PlainTokenizer:
    """Lowercase ``\\w+`` words, minus English stopwords, Snowball-stemmed (memoised)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")  # not thread-safe: one per tokenizer
        self._stems: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOPWORDS]
        stems = self._stems
        new = [w for w in set(words) if w not in stems]
        if new:
            stems.update(zip(new, self._stemmer.stemWords(new), strict=True))
        return [stems[w] for w in words]


@dataclass(frozen=True, slots=True)
class Unit:
    """A stretch of one paragraph that a baseline ranks and returns whole."""

    doc_id: str
    paragraph: int
    paragraph_text: str
    text: str


def build_units(documents: Sequence[Document], kind: UnitKind) -> list[Unit]:
    units: list[Unit] = []
    for doc in documents:
        for para in doc.paragraphs:
            text = para.text
            if kind == "paragraph":
                units.append(Unit(doc.doc_id, para.number, text, text))
                continue
            spans = sentence_spans(text)
            ranges = [(i, i) for i in range(len(spans))] if kind == "sentence" else sentence_windows(text)
            units.extend(Unit(doc.doc_id, para.number, text, text[spans[a][0]:spans[b][1]])
                         for a, b in ranges)
    return units


FloatArray = npt.NDArray[np.float64]


class OkapiScorer:
    """``rank_bm25.BM25Okapi``'s scores over postings: same formula, same floating-point order.

    Per query term (repeats count again, as there), each unit holding it gains
    ``idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl)))``, the very
    expression ``rank_bm25`` evaluates for every unit (a unit without the term gains 0).
    IDF is ``log(N - df + 0.5) - log(df + 0.5)``; negative ones are floored to
    ``epsilon`` times the mean IDF, the mean summed in first-seen term order as there.
    """

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75,
                 epsilon: float = 0.25) -> None:
        if not corpus:
            raise ValueError("BM25 needs at least one unit")
        self.size = len(corpus)
        term_ids: dict[str, int] = {}
        doc_freq: list[int] = []
        terms: list[int] = []
        docs: list[int] = []
        tfs: list[int] = []
        for d, tokens in enumerate(corpus):
            for word, tf in Counter(tokens).items():  # first-occurrence order, as rank_bm25's dicts
                t = term_ids.setdefault(word, len(term_ids))
                if t == len(doc_freq):
                    doc_freq.append(0)
                doc_freq[t] += 1
                terms.append(t)
                docs.append(d)
                tfs.append(tf)
        lengths = [len(tokens) for tokens in corpus]
        avgdl = sum(lengths) / self.size
        idf = [math.log(self.size - f + 0.5) - math.log(f + 0.5) for f in doc_freq]
        eps = epsilon * (sum(idf) / len(idf)) if idf else 0.0  # sum() adds left to right, as there
        self.term_ids = term_ids
        self.idf = [eps if v < 0 else v for v in idf]
        order = np.argsort(np.asarray(terms, dtype=np.int64), kind="stable")
        self.docs = np.asarray(docs, dtype=np.int64)[order]
        freq = np.asarray(tfs, dtype=np.int64)[order]
        doc_len = np.asarray(lengths, dtype=np.int64)[self.docs]
        self.weights: FloatArray = np.asarray(
            freq * (k1 + 1) / (freq + k1 * (1 - b + b * doc_len / avgdl)), dtype=np.float64)
        self.starts = np.concatenate([[0], np.cumsum(doc_freq)]).astype(np.int64)

    def scores(self, query: Sequence[str]) -> FloatArray:
        out = np.zeros(self.size)
        for word in query:
            t = self.term_ids.get(word)
            if t is None:
                continue
            lo, hi = self.starts[t], self.starts[t + 1]
            out[self.docs[lo:hi]] += self.idf[t] * self.weights[lo:hi]
        return out


class RankBM25Scorer:
    """``rank_bm25.BM25Okapi`` itself: the reference :class:`OkapiScorer` must equal."""

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        import rank_bm25

        self._model = rank_bm25.BM25Okapi([list(t) for t in corpus])

    def scores(self, query: Sequence[str]) -> FloatArray:
        result: FloatArray = np.asarray(self._model.get_scores(list(query)), dtype=np.float64)
        return result


def bm25s_available() -> bool:
    return importlib.util.find_spec("bm25s") is not None


class Bm25sScorer:
    """``bm25s.BM25()`` with its defaults, fed the same tokens as the other baselines."""

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        import bm25s

        self.size = len(corpus)
        self._model: Any = bm25s.BM25()
        self._model.index([list(t) for t in corpus], show_progress=False)

    def scores(self, query: Sequence[str]) -> FloatArray:
        ids = self._model.get_tokens_ids(list(query))
        if not ids:  # bm25s raises on a query with no known token; nothing matches
            return np.zeros(self.size)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float64)


def top_indices(scores: FloatArray, k: int = TOP) -> list[int]:
    """The ``k`` best units, ties to the earlier unit (document, then text order)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    threshold = scores[part].min()
    candidates = np.flatnonzero(scores >= threshold)  # all ties at the cut, so ties go by index
    ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [int(i) for i in ranked[:k]]


Scorer = Callable[[Sequence[str]], FloatArray]


@dataclass
class Baseline:
    """One BM25 implementation over one kind of unit; never declines."""

    library: str  # "rank_bm25" or "bm25s"
    unit: UnitKind
    units: list[Unit]
    scorer: Scorer
    tokenizer: PlainTokenizer
    build_seconds: float

    @property
    def name(self) -> str:
        return f"{self.library}:{self.unit}"

    def respond(self, question: str) -> Response:
        started = time.perf_counter()
        best = top_indices(self.scorer(self.tokenizer(question)))
        seconds = time.perf_counter() - started
        top = tuple(Retrieved(u.text, u.doc_id, u.paragraph, u.paragraph_text)
                    for u in (self.units[i] for i in best))
        return Response(True, top, seconds)


LIBRARIES = ("rank_bm25", "bm25s")


def build_baselines(documents: Sequence[Document]) -> tuple[list[Baseline], list[tuple[str, str]]]:
    """Every baseline that can run here, and (name, reason) for each one that cannot."""
    skipped: list[tuple[str, str]] = []
    libraries = ["rank_bm25"]
    if bm25s_available():
        libraries.append("bm25s")
    else:
        skipped.append(("bm25s", "not installed (pip install bm25s, or the dev extra)"))
    baselines: list[Baseline] = []
    for kind in UNIT_KINDS:
        units = build_units(documents, kind)
        if not units:
            skipped.append((f"*:{kind}", "the knowledge holds no text"))
            continue
        tokenizer = PlainTokenizer()
        for library in libraries:
            started = time.perf_counter()
            corpus = [tokenizer(u.text) for u in units]
            scorer: Scorer = (OkapiScorer(corpus).scores if library == "rank_bm25"
                              else Bm25sScorer(corpus).scores)
            baselines.append(Baseline(library, kind, units, scorer, tokenizer,
                                      time.perf_counter() - started))
    return baselines, skipped
