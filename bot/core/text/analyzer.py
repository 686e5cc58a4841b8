"""The one text analysis of the bot: documents and questions become index terms the same way.

Tokenise → fold (Unicode, case, diacritics) → drop stopwords → stem → apply aliases. There is
one token pattern, one per-word analysis and one implementation of aliases; everything else
(index builds, questions, quote facts, highlights) calls :class:`Analyzer`.

Why it is fast without a second copy: a knowledge base has far fewer distinct word forms than
words, so the analysis of each white-space-separated word is memoised inside the analyzer, and
a text is analysed by splitting it at white space (a C loop) and looking each word up. Splitting
at white space gives the pattern's tokens exactly, except where a number's thousands separator
is a space or a line break ("37 000"): only text holding a digit, one white-space character and a
digit is tokenised with the pattern as a whole. The memo is bounded (cleared when full), so
questions can never make it grow without limit.

Offsets: :meth:`Analyzer.tokens` keeps each term's character span in the original text, so a
quote can be highlighted exactly as written; normalisation only ever changes *terms*.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress
from types import MappingProxyType
from typing import NamedTuple, TypeVar

import Stemmer

from bot.core.text.chars import DROP_ZERO_WIDTH, HYPHENS, ZERO_WIDTH
from bot.core.text.words import COMMON_ENGLISH_WORDS, DEFAULT_STOPWORDS, IRREGULAR_FORMS

# Joins texts analysed in one call (see Analyzer.joined_terms); NUL is never part of the text
# the bot indexes (the loader refuses it) and is removed from questions.
SEGMENT_BREAK = "\x00"
MAX_TOKEN_CHARS = 100  # longer runs of letters are not words (hashes, base64); they give no term
_T = TypeVar("_T")

MAX_PHRASE_TERMS = 8  # longest multi-word alias, in terms: bounds the phrase matching per word

# A line break counts as a space: Markdown renders a hard-wrapped "37\n000" as "37 000", and a
# quote shows it so.
_NUM_SEP = "[ \n\u00a0\u202f\u2009,.'’]"
_PLAIN_TOKENS = (
    rf"(?P<thousands>\d{{1,3}}(?:{_NUM_SEP}\d{{3}})+(?!\d))"
    r"|(?P<decimal>\d+[.,]\d+)"
    r"|(?P<word>[^\W_]+(?:[-‐‑'’][^\W_]+)*)"
    r"|(?P<percent>%)"
)
_INNER = re.compile(_PLAIN_TOKENS)  # the tokens inside an address, and the words as written
# An e-mail address or a web address is one token: its parts are terms as before, and it is
# also the term "email" (or "link" and "website"), what people ask for ("whats the email for
# the committee?"), as "%" is "percent". Linear on any input: an address starts only where no
# address character precedes and its local part is possessive, the domain's parts are split by
# their dots, and a URL gives back only its trailing punctuation.
_ADDRESSED = re.compile(
    r"(?P<email>(?<![\w.+-])[\w.+-]++@(?:[^\W_]+[-.])+[^\W\d_]{2,}\b)"
    r"|(?P<url>\bhttps?://[^\s<>()\[\]\"'`]*(?<![.,;:!?]))"
    rf"|{_PLAIN_TOKENS}"
)
_ADDRESS_WORDS = {"email": ("email",), "url": ("link", "website")}  # the terms an address also is


def _token_pattern(text: str) -> re.Pattern[str]:
    """The token pattern for ``text``: with addresses only when it may hold one (two C scans are
    cheaper than trying an address at every token)."""
    return _ADDRESSED if "@" in text or "://" in text else _INNER


# Combining marks and zero-width characters belong to the word they are in ("Bela\u200brus",
# "e\u0301"): the pattern reads them as letters through a same-length translation, so offsets
# still point into the original text.
_HAS_IN_WORD = re.compile(f"[\u0300-\u036f{ZERO_WIDTH}]")
_AS_LETTER = {cp: "a" for cp in chain(range(0x300, 0x370), map(ord, ZERO_WIDTH))}
# A digit, one white-space thousands separator, a digit: a token may span two white-space words.
_SPLIT_UNSAFE = re.compile(r"\d[ \n\u00a0\u202f\u2009]\d")
_JOIN = f" {SEGMENT_BREAK} "  # between the segments of one joined_terms call
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th|s)$")
_SCALED = re.compile(r"^(\d+)k$")  # "9k troops" = 9000
_HYPHENS = re.compile(f"[{HYPHENS}]")
_NON_DIGIT = re.compile(r"\D")
# A white-space word that is plain ASCII letters inside brackets, quotes or punctuation ("word,",
# "(Word", "end.\"", "“Word”"): the pattern would find exactly one word token in it, its letters.
_PLAIN_WORD = re.compile(r"[(\[\"“‘]*([A-Za-z]+)[.,;:!?)\]\"”’]*\Z")


class Token(NamedTuple):
    """An index term and where it came from in the analysed text (a tuple: made by the thousand)."""

    term: str
    start: int
    end: int


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a word, for matching only."""
    if text.isascii():  # no diacritics, no zero-width characters, no curly apostrophes
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(DROP_ZERO_WIDTH))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().replace("’", "'").replace("‘", "'")


class _Stemmers(threading.local):
    """PyStemmer objects are not safe to share between threads; keep one per thread."""

    def __init__(self) -> None:
        # No cache of its own: the analyzer remembers stems itself, and PyStemmer's bounded cache
        # (10,000 words by default) only thrashes on a build's hundred thousand words.
        self.stemmer = Stemmer.Stemmer("english", 0)


_STEMMERS = _Stemmers()


def stem(word: str) -> str:
    return str(_STEMMERS.stemmer.stemWord(word))


def _tokenizable(text: str) -> str:
    """``text`` with in-word marks read as letters (same length, so spans stay valid)."""
    return text.translate(_AS_LETTER) if _HAS_IN_WORD.search(text) else text


@dataclass(frozen=True)
class AliasTable:
    """Groups of names that mean the same thing, compiled to term sequences.

    Single-term variants are rewritten to the group's canonical term; multi-term variants
    ("Soviet Union") add the canonical term beside their own words, so both stay findable.
    """

    groups: tuple[tuple[str, ...], ...] = ()
    single: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    phrases: Mapping[tuple[str, ...], str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def longest(self) -> int:
        return max((len(p) for p in self.phrases), default=0)

    @property
    def starts(self) -> frozenset[str]:
        """First terms of the multi-term variants: only these can start a phrase."""
        return frozenset(p[0] for p in self.phrases)


class _FormMemo(dict[str, tuple[str, ...]]):
    """Word form → its terms (before aliases), in one compound mode, at most ``limit`` forms
    (cleared when full).

    A form not seen yet is analysed on lookup (:meth:`__missing__`), so a whole text's forms
    are looked up in one C-level ``map`` and Python runs only for the new ones. The analysis is
    held weakly: an analyzer and its memo form no cycle, so a dropped analyzer's memo is freed
    at once, not at the next full garbage collection.
    """

    __slots__ = ("_analyse", "_expand", "_limit")

    def __init__(self, analyse: Callable[[str, bool], tuple[str, ...]], expand: bool, limit: int) -> None:
        super().__init__()
        self._analyse = weakref.WeakMethod(analyse)
        self._expand = expand
        self._limit = limit
        self.forget()

    def forget(self) -> None:
        self.clear()
        self[SEGMENT_BREAK] = (SEGMENT_BREAK,)  # joins texts analysed in one call

    def __missing__(self, word: str) -> tuple[str, ...]:
        analyse = self._analyse()
        assert analyse is not None, "the analyzer owning this memo is gone"
        terms = analyse(word, self._expand)
        if len(word) <= MAX_TOKEN_CHARS:  # a pasted blob is analysed, never remembered
            if len(self) >= self._limit:
                self.forget()
            self[word] = terms
        return terms


class Analyzer:
    """Tokenise → fold → drop stopwords → stem → apply aliases; memoised per word form.

    ``memo_limit`` bounds the memo (word forms per compound mode, and stems); each part is
    cleared when full.
    An index build wants a large memo for its duration; answering needs only a small one.
    """

    def __init__(self, stopwords: Iterable[str] = DEFAULT_STOPWORDS, aliases: AliasTable | None = None,
                 *, memo_limit: int = 200_000) -> None:
        self.stopwords = frozenset(fold(w) for w in stopwords)
        self.aliases = aliases or AliasTable()
        self.memo_limit = memo_limit
        self._memo = (_FormMemo(self._analyse_word, False, memo_limit),
                      _FormMemo(self._analyse_word, True, memo_limit))
        self._stems: dict[str, str] = {}
        # Aliases as plain dicts and sets once: they are consulted for every word.
        self._single = dict(self.aliases.single)
        self._phrases = dict(self.aliases.phrases)
        self._longest = self.aliases.longest
        self._starts = self.aliases.starts

    def with_aliases(self, groups: Sequence[Sequence[str]], *, memo_limit: int | None = None) -> Analyzer:
        """An analyzer with these stopwords and ``groups`` compiled to an alias table."""
        table = compile_aliases(groups, Analyzer(self.stopwords, memo_limit=10_000))
        limit = self.memo_limit if memo_limit is None else memo_limit
        return Analyzer(self.stopwords, table, memo_limit=limit)

    # ---- one word -----------------------------------------------------------------------------

    def memo_size(self) -> int:
        """Word forms and stems remembered (both compound modes), at most ``3 × memo_limit``."""
        return sum(len(m) - 1 for m in self._memo) + len(self._stems)

    def clear_memo(self) -> None:
        """Forget the word forms remembered so far (an index build calls this once its analysis
        is done: its memo of up to millions of forms need not live through the merge, the
        build's memory peak)."""
        self._reset_memo()

    def _stem(self, word: str) -> str:
        """The stem of a folded word, remembered: many white-space forms ("Word", "word,",
        "(word") share one stem, and the memo above holds forms, not words."""
        stems = self._stems
        hit = stems.get(word)
        if hit is None:
            if len(stems) >= self.memo_limit:
                stems.clear()
            hit = stems[word] = stem(word)
        return hit

    def _reset_memo(self) -> None:
        self._stems.clear()
        for memo in self._memo:
            memo.forget()

    def _word(self, word: str, expand: bool) -> tuple[str, ...]:
        """Terms (before aliases) of one white-space word or raw token: memoised."""
        return self._memo[expand][word]

    def _analyse_word(self, word: str, expand: bool) -> tuple[str, ...]:
        """What :meth:`_word` remembers: the terms of one word form, analysed."""
        plain = _PLAIN_WORD.match(word)
        if plain is not None:  # one word token of ASCII letters: no pattern, no digit rules
            letters = plain.group(1).lower()
            if letters in self.stopwords or len(letters) == 1 or len(letters) > MAX_TOKEN_CHARS:
                return ()
            return (self._stem(IRREGULAR_FORMS.get(letters, letters)),)
        prepared = _tokenizable(word)
        return tuple(term for m in _token_pattern(prepared).finditer(prepared)
                     for term in self._token_terms(m.lastgroup, word[m.start():m.end()], expand))

    def _token_terms(self, kind: str | None, raw: str, expand: bool) -> list[str]:
        """Terms of one token of the pattern (a number, a word, a percent sign)."""
        return [term for term, _start, _end in self._token_spans(kind, raw, expand)]

    def _token_spans(self, kind: str | None, raw: str, expand: bool) -> list[tuple[str, int, int]]:
        """Terms of one token with their spans inside it: a hyphenated word's parts have their own."""
        whole = len(raw)
        if kind == "thousands":
            return [(_NON_DIGIT.sub("", raw), 0, whole)]
        if kind == "decimal":
            return [(raw.replace(",", "."), 0, whole)]
        if kind == "percent":
            return [("percent", 0, whole)]
        if kind == "email" or kind == "url":
            out: list[tuple[str, int, int]] = []
            for m in _INNER.finditer(_tokenizable(raw)):
                at = m.start()
                out.extend((term, at + a, at + b)
                           for term, a, b in self._token_spans(m.lastgroup, raw[at:m.end()], expand))
            out.extend((self._stem(w), 0, whole) for w in _ADDRESS_WORDS[kind])
            return out
        return self._word_spans(fold(raw) if whole <= MAX_TOKEN_CHARS else raw, raw, expand)

    def _word_spans(self, word: str, raw: str, expand: bool) -> list[tuple[str, int, int]]:
        """Terms of one word token (``word`` is ``raw`` folded) with their spans inside it."""
        whole = len(raw)
        if whole > MAX_TOKEN_CHARS:
            return []
        if word.endswith("'s"):
            word = word[:-2]
        word = word.rstrip("'")
        if "'" in word and word not in self.stopwords:
            word = word.replace("'", "")
        if not word or word in self.stopwords:
            return []
        ordinal = _ORDINAL.match(word)
        if ordinal:
            return [(ordinal.group(1), 0, whole)]
        scaled = _SCALED.match(word)
        if scaled:
            return [(str(int(scaled.group(1)) * 1000), 0, whole)]
        if _HYPHENS.search(word):
            compound = "".join(p for p in _HYPHENS.split(word) if p)
            out = [(compound if compound.isdigit() else self._stem(compound), 0, whole)]
            if expand:  # each part findable too: "Iskander-M" → iskanderm, iskander
                pos = 0
                for part_raw in _HYPHENS.split(raw):
                    part = fold(part_raw)
                    span = (pos, pos + len(part_raw))
                    if part.isdigit():
                        out.append((part, *span))
                    elif len(part) > 1 and part not in self.stopwords:
                        out.append((self._stem(part), *span))
                    pos += len(part_raw) + 1
            return out
        if len(word) == 1 and not word.isdigit():
            return []
        word = IRREGULAR_FORMS.get(word, word)
        return [(word if word[0].isdigit() else self._stem(word), 0, whole)]

    # ---- texts --------------------------------------------------------------------------------

    def _base_terms(self, text: str, expand: bool, split_safe: bool = False) -> list[str]:
        """Terms of ``text`` before aliases, in order; ``split_safe``: the caller has already
        found no space-separated thousands in it (a search over a whole batch costs)."""
        if not split_safe and _SPLIT_UNSAFE.search(text):
            prepared = _tokenizable(text)
            words = [text[m.start():m.end()] for m in _token_pattern(prepared).finditer(prepared)]
        else:
            words = text.split()
        # No Python loop over the words: each is looked up in C, and only a new form runs the
        # analysis (the memo's ``__missing__``).
        return list(chain.from_iterable(map(self._memo[expand].__getitem__, words)))

    def _phrase_hits(self, terms: Sequence[str]) -> list[tuple[int, int, str]]:
        """(position, length, group term) of every multi-word alias in ``terms``, in order.

        Only positions holding a phrase's first word are examined; they are found at C speed
        (``map`` over the set's ``__contains__``), which keeps a whole index build's term list
        cheap when aliases are rare in it.
        """
        phrases, longest, size = self._phrases, self._longest, len(terms)
        hits = []
        for i in compress(range(size), map(self._starts.__contains__, terms)):
            for n in range(2, min(longest, size - i) + 1):
                group = phrases.get(tuple(terms[i:i + n]))
                if group is not None:
                    hits.append((i, n, group))
        return hits

    @staticmethod
    def _with_groups(
        items: list[_T], hits: list[tuple[int, int, str]], group: Callable[[int, int, str], _T]
    ) -> list[_T]:
        """``items`` with ``group(i, n, term)`` inserted after each hit's first item, in one pass."""
        out: list[_T] = []
        done = 0
        for i, n, term in hits:
            out.extend(items[done:i + 1])
            out.append(group(i, n, term))
            done = i + 1
        out.extend(items[done:])
        return out

    def _aliased(self, terms: list[str]) -> list[str]:
        """Aliases applied: single variants replaced, phrase group terms after the phrase's first word."""
        out = list(map(self._single.get, terms, terms)) if self._single else terms
        if not self._phrases or self._starts.isdisjoint(terms):
            return out
        return self._with_groups(out, self._phrase_hits(terms), lambda _i, _n, term: term)

    def terms(self, text: str, expand_compounds: bool = True) -> list[str]:
        """Index terms of ``text``, in order (repeats kept)."""
        if SEGMENT_BREAK in text:
            text = text.replace(SEGMENT_BREAK, " ")
        return self._aliased(self._base_terms(text, expand_compounds))

    def joined_terms(self, segments: Sequence[str]) -> list[str]:
        """The terms of each segment in order, :data:`SEGMENT_BREAK` between segments.

        One call for a whole batch of headings and sentences (an index build): each segment is
        analysed as if alone (no phrase spans a break), at the cost of one white-space split.
        Only segments where a number's thousands are separated by a space ("37 000") are
        tokenised on their own; the runs of segments between them keep the fast path.
        """
        joined = _JOIN.join(segments)
        unsafe = [m.start() for m in _SPLIT_UNSAFE.finditer(joined)]
        if not unsafe:
            return self._aliased(self._base_terms(joined, True, split_safe=True))
        # Where each segment starts in ``joined``; the segments holding a match are analysed
        # alone, and each run between them is analysed as its slice of ``joined``.
        starts = list(accumulate((len(s) + len(_JOIN) for s in segments[:-1]), initial=0))
        bad = sorted({bisect_right(starts, at) - 1 for at in unsafe})
        base: list[str] = []
        done = 0  # segments analysed so far
        for k in [*bad, len(segments)]:
            if k > done:
                run_end = starts[k] - len(_JOIN) if k < len(segments) else len(joined)
                base.extend(self._base_terms(joined[starts[done]:run_end], True, split_safe=True))
                base.append(SEGMENT_BREAK)
            if k < len(segments):
                base.extend(self._base_terms(segments[k], True))
                base.append(SEGMENT_BREAK)
            done = k + 1
        base.pop()
        return self._aliased(base)

    def tokens(self, text: str, expand_compounds: bool = True) -> list[Token]:
        """Index terms of ``text`` with their spans in ``text`` (a term spans its whole token)."""
        return self._tokens(text, expand_compounds, False)[0]

    def tokens_and_generic(self, text: str) -> tuple[list[Token], frozenset[str]]:
        """:meth:`tokens` and :meth:`generic_terms` of ``text`` in one pass (a question needs both)."""
        return self._tokens(text, True, True)

    def _tokens(self, text: str, expand_compounds: bool,
                want_generic: bool) -> tuple[list[Token], frozenset[str]]:
        base: list[Token] = []
        generic: list[str] = []
        word = self._word
        prepared = _tokenizable(text)
        for m in _token_pattern(prepared).finditer(prepared):
            start, end = m.span()
            raw = text[start:end]
            terms = word(raw, expand_compounds)
            if len(terms) == 1:
                base.append(Token(terms[0], start, end))
                if want_generic and fold(raw) in COMMON_ENGLISH_WORDS:
                    generic.append(terms[0])
            elif terms:  # a hyphenated word: its parts span only themselves (never an everyday word)
                base.extend(Token(t, start + a, start + b)
                            for t, a, b in self._token_spans(m.lastgroup, raw, expand_compounds))
        single = self._single
        out = [Token(single.get(t.term, t.term), t.start, t.end) for t in base] if single else base
        if self._phrases:
            hits = self._phrase_hits([t.term for t in base])
            out = self._with_groups(
                out, hits, lambda i, n, term: Token(term, base[i].start, base[i + n - 1].end))
        return out, frozenset(single.get(t, t) for t in generic) if single else frozenset(generic)

    def surface_words(self, text: str) -> frozenset[str]:
        """The tokens of ``text`` as written, only folded (case, diacritics), not stemmed.

        Beside the stems they tell an exact form from a word that merely shares its stem
        ("designated" and "design").
        """
        folded = fold(text)
        return frozenset(m.group() for m in _INNER.finditer(folded))

    def generic_terms(self, text: str) -> frozenset[str]:
        """Terms of ``text`` that come from everyday English words ("want", "best", "time").

        They say little about what a question is about, so they count less when deciding
        whether a passage answers it.
        """
        return self._tokens(text, True, True)[1]


def compile_aliases(groups: Sequence[Sequence[str]], analyzer: Analyzer) -> AliasTable:
    """Turn alias groups into term rules using ``analyzer`` (which must have no aliases).

    A name that analyses to more than :data:`MAX_PHRASE_TERMS` terms is left out (the aliases
    loader reports such names; this bound keeps phrase matching cheap whatever the file holds).
    """
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    kept: list[tuple[str, ...]] = []
    for group in groups:
        sequences = [tuple(analyzer.terms(name, expand_compounds=False)) for name in group]
        sequences = [s for s in sequences if 0 < len(s) <= MAX_PHRASE_TERMS]
        if len(sequences) < 2:
            continue
        canonical = "_".join(sequences[0])
        kept.append(tuple(group))
        for seq in sequences:
            if len(seq) == 1:
                single.setdefault(seq[0], canonical)
            else:
                phrases.setdefault(seq, canonical)
    return AliasTable(tuple(kept), MappingProxyType(single), MappingProxyType(phrases))
