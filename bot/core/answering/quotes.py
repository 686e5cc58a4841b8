"""Quotes: which sentences of a passage to show, verbatim, and where its matched words are.

Sentence facts (terms, numbers, dates) are computed once per paragraph and kept by the engine
(a bounded cache: the snapshot itself never changes); a quote is the window of 1-3 contiguous
sentences that covers most of the question, widened while it fits, and trimmed at word
boundaries only when a
single sentence is too long.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.answering.query import YEAR, QueryTerms
from bot.core.knowledge.sentences import opens_line
from bot.core.text.analyzer import Analyzer
from bot.core.text.chars import ELLIPSIS
from bot.core.text.words import LENGTH_AND_SPAN_UNITS, MONTHS, NUMBER_WORDS, TEXT_NEGATIONS, WEEKDAYS

_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """What one sentence holds, computed once per paragraph and shared by every question."""

    terms: frozenset[str]  # index terms
    seq: tuple[str, ...]  # the same, in order, repeats kept
    words: frozenset[str]  # the words as written, folded (for exact-form matches)
    numbers: frozenset[str]  # numeric terms ("37000", "9.5")
    times: frozenset[str]  # numeric terms that read as dates (years, "27th")
    has_number_word: bool  # "three", "hundreds", "%" ...
    has_date_word: bool  # a month or weekday name
    has_clock: bool  # a clock time ("7 pm", "19:30", "noon")
    folded: str  # the sentence with white space folded, as quotes show it
    text: str
    names: tuple[frozenset[str], ...]  # terms of each run of capitalised words ("Boris Gryzlov")
    spans: tuple[tuple[str, int, int], ...]  # (term, start, end) in ``folded``: for highlights
    opens_line: bool = False  # begins a line of its own (a list item, a table row): quoted so

    @property
    def folded_chars(self) -> int:
        return len(self.folded)


# Matched on the words as written: stems collide ("times" and "time"). Months and weekdays only
# when capitalised (not "may"), and clock times ("7 pm", "19:30", "noon"): a "when" question's answer.
_WORD = re.compile(r"\w+")
_DATE_NAMES = frozenset(m.title() for m in MONTHS | WEEKDAYS)
_CLOCK_TIME = re.compile(r"\b(?:\d{1,2}(?::\d\d)?\s?(?:[ap]\.?m\b\.?)|\d{1,2}:\d\d\b|noon\b|midnight\b)",
                         re.IGNORECASE)
_ITEM_NUMBER = re.compile(r"\s*(\d{1,3})[.)]\s")
_ORDINAL_NUMBER = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")


def sentence_facts(text: str, analyzer: Analyzer, opens_line: bool = False) -> SentenceFacts:
    """Built from term lists and word sets only: this runs for every paragraph a question
    reaches for the first time, so it is on the path of a cold answer."""
    seq = tuple(analyzer.terms(text))
    terms = frozenset(seq)
    numbers = frozenset(t for t in terms if t[:1].isdigit())
    item = _ITEM_NUMBER.match(text)
    if item and numbers and seq.count(item.group(1)) == 1:
        # "2. Keep conversations in the right channel": a list item's number counts nothing.
        numbers -= {item.group(1)}
    if numbers:
        ordinals = {m.group(1) for m in _ORDINAL_NUMBER.finditer(text)}
        times = frozenset(t for t in numbers if YEAR.fullmatch(t) or t in ordinals)
    else:
        times = numbers
    words = _WORD.findall(text)
    has_number_word = "%" in text or not NUMBER_WORDS.isdisjoint(_WORD.findall(text.casefold()))
    names = tuple(frozenset(analyzer.terms(m.group())) for m in _NAME.finditer(text))
    folded = fold_ws(text)
    spans = tuple(analyzer.tokens(folded))
    return SentenceFacts(terms, seq, analyzer.surface_words(text), numbers, times, has_number_word,
                         not _DATE_NAMES.isdisjoint(words), _CLOCK_TIME.search(text) is not None, folded,
                         text, names, spans, opens_line)


def _alternatives(words: frozenset[str]) -> str:
    return "|".join(sorted(words, key=lambda w: (-len(w), w)))


# A number (in digits or words) and its unit: "1,084 km", "three years", "half a mile".
_MEASURE = re.compile(
    rf"(?<![\w.,])(?:\d[\d,.]*|{_alternatives(NUMBER_WORDS | {'several', 'few', 'many'})})"
    rf"(?:[\s-]+(?:a|an|of))?[\s-]*(?:{_alternatives(LENGTH_AND_SPAN_UNITS)})\b", re.IGNORECASE)
_COUNT = re.compile(rf"\d[\d,. ]*\d|\d|%|\b(?:{_alternatives(NUMBER_WORDS)})\b", re.IGNORECASE)
COUNT_REACH = 40  # characters between a number and the word for what it counts


def counts(facts: SentenceFacts, counted: frozenset[str]) -> bool:
    """Does the sentence put a number beside a word for what the question counts ("a population
    of 9,5 million", "9,5 million inhabitants")?"""
    places = [(a, b) for term, a, b in facts.spans if term in counted]
    if not places:
        return False
    return any(a - COUNT_REACH <= m.end() and m.start() <= b + COUNT_REACH
               for m in _COUNT.finditer(facts.folded) for a, b in places)


def has_answer_kind(facts: SentenceFacts, kind: str | None, exclude: frozenset[str],
                    counted: frozenset[str] = frozenset()) -> bool:
    """Does the sentence hold something of that kind that the question does not already say?"""
    if kind == "number":
        if counted:
            return counts(facts, counted)
        return facts.has_number_word or not facts.numbers <= exclude
    if kind == "measure":  # a length, distance or span: a number with its unit ("1,084 km", "three years")
        return _MEASURE.search(facts.text) is not None
    if kind == "duration":  # "how long has…": a span ("more than 20 years") or a year it began
        return _MEASURE.search(facts.text) is not None or not facts.times <= exclude
    if kind == "time":
        return facts.has_date_word or facts.has_clock or not facts.times <= exclude
    if kind == "clock":
        return facts.has_clock
    if kind == "person":
        return any(not (name & exclude) for name in facts.names)
    return False


# A word from its first capital on; possessive, so that a long run of capitals is one linear scan
# (a backtracking "and a lowercase letter later" took 2 s on a 20,000-letter one).
_CAPITALISED = re.compile(r"[A-Z][\w’'-]*+")


def _is_capitalised(word: str) -> bool:
    """A capitalised word, not an acronym: a lowercase letter after its first."""
    return any("a" <= c <= "z" for c in word[1:])


OFFICE_REACH = 40  # characters between an office ("president") and the name of its holder


def names_holder(facts: SentenceFacts, office: str, question_words: frozenset[str]) -> bool:
    """Does the sentence name someone beside ``office`` ("Anna Berg, the club's president")? A
    capitalised word within reach of the office word, neither the sentence's first word nor a
    word of the question (folded: ``question_words``)."""
    text = facts.text
    starts = [m.start() for m in re.finditer(rf"\b{re.escape(office)}s?\b", text, re.IGNORECASE)]
    if not starts:
        return False
    for m in _CAPITALISED.finditer(text):
        if m.start() == 0 or text[m.start() - 1].isalnum() or not _is_capitalised(m.group()):
            continue
        word = m.group().casefold()
        if word in question_words or word.rstrip("s") == office:
            continue
        # the first office starting after the word's reach ends, and the one before it
        k = bisect.bisect_right(starts, m.end() + OFFICE_REACH)
        if k and starts[k - 1] + len(office) + 1 + OFFICE_REACH >= m.start():
            return True
    return False


@dataclass(frozen=True, slots=True)
class QuoteWindow:
    """The sentences a quote is made of and the question terms they hold."""

    first: int  # sentence indices inside the paragraph, inclusive
    last: int
    matched: frozenset[str]
    coverage: float


def fold_ws(text: str) -> str:
    """White space runs folded to one space, ends stripped (as ``re.sub(r"\\s+", " ")``, faster)."""
    return " ".join(text.split())


Spans = Sequence[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ParagraphFacts:
    """A paragraph's sentences' facts and its section heading's terms."""

    sentences: tuple[SentenceFacts, ...]
    heading: tuple[str, ...]  # terms of the section heading (indexed with the paragraph)
    # Per sentence, kept beside the facts so that ranking a window costs no Python loop over them:
    term_counts: tuple[int, ...]  # terms as indexed (``len(seq)``)
    chars: tuple[int, ...]  # characters once white space is folded (``len(folded)``)

    @property
    def negative(self) -> bool:
        """Does the paragraph say that something is not, never, none… (any way of saying it)?"""
        return any(not TEXT_NEGATIONS.isdisjoint(f.words) or "n't" in f.text for f in self.sentences)

    @property
    def length(self) -> int:
        """Terms of the paragraph as indexed: heading and sentences."""
        return len(self.heading) + sum(self.term_counts)


def paragraph_facts(text: str, spans: Spans, section: str | None, analyzer: Analyzer) -> ParagraphFacts:
    """Facts of each sentence of a paragraph (``spans`` are its sentences' offsets in ``text``)."""
    heading = tuple(analyzer.terms(section)) if section else ()
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    lines = opens_line(text, starts, ends) if "\n" in text else [False] * len(spans)
    sentences = tuple(sentence_facts(text[a:b], analyzer, new_line)
                      for (a, b), new_line in zip(spans, lines, strict=True))
    return ParagraphFacts(sentences, heading, tuple(len(f.seq) for f in sentences),
                          tuple(len(f.folded) for f in sentences))


def _cut(text: str, start: int, end: int) -> str:
    return (ELLIPSIS if start > 0 else "") + text[start:end] + (ELLIPSIS if end < len(text) else "")


def _trim_bounds(text: str, spans: Sequence[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    """Where a quote too long for ``max_chars`` is cut around its matched ``spans`` (the kept part
    has no white space at its ends)."""
    if len(text) <= max_chars:
        return 0, len(text)
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
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def window_spans(chars: npt.NDArray[np.int64], paragraph_end: npt.NDArray[np.int64], max_sentences: int,
                 max_chars: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First and last sentence of every run of 1..max_sentences consecutive sentences of one
    paragraph whose quote (their lengths ``chars`` once white space is folded, joined by spaces)
    fits in ``max_chars``; a single sentence always counts, since it is quoted trimmed.

    Sentences of several paragraphs may be concatenated (the ranking does, for all candidates at
    once): ``paragraph_end[i]`` is where sentence ``i``'s paragraph ends, and no run crosses it.
    Runs come in order of first sentence, then length.
    """
    n = len(chars)
    starts = np.arange(n, dtype=np.int64)
    prefix = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(chars + 1)])
    firsts, lasts = [starts], [starts]
    for k in range(2, max_sentences + 1):
        last = starts + k - 1
        ok = (last < paragraph_end) & (prefix[np.minimum(last, n - 1) + 1] - prefix[starts] - 1 <= max_chars)
        firsts.append(starts[ok])
        lasts.append(last[ok])
    first = np.concatenate(firsts)
    last = np.concatenate(lasts)
    order = np.lexsort((last, first))
    return first[order], last[order]


def quote_windows(lengths: Sequence[int], max_sentences: int, max_chars: int) -> list[tuple[int, int]]:
    """(first, last) of every window of one paragraph's sentences (see :func:`window_spans`)."""
    first, last = window_spans(np.array(lengths, dtype=np.int64), np.full(len(lengths), len(lengths)),
                               max_sentences, max_chars)
    return list(zip(first.tolist(), last.tolist(), strict=True))


def merge_spans(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, overlapping spans joined: the highlights of a quote."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(set(spans)):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


MIN_CONTINUATION = 40  # characters of a following sentence worth showing before the cut


def continue_into_next(quote: str, following: str, max_chars: int, joiner: str = " ") -> str:
    """``quote`` plus the start of the following sentence, cut at a word with …, when room
    is left: the answer to a "why" question often opens the sentence after the one that
    repeats the question's words, and that sentence may be too long to quote whole."""
    room = max_chars - len(quote) - 1 - len(ELLIPSIS)
    if room < MIN_CONTINUATION:
        return quote
    cut = following.rfind(" ", 0, room + 1)
    if cut < MIN_CONTINUATION:
        return quote
    return f"{quote}{joiner}{following[:cut].rstrip()}{ELLIPSIS}"


def build_quote(facts: ParagraphFacts, window: QuoteWindow, query: QueryTerms, max_chars: int,
                continue_quote: bool = True) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The quote of ``window`` and the spans of its words that match the question.

    A quote is the window's sentences with white space folded, joined by single spaces (which is
    the paragraph text folded, as sentences are separated by white space only), or by a line
    break before a sentence that opens a line of its own (a list item, a table row: the same
    length, so every offset is the same); each sentence's terms and their spans were computed
    once with its facts, so highlighting costs no analysis.
    """
    wanted = query.index_terms
    sentences = facts.sentences
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for k, f in enumerate(sentences[window.first:window.last + 1]):
        spans.extend((offset + a, offset + b) for term, a, b in f.spans if term in wanted)
        if k:
            parts.append("\n" if f.opens_line else " ")
        parts.append(f.folded)
        offset += len(f.folded) + 1
    quote = "".join(parts)
    if len(quote) > max_chars:
        start, end = _trim_bounds(quote, spans, max_chars)
        shift = len(ELLIPSIS) if start > 0 else 0
        spans = [(a - start + shift, b - start + shift) for a, b in spans if start <= a and b <= end]
        return _cut(quote, start, end), merge_spans(spans)
    if continue_quote and window.last + 1 < len(sentences):
        following = sentences[window.last + 1]
        if len(quote) + 1 + len(following.folded) > max_chars:  # it would have joined the window if it fit
            longer = continue_into_next(quote, following.folded, max_chars,
                                        "\n" if following.opens_line else " ")
            if longer != quote:
                base = len(quote) + 1
                kept = len(longer) - len(ELLIPSIS) - base
                spans.extend((base + a, base + b) for term, a, b in following.spans
                             if term in wanted and b <= kept)
                quote = longer
    return quote, merge_spans(spans)
