"""A memoising :class:`~bot.core.analysis.Analyzer`: the same terms, computed once per word form.

Folding, stopword checks and stemming cost a few microseconds per word and dominate both
index builds and the re-tokenisation of candidate sentences when quoting. A knowledge
base has far fewer distinct word forms than words, so the per-word result is cached
(offsets are stored relative to the word and shifted on use). The analysis itself is
untouched: this subclass wraps the per-word step, so every token is identical to the
plain analyzer's.

:meth:`MemoAnalyzer.terms` (terms without offsets: index builds, quote selection) takes
a faster path: one ``findall`` per text instead of a match object per word, and cached
per-word term tuples. It mirrors ``Analyzer._base_tokens`` and ``Analyzer.tokens``; a
differential test (tests/test_index_differential.py) checks it gives the same terms as
the plain analyzer on generated articles and on tricky text, so a change to the
analysis that this path does not follow fails CI instead of drifting silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

from bot.core.analysis import (
    DEFAULT_STOPWORDS,
    AliasTable,
    Analyzer,
    Token,
    _number_term,
    classify_token,
    compile_aliases,
    token_strings,
)

MAX_ENTRIES = 2_000_000  # word forms per analyzer; past this, new forms are analysed uncached


class MemoAnalyzer(Analyzer):
    """Tokenise → fold → drop stopwords → stem → apply aliases, with a per-word-form cache."""

    def __init__(self, stopwords: Iterable[str] = DEFAULT_STOPWORDS,
                 aliases: AliasTable | None = None) -> None:
        super().__init__(stopwords, aliases)
        # One dict per ``expand`` flag: a str key hashes faster than a tuple key.
        self._memo: tuple[dict[str, tuple[Token, ...]], dict[str, tuple[Token, ...]]] = ({}, {})
        self._term_memo: tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] = ({}, {})

    def with_aliases(self, groups: Sequence[Sequence[str]]) -> MemoAnalyzer:
        return MemoAnalyzer(self.stopwords, compile_aliases(groups, Analyzer(self.stopwords)))

    def _word_terms(self, raw: str, start: int, expand: bool) -> list[Token]:
        memo = self._memo[expand]
        hit = memo.get(raw)
        if hit is None:
            # One term always spans the whole word (a compound's parts come after it), so the
            # term memo, which index builds fill, answers most misses without re-analysis.
            terms = self.raw_terms(raw, expand)
            if len(terms) > 1:
                hit = tuple(super()._word_terms(raw, 0, expand))
            else:
                hit = tuple(Token(t, 0, len(raw)) for t in terms)
            if len(memo) < MAX_ENTRIES:
                memo[raw] = hit
        if not start:
            return list(hit)
        return [Token(t.term, t.start + start, t.end + start) for t in hit]

    def raw_terms(self, raw: str, expand: bool = True) -> tuple[str, ...]:
        """The terms (before aliases) of one raw token of :func:`token_strings`."""
        memo = self._term_memo[expand]
        hit = memo.get(raw)
        if hit is not None:
            return hit
        kind = classify_token(raw)
        if kind == "word":
            hit = tuple(t.term for t in Analyzer._word_terms(self, raw, 0, expand))
        elif kind == "percent":
            hit = ("percent",)
        else:
            hit = (_number_term(kind, raw),)
        if len(memo) < MAX_ENTRIES:
            memo[raw] = hit
        return hit

    def terms(self, text: str, expand_compounds: bool = True) -> list[str]:
        """Index terms of ``text``; equal to ``[t.term for t in self.tokens(text)]``."""
        memo = self._term_memo[expand_compounds]
        raw_tokens = token_strings(text)
        try:  # the usual case once the knowledge base's words are known: no Python loop
            out = list(chain.from_iterable(map(memo.__getitem__, raw_tokens)))
        except KeyError:
            out = []
            for raw in raw_tokens:
                hit = memo.get(raw)
                out.extend(hit if hit is not None else self.raw_terms(raw, expand_compounds))
        table = self.aliases
        if not table.single and not table.phrases:
            return out
        single, phrases, longest = table.single, table.phrases, table.max_phrase
        starts = table.phrase_starts
        aliased = list(map(single.get, out, out))
        if starts.isdisjoint(out):
            return aliased
        # A phrase's group term goes right after the phrase's first word, as in tokens().
        for i in reversed([i for i, term in enumerate(out) if term in starts]):
            found = [phrases[seq] for n in range(2, longest + 1)
                     if len(seq := tuple(out[i:i + n])) == n and seq in phrases]
            aliased[i + 1:i + 1] = found
        return aliased
