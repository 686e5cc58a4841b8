"""Ranked chunks → passages with quotes: the part of answering that decides *what* to show.

BM25 ranks chunks; then, for the best few, the sentences that carry the question's
rarest terms are found and quoted verbatim. Whether to answer at all is decided by
*coverage*: the IDF-weighted share of the question's terms that the passage contains.
Words the knowledge base has never seen weigh the most, so a question about something
the articles do not mention is declined instead of being matched on its common words.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.analysis import Analyzer, stem
from bot.core.answer import Citation, Passage, text_fragment_link
from bot.core.chunking import Chunk
from bot.core.config import RetrievalSettings
from bot.core.index import BM25Index

if TYPE_CHECKING:
    from bot.core.engine import Snapshot

ELLIPSIS = "…"
_WS = re.compile(r"\s+")


def term_weight(n_docs: int, df: int) -> float:
    """Always-positive IDF (as in Lucene); an unseen term gets the highest weight."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def within_one_edit(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter inserted, deleted or replaced (typos)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = common_prefix(a, b)
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def expand_unknown(term: str, vocabulary: Sequence[str]) -> tuple[str, ...]:
    """Index terms that are probably the same word as a term the index has never seen.

    The stemmer leaves derivations apart ("dissolved"/"dissolution", "invaded"/"invasion")
    and cannot fix typos; an unseen question term is matched to indexed terms that share
    all but its last few letters, or that are one typo away.
    """
    if len(term) < 5 or not term.isalpha():
        return ()
    parts = split_compound(term, vocabulary)
    if parts:
        return parts
    lo = bisect.bisect_left(vocabulary, term[:2])
    hi = bisect.bisect_left(vocabulary, term[:2] + "\uffff")
    out = []
    for cand in vocabulary[lo:hi]:
        if not cand.isalpha():
            continue
        prefix = common_prefix(term, cand)
        if (prefix >= 5 and prefix >= len(term) - 3) or (prefix >= 4 and prefix >= len(term) - 1) \
                or (len(term) >= 6 and within_one_edit(term, cand)):
            out.append(cand)
    return tuple(out)


_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|big|large|strong|far|old)\b|\bwhat (number|share|percentage|proportion|percent|size)\b"
    r"|\b(number|share|percentage|proportion) of\b", re.IGNORECASE)
_ASKS_TIME = re.compile(
    r"^\W*when\b|\bwhen (was|were|did|does|is|do|will|has|had)\b|\b(what|which) (year|date|month|day)\b"
    r"|\bsince when\b|\buntil when\b", re.IGNORECASE)
_ASKS_PERSON = re.compile(
    r"^\W*(who|whom|whose)\b|\b(which|what) (person|people|man|woman|leader|official|analyst|"
    r"expert|minister|ministers|officers?|ambassador)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split())
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens twice half "
    "third quarter percent times".split())
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")


def answer_kind(question: str) -> str | None:
    """What sort of answer a question wants: a number, a time, or anything."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_PERSON.search(question):
        return "person"
    return None


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """What one sentence holds, computed once per snapshot and shared by every question."""

    terms: frozenset[str]  # index terms
    numbers: frozenset[str]  # numeric terms ("37000", "9.5")
    times: frozenset[str]  # numeric terms that read as dates (years, "27th")
    has_number_word: bool  # "three", "hundreds", "%" ...
    has_month: bool
    folded_chars: int  # length once white space is folded
    text: str

    def names(self, analyzer: Analyzer) -> list[frozenset[str]]:
        """Terms of each run of capitalised words ("Boris Gryzlov"); only "who" questions
        need them, so they are not computed up front."""
        return [frozenset(analyzer.terms(m.group())) for m in _NAME.finditer(self.text)]


_NUMBER_TERMS = frozenset(stem(w) for w in _NUMBER_WORDS) | {"percent"}
_MONTH_TERMS = frozenset(stem(m) for m in _MONTHS)
_ORDINAL_NUMBER = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")


def sentence_facts(text: str, analyzer: Analyzer) -> SentenceFacts:
    """Built from term lists only (the analyzer's fast path): this runs for every
    paragraph a question reaches for the first time."""
    terms = frozenset(analyzer.terms(text))
    numbers = frozenset(t for t in terms if t[:1].isdigit())
    ordinals = {m.group(1) for m in _ORDINAL_NUMBER.finditer(text)}
    times = frozenset(t for t in numbers if _YEAR.match(t) or t in ordinals)
    return SentenceFacts(terms, numbers, times, not terms.isdisjoint(_NUMBER_TERMS),
                         not terms.isdisjoint(_MONTH_TERMS), len(fold_ws(text)), text)


def has_answer_kind(facts: SentenceFacts, kind: str | None, exclude: frozenset[str],
                    analyzer: Analyzer) -> bool:
    """Does the sentence hold something of that kind that the question does not already say?"""
    if kind == "number":
        return facts.has_number_word or not facts.numbers <= exclude
    if kind == "time":
        return facts.has_month or not facts.times <= exclude
    if kind == "person":
        return any(not (name & exclude) for name in facts.names(analyzer))
    return False


def split_compound(term: str, vocabulary: Sequence[str]) -> tuple[str, ...]:
    """"counteroffensive" → ("counter", "offens") when the index has both halves."""
    def known(word: str) -> bool:
        i = bisect.bisect_left(vocabulary, word)
        return i < len(vocabulary) and vocabulary[i] == word

    for cut in range(len(term) - 3, 2, -1):
        head, tail = term[:cut], term[cut:]
        if known(head) and known(tail):
            return (head, tail)
    return ()


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The question's terms, each with the index terms that count as matching it."""

    terms: tuple[str, ...]  # what BM25 scores: question order, repeats kept, expansions added
    groups: dict[str, tuple[str, ...]]  # question term -> index terms that match it
    weights: dict[str, float]  # question term -> weight
    kind: str | None = None  # the sort of answer wanted (number, time), see answer_kind()

    @classmethod
    def from_question(cls, question: str, analyzer: Analyzer, index: BM25Index,
                      generic_weight: float = 1.0) -> QueryTerms:
        raw = analyzer.terms(question)
        generic = analyzer.generic_terms(question) if generic_weight != 1.0 else frozenset()
        groups: dict[str, tuple[str, ...]] = {}
        weights: dict[str, float] = {}
        for term in dict.fromkeys(raw):
            df = index.doc_freqs.get(term, 0)
            alternatives = (term,) if df else expand_unknown(term, index.vocabulary)
            groups[term] = alternatives or (term,)
            if df or not alternatives:
                # An unseen term weighs like the rarest seen one: it is what the question is
                # about, but a paraphrase should not outweigh every word that did match.
                weights[term] = term_weight(index.n_docs, max(df, 1))
            else:
                weights[term] = max(term_weight(index.n_docs, index.doc_freqs[a]) for a in alternatives)
            if term in generic:
                weights[term] *= generic_weight
        terms = tuple(a for t in raw for a in groups[t])
        return cls(terms, groups, weights, answer_kind(question))

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())

    @property
    def index_terms(self) -> frozenset[str]:
        return frozenset(a for alts in self.groups.values() for a in alts)

    def covered(self, present: set[str] | frozenset[str]) -> set[str]:
        return {t for t, alts in self.groups.items() if any(a in present for a in alts)}

    def coverage(self, present: set[str] | frozenset[str]) -> float:
        total = self.total_weight
        return sum(self.weights[t] for t in self.covered(present)) / total if total else 0.0


@dataclass(frozen=True, slots=True)
class QuoteWindow:
    first: int  # sentence indices inside the chunk, inclusive
    last: int
    matched: frozenset[str]
    coverage: float
    has_kind: bool = False


def fold_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


KIND_MARK = "\x00kind"


def paragraph_facts(chunk: Chunk, analyzer: Analyzer) -> list[SentenceFacts]:
    text = chunk.paragraph.text
    return [sentence_facts(text[s.start:s.end], analyzer) for s in chunk.paragraph_sentences]


FACTS_CACHE_LIMIT = 50_000  # paragraphs; bounds memory on large knowledge bases


def cached_paragraph_facts(snap: Snapshot, chunk: Chunk) -> list[SentenceFacts]:
    """Sentence facts of the chunk's paragraph, analysed once per snapshot."""
    cache = snap.facts_cache
    key = (chunk.doc_id, chunk.paragraph.number)
    facts = cache.get(key)
    if facts is None:
        if len(cache) >= FACTS_CACHE_LIMIT:
            cache.clear()
        facts = cache[key] = paragraph_facts(chunk, snap.analyzer)
    return facts


def paragraph_sentence_terms(facts: Sequence[SentenceFacts], query: QueryTerms,
                             analyzer: Analyzer) -> list[set[str]]:
    """Per sentence of a paragraph: the query's index terms it holds, plus KIND_MARK when
    it holds the sort of thing the question asks for (a number, a date, a name)."""
    wanted = query.index_terms
    out = []
    for f in facts:
        terms = set(f.terms & wanted)
        if has_answer_kind(f, query.kind, wanted, analyzer):
            terms.add(KIND_MARK)
        out.append(terms)
    return out


def _window_chars(facts: Sequence[SentenceFacts], first: int, last: int) -> int:
    """Length of the quote of sentences first..last once white space is folded."""
    return sum(f.folded_chars for f in facts[first:last + 1]) + (last - first)


def choose_window(chunk: Chunk, per_sentence: Sequence[set[str]], facts: Sequence[SentenceFacts],
                  query: QueryTerms, max_sentences: int, max_chars: int,
                  kind_bonus: float = 0.0) -> QuoteWindow:
    """The contiguous 1..max_sentences sentences covering the most query weight.

    Sentence indices are the paragraph's; the window must overlap the chunk (so each chunk
    of a long paragraph quotes its own part) but may reach past its edges, so a quote is
    never cut short by where a chunk happens to end. Ties go to the shorter window, which
    is then widened by the following sentences while they fit: answers often sit just
    after the sentence that repeats the question's words.
    """
    n = len(per_sentence)
    best: tuple[float, int, int] | None = None
    best_window = (chunk.first_sentence, chunk.first_sentence)
    for first in range(max(0, chunk.first_sentence - max_sentences + 1), chunk.last_sentence + 1):
        for last in range(max(first, chunk.first_sentence), min(n, first + max_sentences)):
            if last > first and _window_chars(facts, first, last) > max_chars:
                break
            matched = set().union(*per_sentence[first:last + 1])
            cov = query.coverage(matched) + (kind_bonus if KIND_MARK in matched else 0.0)
            key = (round(cov, 9), -(last - first), -first)
            if best is None or key > best:
                best, best_window = key, (first, last)
    first, last = best_window
    while (last - first + 1 < max_sentences and last + 1 < n
           and _window_chars(facts, first, last + 1) <= max_chars):
        last += 1
    matched = set().union(*per_sentence[first:last + 1])
    has_kind = KIND_MARK in matched
    matched.discard(KIND_MARK)
    return QuoteWindow(first, last, frozenset(matched), query.coverage(matched), has_kind)


def trim_around(text: str, spans: Sequence[tuple[int, int]], max_chars: int) -> str:
    """Cut a long sentence at word boundaries around its matched part, marking cuts with …."""
    if len(text) <= max_chars:
        return text
    budget = max_chars - 2 * len(ELLIPSIS)
    if spans:
        lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    else:
        lo, hi = 0, 0
    centre = (lo + hi) // 2
    start = max(0, min(centre - budget // 2, len(text) - budget))
    if hi - lo <= budget:
        start = max(0, min(start, lo))
        start = max(start, hi - budget)
    end = min(len(text), start + budget)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < end else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return (ELLIPSIS if start > 0 else "") + text[start:end].strip() + (ELLIPSIS if end < len(text) else "")


def highlight_spans(quote: str, analyzer: Analyzer, query: QueryTerms) -> tuple[tuple[int, int], ...]:
    wanted = query.index_terms
    spans = sorted({(t.start, t.end) for t in analyzer.tokens(quote) if t.term in wanted})
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


def build_quote(chunk: Chunk, window: QuoteWindow, analyzer: Analyzer, query: QueryTerms,
                max_chars: int) -> tuple[str, tuple[tuple[int, int], ...]]:
    spans = chunk.paragraph_sentences
    raw = chunk.paragraph.text[spans[window.first].start:spans[window.last].end]
    quote = fold_ws(raw)
    if len(quote) > max_chars:
        quote = trim_around(quote, highlight_spans(quote, analyzer, query), max_chars)
    return quote, highlight_spans(quote, analyzer, query)


def is_evidence(query: QueryTerms, present: set[str] | frozenset[str], index: BM25Index,
                settings: RetrievalSettings) -> bool:
    """Is a passage that holds ``present`` an answer, or a coincidence of common words?

    Either it covers most of the question's weight, or a fair share of it through at
    least two *distinctive* question terms (ones in fewer than half of the chunks).
    """
    covered = query.covered(present)
    coverage = sum(query.weights[t] for t in covered) / query.total_weight if query.total_weight else 0.0
    if coverage >= settings.confident_coverage:
        return True
    if coverage < settings.min_coverage:
        return False
    limit = index.n_docs * settings.distinctive_df
    distinctive = [t for t in covered if max(index.doc_freqs.get(a, 0) for a in query.groups[t]) <= limit]
    return len(distinctive) >= 2


@dataclass(frozen=True, slots=True)
class Candidate:
    index: int
    chunk: Chunk
    bm25: float
    window: QuoteWindow
    chunk_coverage: float
    score: float


def rank_passages(snap: Snapshot, query: QueryTerms, top: int) -> list[Passage]:
    settings = snap.settings
    hits = snap.index.top(query.terms, max(settings.candidates, top * 2))
    if not hits:
        return []
    candidates: list[Candidate] = []
    paragraph_terms: dict[tuple[str, int], list[set[str]]] = {}
    best_bm25 = hits[0][1]
    for i, bm25 in hits:
        chunk = snap.chunks[i]
        key = (chunk.doc_id, chunk.paragraph.number)
        facts = cached_paragraph_facts(snap, chunk)
        if key not in paragraph_terms:
            paragraph_terms[key] = paragraph_sentence_terms(facts, query, snap.analyzer)
        per_sentence = paragraph_terms[key]
        window = choose_window(chunk, per_sentence, facts, query, settings.max_quote_sentences,
                               settings.max_quote_chars, settings.answer_kind_bonus)
        chunk_terms = set().union(*per_sentence[chunk.first_sentence:chunk.last_sentence + 1])
        chunk_cov = query.coverage(chunk_terms)
        # A chunk whose best quote carries the question's rare terms together beats one
        # that merely mentions them far apart.
        score = (bm25 / best_bm25 + settings.sentence_weight * window.coverage
                 + (settings.answer_kind_bonus if window.has_kind else 0.0))
        if not is_evidence(query, window.matched if settings.decide_on == "quote" else chunk_terms,
                           snap.index, settings):
            continue
        if settings.require_answer_kind and query.kind == "number" and not window.has_kind:
            continue  # "how many ...?" and the passage holds no number: not an answer
        candidates.append(Candidate(i, chunk, bm25, window, chunk_cov, score))
    candidates.sort(key=lambda c: (-c.score, c.index))
    documents = snap.documents_by_id
    passages: list[Passage] = []
    used: list[tuple[str, int, int, int]] = []  # (doc, paragraph, first char, last char)
    for cand in candidates:
        if len(passages) >= top:
            break
        chunk, window = cand.chunk, cand.window
        sentences = chunk.paragraph_sentences
        span = (chunk.doc_id, chunk.paragraph.number, sentences[window.first].start,
                sentences[window.last].end)
        if any(u[:2] == span[:2] and u[2] < span[3] and span[2] < u[3] for u in used):
            continue  # overlapping windows of one paragraph: a near-duplicate
        used.append(span)
        quote, spans = build_quote(chunk, window, snap.analyzer, query, settings.max_quote_chars)
        doc = documents[chunk.doc_id]
        first_sentence = chunk.paragraph.text[sentences[window.first].start:sentences[window.first].end]
        link = text_fragment_link(doc.url, first_sentence) if doc.url else None
        citation = Citation(doc.doc_id, doc.title, doc.published, doc.url, (chunk.paragraph.number,),
                            chunk.paragraph.section, link)
        passages.append(Passage(chunk.chunk_id, cand.bm25, quote, spans, fold_ws(chunk.text), citation,
                                tuple(sorted(window.matched)), window.coverage))
    return passages
