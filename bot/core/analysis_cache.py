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

from bot.core.analysis import (
    _TOKEN,
    DEFAULT_STOPWORDS,
    AliasTable,
    Analyzer,
    Token,
    _number_term,
    compile_aliases,
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
            hit = tuple(super()._word_terms(raw, 0, expand))
            if len(memo) < MAX_ENTRIES:
                memo[raw] = hit
        if not start:
            return list(hit)
        return [Token(t.term, t.start + start, t.end + start) for t in hit]

    def _word_term_strings(self, raw: str, expand: bool) -> tuple[str, ...]:
        memo = self._term_memo[expand]
        hit = memo.get(raw)
        if hit is None:
            hit = tuple(t.term for t in Analyzer._word_terms(self, raw, 0, expand))
            if len(memo) < MAX_ENTRIES:
                memo[raw] = hit
        return hit

    def terms(self, text: str, expand_compounds: bool = True) -> list[str]:
        """Index terms of ``text``; equal to ``[t.term for t in self.tokens(text)]``."""
        memo = self._term_memo[expand_compounds]
        out: list[str] = []
        extend = out.extend
        for thousands, decimal, word, percent in _TOKEN.findall(text):
            if word:
                hit = memo.get(word)
                extend(hit if hit is not None else self._word_term_strings(word, expand_compounds))
            elif percent:
                out.append("percent")
            elif thousands:
                out.append(_number_term("thousands", thousands))
            else:
                out.append(_number_term("decimal", decimal))
        table = self.aliases
        if not table.single and not table.phrases:
            return out
        single, phrases, longest = table.single, table.phrases, table.max_phrase
        aliased: list[str] = []
        for i, term in enumerate(out):
            aliased.append(single.get(term, term))
            for n in range(2, longest + 1):
                seq = tuple(out[i:i + n])
                if len(seq) == n and seq in phrases:
                    aliased.append(phrases[seq])
        return aliased
