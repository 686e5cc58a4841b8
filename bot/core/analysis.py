"""Text analysis: the same pipeline turns documents and questions into index terms.

Every token keeps the character offsets of the original text, so that answers can quote
and highlight the source exactly as written: normalisation (Unicode, case, diacritics,
number formats, aliases) only ever changes the *terms*, never the text we show.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import Stemmer

# The classic English stopword list (Snowball/NLTK), plus the filler words of questions
# ("how many", "tell me about", "according to the article") that say nothing about the topic.
ENGLISH_STOPWORDS = frozenset("""
a about above after again all am an and any are aren't as at be because been before being
below between both but by can couldn't could did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me
more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over
own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs
them themselves then there there's these they they'd they'll they're they've this those through to too
under until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're you've
your yours yourself yourselves will shall may might must can't cannot
""".split())
QUESTION_STOPWORDS = frozenset("""
many much tell explain describe according article text author writer say says said mention mentioned
mentions please know known give list name named kind sort thing things way ways also even still yet
whose wha whats hows whos exactly really actually anything something someone somebody happen
happened happens regarding concerning think thought believe lol lmao pls plz hey hi hello guys
gonna wanna gotta kinda anyone anybody ever supposedly basically probably apparently currently
deal long true like go going allegedly reportedly purportedly ostensibly
""".split())

# Irregular forms the stemmer cannot join to their base word ("lost" and "lose").
IRREGULAR_FORMS = {
    form: base
    for base, forms in {
        "arise": "arose arisen", "bear": "bore borne", "beat": "beaten", "become": "became",
        "begin": "began begun", "bite": "bit bitten", "break": "broke broken", "bring": "brought",
        "build": "built", "buy": "bought", "catch": "caught", "choose": "chose chosen", "come": "came",
        "deal": "dealt", "draw": "drew drawn", "drive": "drove driven", "eat": "ate eaten",
        "fall": "fell fallen", "feed": "fed", "feel": "felt", "fight": "fought", "flee": "fled",
        "fly": "flew flown", "forbid": "forbade forbidden", "forget": "forgot forgotten",
        "freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
        "grow": "grew grown", "hide": "hid hidden", "hold": "held", "keep": "kept", "know": "knew known",
        "lead": "led", "leave": "left", "lose": "lost", "make": "made", "mean": "meant", "meet": "met",
        "overthrow": "overthrew overthrown", "pay": "paid", "rise": "rose risen", "run": "ran",
        "say": "said", "see": "saw seen", "seek": "sought", "sell": "sold", "send": "sent",
        "shake": "shook shaken", "shoot": "shot", "speak": "spoke spoken", "spend": "spent",
        "stand": "stood", "steal": "stole stolen", "strike": "struck stricken", "swear": "swore sworn",
        "take": "took taken", "teach": "taught", "tell": "told", "think": "thought",
        "throw": "threw thrown", "understand": "understood", "undertake": "undertook undertaken",
        "win": "won", "withdraw": "withdrew withdrawn", "write": "wrote written",
    }.items()
    for form in forms.split()
}
IRREGULAR_FORMS.update({
    "jan": "january", "feb": "february", "apr": "april", "jun": "june", "jul": "july", "aug": "august",
    "sep": "september", "sept": "september", "oct": "october", "nov": "november", "dec": "december",
})
DEFAULT_STOPWORDS = ENGLISH_STOPWORDS | QUESTION_STOPWORDS

_JOINERS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_WORD_CHARS = rf"[^\W_]|[\u0300-\u036f{_JOINERS}]"
_NUM_SEP = "[ \u00a0\u202f\u2009,.'’]"
_TOKEN = re.compile(
    rf"(?P<thousands>\d{{1,3}}(?:{_NUM_SEP}\d{{3}})+(?!\d))"
    rf"|(?P<decimal>\d+[.,]\d+)"
    rf"|(?P<word>(?:{_WORD_CHARS})+(?:[-‐‑'’](?:{_WORD_CHARS})+)*)"
    r"|(?P<percent>%)"
)
# The same pattern for the usual text without combining marks or invisible joiners:
# one character class per word character instead of an alternation, 2-3x faster.
_TOKEN_PLAIN = re.compile(
    rf"(?P<thousands>\d{{1,3}}(?:{_NUM_SEP}\d{{3}})+(?!\d))"
    rf"|(?P<decimal>\d+[.,]\d+)"
    r"|(?P<word>[^\W_]+(?:[-‐‑'’][^\W_]+)*)"
    r"|(?P<percent>%)"
)
_NEEDS_FULL_PATTERN = re.compile(rf"[\u0300-\u036f{_JOINERS}]")


# The same two patterns without groups: findall then returns plain strings (faster), and
# the kind of each token is recovered with classify_token().
_TOKEN_STRINGS = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _TOKEN.pattern))
_TOKEN_PLAIN_STRINGS = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _TOKEN_PLAIN.pattern))


def token_strings(text: str) -> list[str]:
    """The raw tokens of ``text`` (what :meth:`Analyzer.tokens` would analyse), in order."""
    pattern = _TOKEN_STRINGS if _NEEDS_FULL_PATTERN.search(text) else _TOKEN_PLAIN_STRINGS
    return pattern.findall(text)


def classify_token(raw: str) -> str:
    """Which alternative of the token pattern ``raw`` is (thousands, decimal, word, percent)."""
    match = _TOKEN.fullmatch(raw)
    assert match is not None and match.lastgroup is not None
    return match.lastgroup


def token_pattern(text: str) -> re.Pattern[str]:
    """The tokenising pattern for ``text``: both give the same matches on plain text."""
    return _TOKEN if _NEEDS_FULL_PATTERN.search(text) else _TOKEN_PLAIN


_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th|s)$")
_SCALED = re.compile(r"^(\d+)k$")  # "9k troops" = 9000
_HYPHENS = re.compile(r"[-‐‑]")


def _load_common_words() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "common_english.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:  # a broken install must not stop answering; weighting just gets cruder
        return frozenset()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


COMMON_ENGLISH_WORDS = _load_common_words()


@dataclass(frozen=True, slots=True)
class Token:
    """An index term and where it came from in the analysed text."""

    term: str
    start: int
    end: int


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a word, for matching only."""
    text = "".join(ch for ch in text if ch not in _JOINERS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().replace("’", "'").replace("‘", "'")


class _Stemmers(threading.local):
    """PyStemmer objects are not safe to share between threads; keep one per thread."""

    def __init__(self) -> None:
        self.stemmer = Stemmer.Stemmer("english")


_STEMMERS = _Stemmers()


def stem(word: str) -> str:
    return str(_STEMMERS.stemmer.stemWord(word))


def _number_term(kind: str, raw: str) -> str:
    if kind == "thousands":
        return re.sub(r"\D", "", raw)
    return raw.replace(",", ".")


@dataclass(frozen=True)
class AliasTable:
    """Groups of names that mean the same thing, compiled to term sequences.

    Single-term variants are rewritten to the group's canonical term; multi-term variants
    ("Soviet Union") add the canonical term beside their own words, so both stay findable.
    """

    groups: tuple[tuple[str, ...], ...] = ()
    single: dict[str, str] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)

    @functools.cached_property
    def max_phrase(self) -> int:
        return max((len(p) for p in self.phrases), default=0)

    @functools.cached_property
    def phrase_starts(self) -> frozenset[str]:
        """First terms of the multi-term variants: only these can start a phrase."""
        return frozenset(p[0] for p in self.phrases)


def compile_aliases(groups: Sequence[Sequence[str]], analyzer: Analyzer) -> AliasTable:
    """Turn alias groups into term rules using ``analyzer`` (which must have no aliases)."""
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    kept: list[tuple[str, ...]] = []
    for group in groups:
        sequences = [tuple(analyzer.terms(variant, expand_compounds=False)) for variant in group]
        sequences = [s for s in sequences if s]
        if len(sequences) < 2:
            continue
        canonical = "_".join(sequences[0])
        kept.append(tuple(group))
        for seq in sequences:
            if len(seq) == 1:
                single.setdefault(seq[0], canonical)
            else:
                phrases.setdefault(seq, canonical)
    return AliasTable(tuple(kept), single, phrases)


class Analyzer:
    """Tokenise → fold → drop stopwords → stem → apply aliases."""

    def __init__(self, stopwords: Iterable[str] = DEFAULT_STOPWORDS,
                 aliases: AliasTable | None = None) -> None:
        self.stopwords = frozenset(fold(w) for w in stopwords)
        self.aliases = aliases or AliasTable()

    def with_aliases(self, groups: Sequence[Sequence[str]]) -> Analyzer:
        base = Analyzer(self.stopwords)
        return Analyzer(self.stopwords, compile_aliases(groups, base))

    def _word_terms(self, raw: str, start: int, expand: bool) -> list[Token]:
        word = fold(raw)
        end = start + len(raw)
        word = re.sub(r"'s$", "", word).rstrip("'")
        if "'" in word and word not in self.stopwords:
            word = word.replace("'", "")
        if not word or word in self.stopwords:
            return []
        ordinal = _ORDINAL.match(word)
        if ordinal:
            return [Token(ordinal.group(1), start, end)]
        scaled = _SCALED.match(word)
        if scaled:
            return [Token(str(int(scaled.group(1)) * 1000), start, end)]
        if _HYPHENS.search(word):
            parts = [p for p in _HYPHENS.split(word) if p]
            out: list[Token] = []
            compound = "".join(parts)
            out.append(Token(compound if compound.isdigit() else stem(compound), start, end))
            if expand:
                pos = start
                for part_raw in _HYPHENS.split(raw):
                    part = fold(part_raw)
                    if part and len(part) > 1 and part not in self.stopwords:
                        out.append(Token(part if part.isdigit() else stem(part), pos, pos + len(part_raw)))
                    elif part.isdigit():
                        out.append(Token(part, pos, pos + len(part_raw)))
                    pos += len(part_raw) + 1
            return out
        if len(word) == 1 and not word.isdigit():
            return []
        word = IRREGULAR_FORMS.get(word, word)
        return [Token(word if word[0].isdigit() else stem(word), start, end)]

    def _base_tokens(self, text: str, expand: bool) -> list[Token]:
        tokens: list[Token] = []
        for match in token_pattern(text).finditer(text):
            kind = match.lastgroup
            raw = match.group()
            if kind == "word":
                tokens.extend(self._word_terms(raw, match.start(), expand))
            elif kind == "percent":
                tokens.append(Token("percent", match.start(), match.end()))
            else:
                assert kind is not None
                tokens.append(Token(_number_term(kind, raw), match.start(), match.end()))
        return tokens

    def tokens(self, text: str, expand_compounds: bool = True) -> list[Token]:
        """Index terms of ``text`` with their offsets in ``text``."""
        tokens = self._base_tokens(text, expand_compounds)
        table = self.aliases
        if not table.single and not table.phrases:
            return tokens
        out: list[Token] = []
        longest = table.max_phrase
        starts = table.phrase_starts
        for i, tok in enumerate(tokens):
            out.append(Token(table.single.get(tok.term, tok.term), tok.start, tok.end))
            if tok.term not in starts:
                continue
            for n in range(2, longest + 1):
                seq = tuple(t.term for t in tokens[i:i + n])
                if len(seq) == n and seq in table.phrases:
                    out.append(Token(table.phrases[seq], tok.start, tokens[i + n - 1].end))
        return out

    def terms(self, text: str, expand_compounds: bool = True) -> list[str]:
        return [t.term for t in self.tokens(text, expand_compounds)]

    def generic_terms(self, text: str) -> frozenset[str]:
        """Terms of ``text`` that come from everyday English words ("want", "best", "time").

        They say little about what a question is about, so they count less when deciding
        whether a passage answers it.
        """
        return frozenset(t.term for t in self.tokens(text, expand_compounds=False)
                         if fold(text[t.start:t.end]) in COMMON_ENGLISH_WORDS)
