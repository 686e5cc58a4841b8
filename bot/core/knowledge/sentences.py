"""Paragraph text → sentences, as character offsets (no object per sentence).

A sentence ends at . ! ? … (optionally followed by closing quotes or brackets) before white
space and something that can start a sentence, or at a line break that Markdown keeps as one:
before a list item, a table row or a dash ("— Name" under a quote), after a hard break (two
spaces at the end of the line), or at an empty line. Any other line break is a hard-wrapped
line, which Markdown renders as a space: "The goats give\nmilk every morning." is one
sentence. A full stop after a known abbreviation ("Mr.", "U.S.") or an initial does not end one,
nor does the one of an ordered list item's number ("1. Download the installer.").
"""

from __future__ import annotations

import re

# Abbreviations and initials are negative look-behinds, one per length, since Python's
# look-behinds have a fixed width.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k u.n no nos fig cf approx gen col lt sgt rev "
    "jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp".split()
)


def _not_after_abbreviation() -> str:
    """Look-behinds rejecting "<abbreviation>." where the abbreviation is a whole run of
    letters and dots (preceded by something else, or by the start of the text)."""
    by_length: dict[int, list[str]] = {}
    for word in [*sorted(_ABBREVIATIONS), "[a-z]"]:
        by_length.setdefault(1 if word == "[a-z]" else len(word), []).append(
            word if word == "[a-z]" else re.escape(word))
    parts = []
    for words in by_length.values():
        either = "|".join(words)
        parts.append(rf"(?<![^A-Za-z.](?ai:{either})\.)(?<!^(?ai:{either})\.)")
    return "".join(parts)


# Two patterns, each starting with what it must consume (a punctuation mark, a line
# break) so the regex engine can skip ahead to candidates instead of trying every position.
# Each matches the white space between two sentences in its group 1.
# An ordered list item's number ("1. Download the installer") starts its sentence, it does not
# end one: "1." at the start of a line is no sentence end.
_NOT_A_LIST_NUMBER = "".join(rf"(?<!^\d{{{n}}}\.)(?<!\n\d{{{n}}}\.)" for n in (1, 2, 3))
_AFTER_PUNCTUATION = re.compile(
    rf"[.!?…]{_not_after_abbreviation()}{_NOT_A_LIST_NUMBER}[\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
# Only from the start of a run of spaces (the look-behind): a match tried from inside a long run
# would scan the rest of it again, which is quadratic in the run's length.
_AROUND_LINE_BREAK = re.compile(
    r"(?<![^\S\n])([^\S\n]{2,}\n\s*"  # a hard break: two spaces, then the line break
    r"|[^\S\n]*\n(?:[^\S\n]*\n)+\s*"  # an empty line
    r"|[^\S\n]*\n\s*(?=[-*+•][^\S\n]|[—–|]|\d{1,3}[.)][^\S\n]))"  # a list item, a dash, a table row
)




def split_sentences(text: str) -> tuple[list[int], list[int]]:
    """Start and end offsets of the sentences of ``text`` (surrounding white space excluded)."""
    gaps = [m.span(1) for m in _AFTER_PUNCTUATION.finditer(text)]
    if "\n" in text:  # both kinds of gap are whole runs of white space: the same run is the same gap
        gaps = sorted({*gaps, *(m.span(1) for m in _AROUND_LINE_BREAK.finditer(text))})
    starts = [len(text) - len(text.lstrip()), *(end for _, end in gaps)]
    ends = [*(start for start, _ in gaps), len(text.rstrip())]
    kept = [(a, b) for a, b in zip(starts, ends, strict=True) if b > a]
    return [a for a, _ in kept], [b for _, b in kept]


def opens_line(text: str, starts: list[int], ends: list[int]) -> list[bool]:
    """For each sentence of ``text`` (``split_sentences``'s offsets), does it open a line of its
    own as Markdown shows it (a list item, a table row, a dash line, after a hard break or an
    empty line)? A sentence after a hard-wrapped line break does not: that break reads as a
    space."""
    out = [False] * len(starts)
    for k in range(1, len(starts)):
        gap_start = ends[k - 1]
        if "\n" in text[gap_start:starts[k]]:
            m = _AROUND_LINE_BREAK.match(text, gap_start)
            out[k] = m is not None and m.end(1) == starts[k]
    return out
