"""What an abbreviation a question uses may stand for in the knowledge base: "coc" for "Code of
Conduct", "sso" for "single sign-on".

Only a suggestion for moderators (``/kb gaps``): whether "pr" means "pull request" or "public
relations" is theirs to say in ``aliases.yaml``; retrieval never guesses it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bot.core.text.words import COMMON_ENGLISH_WORDS

CHARS_READ = 2_000_000  # of the knowledge base's text, at most: bounds the work whatever its size
_LETTERS = re.compile(r"[a-z]{2,6}")


def spelled_out(abbreviation: str, texts: Iterable[str]) -> str | None:
    """The most frequent run of words in ``texts`` whose initials spell ``abbreviation`` (2-6
    letters, not an everyday word; hyphenated parts count as words: "sign-on"), as first
    written; None when none does."""
    letters = abbreviation.casefold()
    if not _LETTERS.fullmatch(letters) or letters in COMMON_ENGLISH_WORDS:
        return None  # "ads" is a word, not the initials of "and developers should"
    # Each word: its initial, then letters; words apart by white space or one hyphen.
    pattern = re.compile(r"(?<![^\W_])" + r"(?:\s+|-)".join(rf"{c}[^\W\d_]*" for c in letters)
                         + r"(?![^\W_])", re.IGNORECASE)
    found: Counter[str] = Counter()
    first: dict[str, str] = {}
    read = 0
    for text in texts:
        for m in pattern.finditer(text):
            key = " ".join(m.group().casefold().replace("-", " ").split())
            found[key] += 1
            first.setdefault(key, " ".join(m.group().split()))
        read += len(text)
        if read >= CHARS_READ:
            break
    if not found:
        return None
    best = max(found, key=lambda k: (found[k], -len(k)))
    return first[best]
