"""The question side of answering: its terms, their weights, and what it asks for.

Each question term carries the index terms that count as matching it (itself, or for a
word the knowledge base never uses, its likely relatives) and an IDF weight; coverage,
the weighted share of the question a passage holds, is what the decline decision and
the quote choice both rest on.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from bot.core.index.bm25 import BM25Index
from bot.core.text.analyzer import Analyzer, Token, fold
from bot.core.text.chars import HYPHENS
from bot.core.text.words import COMMON_ENGLISH_WORDS, QUESTION_NEGATIONS, TITLE_ABBREVIATIONS, UNIT_WORDS


def term_weight(n_docs: int, df: int) -> float:
    """Always-positive IDF (as in Lucene); an unseen term gets the highest weight."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def expand_unknown(term: str, index: BM25Index, compounds: bool = True,
                   typos: bool = True) -> tuple[str, ...]:
    """Index terms that are probably the same word as a term the index has never seen.

    The stemmer leaves derivations apart ("dissolved"/"dissolution", "invaded"/"invasion")
    and cannot fix typos; an unseen question term is matched to indexed terms that share
    all but its last few letters, or that are one typo away (after the same first two letters).
    A first letter dropped ("ngles") is not guessed: putting one back made other words
    ("store" → "CSTO", "resume" → "presume"). With ``compounds``, a word the index has in two
    halves ("counteroffensive") gives the halves instead. Without ``typos`` (the question wrote
    an everyday English word), no typo is guessed: "prime" is not a misspelt "price".
    """
    if len(term) < 5 or not term.isalpha():
        return ()
    parts = split_compound(term, index) if compounds else ()
    if parts:
        return parts
    # Sharing all but the last three letters (and at least five) is sharing this prefix:
    out = {c for c in index.with_prefix(term[:max(5, len(term) - 3)]) if c.isalpha()}
    if typos and len(term) >= 5:  # one letter inserted, deleted or replaced (the term itself is unseen)
        out.update(c for c, _distance, _i in process.extract(term, index.with_prefix(term[:2], len(term), 1),
                                                             scorer=Levenshtein.distance, score_cutoff=1,
                                                             limit=None)
                   if c.isalpha())
    return tuple(sorted(out))


def misspelt_stopword(word: str, stopwords: frozenset[str]) -> bool:
    """Is an unseen word one letter away from a stopword ("Whwn", "wich")? Then it is that
    stopword, not the rarest word of the question (too short to tell: under four letters)."""
    if len(word) < 4 or not word.isalpha() or word in COMMON_ENGLISH_WORDS:
        return False  # "soft" is not a misspelt "sort"
    near = _by_first_letter(stopwords).get(word[0], ())
    return process.extractOne(word, near, scorer=Levenshtein.distance, score_cutoff=1) is not None


def _without_unseen_parts(question: str, tokens: list[Token], dfs: dict[str, int]) -> list[Token]:
    """A hyphenated word of the question ("ex-Soviet") is its parts and their join: when the
    knowledge base uses one of them ("Soviet"), the lowercase others it never uses ("ex",
    "exsoviet") are no words the question asks about; a capitalised part stays a name
    ("Saint-Girard")."""
    drop: set[int] = set()
    for m in _HYPHENATED.finditer(question):
        word = [i for i, t in enumerate(tokens) if m.start() <= t.start and t.end <= m.end()]
        if any(dfs[tokens[i].term] for i in word):
            drop.update(i for i in word
                        if not dfs[tokens[i].term] and not question[tokens[i].start].isupper())
    return [t for i, t in enumerate(tokens) if i not in drop] if drop else tokens


def _without_aliased_words(tokens: list[Token], dfs: dict[str, int]) -> list[Token]:
    """The words of a phrase that ``aliases.yaml`` names ("secret service" beside "KGB") are that
    alias's term, which the knowledge base uses: the ones it never uses itself ("secret") are no
    words the question asks about."""
    seen = [(t.start, t.end) for t in tokens if dfs[t.term]]

    def inside_a_seen_phrase(t: Token) -> bool:
        return any(a <= t.start and t.end <= b and b - a > t.end - t.start for a, b in seen)

    return [t for t in tokens if dfs[t.term] or not inside_a_seen_phrase(t)]


# From the start of a word only, and without backtracking into it: a 6,000-letter word is one
# linear scan, not one per letter (that was 0.3 s a question).
_HYPHENATED = re.compile(rf"(?<!\w)(?<!\w')\w[\w']*+(?:[{HYPHENS}]\w[\w']*+)+")


def _stopword_typo(question: str, start: int, end: int, analyzer: Analyzer) -> bool:
    """Is the unseen word at ``start:end`` a misspelt stopword? Not when it is capitalised inside
    the question: that is a name ("What did Moore say…?" is not "more")."""
    raw = question[start:end]
    if raw[:1].isupper() and question[:start].strip(" \t\"'“‘(¿¡"):
        return False
    return misspelt_stopword(fold(raw), analyzer.stopwords)


@functools.lru_cache(maxsize=8)
def _by_first_letter(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for w in sorted(words):
        out.setdefault(w[:1], []).append(w)
    return {letter: tuple(group) for letter, group in out.items()}


# A number that reads as a year, 1500-2099: in a question, one the answer's paragraph must say;
# in a passage, a date ("when" questions).
YEAR = re.compile(r"(1[5-9]|20)\d\d")
_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|big|large|strong|far|old|long)\b"
    r"|\bwhat (number|share|percentage|proportion|percent|size)\b"
    r"|\b(number|share|percentage|proportion) of\b"
    r"|\bpopulation (of|in)\b|['’]s population\b", re.IGNORECASE)
# "How long is the border?", "How far is the lake?": a length or distance, which a year is not.
_ASKS_MEASURE = re.compile(
    r"\bhow (long|far|tall|high|wide|deep) (is|are|was|were)\b"
    r"|\bwhat is the (length|distance|height|width|depth|area) of\b", re.IGNORECASE)
_ASKS_DURATION = re.compile(
    r"\bhow long (have|has|had|did|do|does|will|would|can|could|should|until)\b", re.IGNORECASE)
_ASKS_TIME = re.compile(
    r"^\W*when\b|\bwhen (was|were|did|does|is|do|will|has|had)\b|\b(what|which) (year|date|month|day)\b"
    r"|\bsince when\b|\buntil when\b", re.IGNORECASE)
_ASKS_PERSON = re.compile(
    r"^\W*(who|whom|whose)\b|\b(which|what) (person|people|man|woman|leader|official|analyst|"
    r"expert|minister|ministers|officers?|ambassador)\b", re.IGNORECASE)
# "Who is the president of Ukraine?": the answer names whoever holds that office; a "prime
# minister" or "vice president" is that office, not any minister or president.
_ASKS_HOLDER = re.compile(
    r"^\W*who (?:is|was|are|were) (?:the )?(?:(?:current|present|first|last|new|former|final) )?"
    r"((?:(?:prime|vice|deputy|foreign|defen[cs]e) )?(?:president|minister|king|queen|leader|chancellor|"
    r"mayor|governor|ceo|head|chairman|chairwoman|chair|director|founder|premier|secretary|commander|"
    r"captain|coach|owner))s? of\b",
    re.IGNORECASE)


# "What time is/does…" (not "What time frame…", "What time of day…").
_AUXILIARY = r"(?:is|are|was|were|do|does|did|will|would|should|can|could)\b"
# "What year…", "Which date…", "What time is…": the word names the kind of answer, not what the
# question is about.
_ANSWER_TYPE_WORD = re.compile(
    rf"\b(?:what|which) (year|date|month|day|century|decade|time(?= {_AUXILIARY}))s?\b", re.IGNORECASE)


def asked_office(question: str) -> str | None:
    """The office a "Who is the <office> of …?" question asks the holder of ("president")."""
    m = _ASKS_HOLDER.search(question)
    return m.group(1).casefold() if m else None


# "What time is the meetup?": a clock time, preferred (not required: "fifteen minutes before each
# session" answers "What time do doors open?"). "At what time is…" is often "on what occasion".
_ASKS_CLOCK = re.compile(rf"(?<!\bat )\bwhat time {_AUXILIARY}", re.IGNORECASE)


# "What is the population of Minsk?": the answer is a number beside the word for the population.
_COUNTED = re.compile(r"\b(population)\b", re.IGNORECASE)


def _counted_terms(question: str, tokens: list[Token]) -> set[str]:
    """The terms of the question's word for what it counts (its "population")."""
    m = _COUNTED.search(question)
    if not m:
        return set()
    return {t.term for t in tokens if m.start(1) <= t.start < m.end(1)}


def answer_kind(question: str) -> str | None:
    """What sort of answer a question wants: a clock time, a time, a measure (a length or distance),
    a duration ("how long have…"), a number, a person, or anything."""
    if _ASKS_CLOCK.search(question):
        return "clock"
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_MEASURE.search(question):
        return "measure"
    if _ASKS_DURATION.search(question):
        return "duration"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_PERSON.search(question):
        return "person"
    return None


_WORDS = re.compile(r"[^\W\d_]+")
_INNER_NAME = re.compile(r"(?<=[^\s.!?¿¡\"“(])\s+([A-Z][\w’'-]*)")


def name_words(question: str) -> list[str]:
    """The capitalised words inside a question (not the first), hyphenated ones split:
    "Which Russian-led blocs…" gives "Russian"."""
    words = [m.group(1) for m in _INNER_NAME.finditer(question)]
    return [p for w in words for p in re.split(f"[{HYPHENS}]", w) if p[:1].isupper()]


# Each capitalised word of a question, analysed once: its terms, and those of them that come
# from an everyday word ("TV").
AnalysedWords = dict[str, tuple[list[str], frozenset[str]]]


def analyse_words(words: list[str], analyzer: Analyzer) -> AnalysedWords:
    out: AnalysedWords = {}
    for word in words:
        if word not in out:
            tokens, generic = analyzer.tokens_and_generic(word)
            out[word] = ([t.term for t in tokens], generic)
    return out


def name_terms(analysed: AnalysedWords) -> frozenset[str]:
    """Terms of the capitalised words inside a question (its :func:`name_words`, analysed:
    "When did Finland join NATO?"), everyday words left out ("TV")."""
    generic = frozenset().union(*(g for _, g in analysed.values()))
    return frozenset(t for terms, _ in analysed.values() for t in terms if t not in generic)


def _not_a_name(word: str) -> bool:
    """Capitalised but not a name: an abbreviation ("AAA", "NY", "Sr"), a unit ("Celsius")."""
    letters = word.strip(".’'")
    folded = letters.casefold()
    return ((letters.isupper() and len(letters) <= 5) or folded in TITLE_ABBREVIATIONS
            or folded in UNIT_WORDS or not letters.isalpha())


def near_known(term: str, index: BM25Index) -> bool:
    """Is an unseen term probably a misspelling of an indexed one? Within one edit (two from
    seven letters on, transpositions counting once) of an indexed term with the same first letter,
    or the start of a longer indexed term ("Shirly" → "shir…" of "shirley")."""
    if len(term) < 3:
        return True  # too short to tell a typo from a name: never the reason to decline
    limit = 1 if len(term) < 7 else 2
    near = index.with_prefix(term[0], len(term), limit)
    if process.extractOne(term, near, scorer=DamerauLevenshtein.distance, score_cutoff=limit) is not None:
        return True
    return len(term) >= 4 and bool(index.with_prefix(term, len(term) + 2, 2))  # up to 4 letters longer


def unknown_names(question: str, words: list[str], analysed: AnalysedWords, index: BM25Index,
                  groups: dict[str, tuple[str, ...]], weights: dict[str, float], dfs: dict[str, int],
                  share: float) -> frozenset[str]:
    """Names in the question (its :func:`name_words`, ``analysed``) the knowledge base never
    mentions, when they carry the question (``dfs``: the chunks holding each question term).

    A name the knowledge base has never seen ("When did Finland join NATO?") is strong evidence
    that the question is about something else, however well its other words match. Not every
    capitalised word is such a name: abbreviations, units and misspellings of a known word are
    not, nor are everyday words in a question written in Title Case. A known first name does
    not make an unknown surname known: "Who is Vladimir Zelensky?" is not a question about
    Vladimir Putin (so "Raymond Sullivan", misremembered for "Raymond Smullyan", is declined
    too: measured, the rule that let it through answered such questions).
    """
    total = sum(weights.values())
    out = set()
    checked = 0
    # A capitalised everyday word is a name ("Obama", "London" and "Secretary General" are in the
    # common-English list too), unless the question capitalises most of its words (Title Case).
    title_case = len(words) * 2 > len(_WORDS.findall(question))
    for word in words:
        if _not_a_name(word):
            continue
        terms, generic = analysed[word]
        for term in terms:
            if term in weights and groups[term] == (term,) and not dfs[term] \
                    and not (title_case and term in generic):
                # Each check scans the indexed terms of one first letter: a question holding
                # dozens of unseen names costs at most MAX_EXPANDED_TERMS of them, the rest are
                # given the benefit of the doubt (never the reason to decline).
                checked += 1
                if checked <= MAX_EXPANDED_TERMS and not near_known(term, index):
                    out.add(term)
    if not out or sum(weights[t] for t in out) < share * total:
        return frozenset()
    return frozenset(out)


def split_compound(term: str, index: BM25Index) -> tuple[str, ...]:
    """"counteroffensive" → ("counter", "offens") when the index has both halves (words of five
    letters or more only, as for :func:`expand_unknown`)."""
    if len(term) < 5 or not term.isalpha():
        return ()
    for cut in range(len(term) - 3, 2, -1):
        head, tail = term[:cut], term[cut:]
        if index.term_id(head) is not None and index.term_id(tail) is not None:
            return (head, tail)
    return ()


_NEGATION_WORD = re.compile(r"n't\b|\w+")  # "didn't" gives "didn", "n't"
MAX_QUESTION_TERMS = 64  # a pasted essay is not a question: bound the work
MAX_EXPANDED_TERMS = 8  # unseen question terms matched to their relatives; the rest stay unseen
NAME_CHECKS = 3  # guessed relatives checked for being names (more: a prefix shared widely, kept)


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The question's terms, each with the index terms that count as matching it."""

    terms: tuple[str, ...]  # what BM25 scores: question order, repeats kept, expansions added
    # question term -> index terms that match it (any of them; all of a compound's halves)
    groups: dict[str, tuple[str, ...]]
    weights: dict[str, float]  # question term -> weight
    kind: str | None = None  # the sort of answer wanted (number, time), see answer_kind()
    unknown_names: frozenset[str] = frozenset()  # names in the question the index has never seen
    sequence: tuple[str, ...] = ()  # the question's own terms in order (for term pairs)
    surface: tuple[tuple[str, str], ...] = ()  # (term, the word as written, folded): exact forms
    # Distinctive terms (numbers, years, names) and the question's word for each, as written.
    distinctive: tuple[tuple[str, str], ...] = ()
    negated: bool = False  # the question asks what is not the case ("Which city did not sign?")
    # Lowercase words the knowledge base has never used, nor any relative of them ("speed" in
    # "What is the speed of light?"); capitalised ones are names, see ``unknown_names``.
    unmatched: frozenset[str] = frozenset()
    # Unseen words matched as two halves the index has ("counteroffensive"): a passage holds
    # one only when it holds both ("password" is not in a passage that says "word").
    compounds: frozenset[str] = frozenset()
    office: str | None = None  # "Who is the president of …?": the office whose holder is asked for
    # Years the question names as written ("1990", not "1990s" or "1,990"): a paragraph that never
    # mentions the year does not answer "What happened in 1990?", whatever else it shares.
    years: frozenset[str] = frozenset()
    # Every word of the question but its names and answer type ("what year") is one the
    # knowledge base never uses, nor any relative of it: "How old is <someone it names>?" when no
    # article says "old" asks what the knowledge base does not say.
    only_unused: bool = False
    # Each question term's weight before everyday words are discounted (that discount is for
    # judging whether to answer at all; the ranking's term pairs use these).
    idf_weights: dict[str, float] = field(default_factory=dict)
    # "What is the population of…?": the index terms for what is counted (an alias's too), which a
    # number in the answer stands beside ("9,5 million inhabitants"), see quotes.counts().
    counted: frozenset[str] = frozenset()

    @classmethod
    def from_question(cls, question: str, analyzer: Analyzer, index: BM25Index,
                      generic_weight: float = 1.0, unknown_share: float = 0.0,
                      written_as_name: Callable[[str], bool] | None = None) -> QueryTerms:
        """The question's terms; ``written_as_name`` tells the index terms the knowledge base
        only writes capitalised (:mod:`bot.core.answering.names`), which a lowercase word's
        guessed relatives leave out."""
        found, generic = analyzer.tokens_and_generic(question)  # one pass over the question
        found = found[:MAX_QUESTION_TERMS]
        dfs = {t.term: index.doc_freq(t.term) for t in found}  # each term looked up once
        # A word naming the kind of answer ("what time is the meetup?") that the knowledge base never
        # uses is no topic the question is about: "7 pm every Friday" answers it without saying "time".
        typed = {m.start(1) for m in _ANSWER_TYPE_WORD.finditer(question)}
        tokens = [t for t in found if (dfs[t.term] or not _stopword_typo(question, t.start, t.end, analyzer))
                  and not (t.start in typed and not dfs[t.term])]
        tokens = _without_aliased_words(_without_unseen_parts(question, tokens, dfs), dfs)
        raw = [t.term for t in tokens]
        groups: dict[str, tuple[str, ...]] = {}
        weights: dict[str, float] = {}
        idf_weights: dict[str, float] = {}
        expanded = 0
        words = name_words(question)
        analysed = analyse_words(words, analyzer)  # each capitalised word analysed once
        capitalised = {term for terms, _generic in analysed.values() for term in terms}
        compounds = set()
        # Terms the question wrote as an everyday word, which are no typo of another ("prime"):
        common = {t.term for t in tokens if fold(question[t.start:t.end]) in COMMON_ENGLISH_WORDS}
        for term in dict.fromkeys(raw):
            df = dfs[term]
            alternatives: tuple[str, ...] = ()
            if not df and expanded < MAX_EXPANDED_TERMS:
                alternatives = split_compound(term, index)
                if alternatives:
                    compounds.add(term)
                else:
                    alternatives = expand_unknown(term, index, compounds=False, typos=term not in common)
                    if written_as_name is not None and 0 < len(alternatives) <= NAME_CHECKS \
                            and term not in capitalised:
                        alternatives = tuple(a for a in alternatives if not written_as_name(a))
                expanded += 1
            groups[term] = (term,) if df else (alternatives or (term,))
            if df or not alternatives:
                # An unseen term weighs like the rarest seen one: it is what the question is
                # about, but a paraphrase should not outweigh every word that did match.
                weights[term] = term_weight(index.n_docs, max(df, 1))
            else:
                weights[term] = min(term_weight(index.n_docs, index.doc_freq(a)) for a in alternatives)
            idf_weights[term] = weights[term]
            if term in generic:
                weights[term] *= generic_weight
        terms = tuple(a for t in raw for a in groups[t])
        unknown = unknown_names(question, words, analysed, index, groups, weights, dfs, unknown_share)
        surface = tuple((t.term, fold(question[t.start:t.end])) for t in tokens)
        negated = not QUESTION_NEGATIONS.isdisjoint(_NEGATION_WORD.findall(fold(question)))
        names = name_terms(analysed)
        distinctive = tuple(dict.fromkeys((t.term, question[t.start:t.end]) for t in tokens
                                          if t.term in groups and (t.term[:1].isdigit() or t.term in names)))
        unmatched = frozenset(t.term for t in tokens if groups[t.term] == (t.term,)
                              and not dfs[t.term] and not question[t.start:t.start + 1].isupper())
        years = frozenset(t for t, word in surface if YEAR.fullmatch(word))
        content = {t.term for t in tokens if t.start not in typed and t.term not in names}
        only_unused = bool(content) and content <= unmatched
        return cls(terms, groups, weights, kind=answer_kind(question), unknown_names=unknown,
                   sequence=tuple(raw), surface=surface, distinctive=distinctive, negated=negated,
                   unmatched=unmatched, compounds=frozenset(compounds), office=asked_office(question),
                   years=years, only_unused=only_unused, idf_weights=idf_weights,
                   counted=frozenset(a for t in _counted_terms(question, tokens) if t in groups
                                     for a in groups[t]))

    def unused_words(self, index: BM25Index, as_written: bool = False) -> tuple[str, ...]:
        """The question's words that the knowledge base never uses, nor any relative of them, in
        the question's order, folded; ``as_written``: names as the question wrote them ("Finland")."""
        unused = {t for t, alternatives in self.groups.items()
                  if alternatives == (t,) and not index.doc_freq(t)}
        written = dict(self.distinctive) if as_written else {}
        return tuple(dict.fromkeys(written.get(term, word) for term, word in self.surface if term in unused))

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())

    @property
    def index_terms(self) -> frozenset[str]:
        return frozenset(a for alts in self.groups.values() for a in alts)

    def holds(self, term: str, present: set[str] | frozenset[str]) -> bool:
        """Do index terms ``present`` hold question term ``term``? Any of its index terms, or
        both halves of a compound."""
        alternatives = self.groups[term]
        if term in self.compounds:
            return all(a in present for a in alternatives)
        return any(a in present for a in alternatives)

    def covered(self, present: set[str] | frozenset[str]) -> set[str]:
        return {t for t in self.groups if self.holds(t, present)}

    def coverage(self, present: set[str] | frozenset[str]) -> float:
        total = self.total_weight
        return sum(self.weights[t] for t in self.covered(present)) / total if total else 0.0
